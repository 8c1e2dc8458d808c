//! kafka-native: a Kafka client for Node.js, a Rust engine over librdkafka under a thin napi-rs
//! binding.
//!
//! - [`engine`]: plain Rust (rdkafka, tokio); tested with `cargo test`.
//! - `binding`: the napi layer that converts JS values, calls the engine and maps errors.

pub mod engine;

#[cfg(not(test))]
#[macro_use]
extern crate napi_derive;

#[cfg(not(test))]
mod binding;
