//! The pure-Rust Kafka engine over librdkafka and tokio. Nothing here knows about Node.

pub mod admin;
pub mod client_events;
pub mod config;
pub mod connection;
pub mod consumer;
pub mod error;
pub mod latency;
pub mod logging;
pub mod message;
pub mod mock_cluster;
pub mod producer;
pub mod schema;
pub mod service;
pub mod stats;

#[cfg(test)]
mod tests;
