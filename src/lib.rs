//! kafka-native: a Kafka client for Node.js, a Rust engine over librdkafka under a thin napi-rs
//! binding.
//!
//! - [`engine`]: plain Rust (rdkafka, tokio); tested with `cargo test`.
//! - `binding`: the napi layer that converts JS values, calls the engine and maps errors.

#![deny(clippy::all)]

pub mod engine;

// Left out of `cargo test` and of the fuzz targets (`--cfg fuzzing`): executables that are not
// loaded by Node have no napi symbols to link against.
#[cfg(not(any(test, fuzzing)))]
#[macro_use]
extern crate napi_derive;

#[cfg(not(any(test, fuzzing)))]
mod binding;
