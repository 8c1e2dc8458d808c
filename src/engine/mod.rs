//! The pure-Rust Kafka engine over librdkafka and tokio. Nothing here knows about Node.

mod ack_runs;
mod adaptive_linger;
pub mod admin;
pub mod catalogs;
pub mod client_events;
pub mod config;
pub mod connection;
pub mod consumer;
mod delivery_opaque;
pub mod enqueue_lane;
pub mod error;
pub mod keying;
pub mod latency;
pub mod logging;
pub mod message;
pub mod metrics;
pub mod mock_cluster;
pub mod network;
pub mod produce_run;
pub mod producer;
pub mod replay;
pub mod schema;
pub mod service;
pub mod stats;
pub mod topic_handle;
pub mod transaction;

#[cfg(test)]
mod disconnect_tests;
#[cfg(test)]
mod key_order_tests;
#[cfg(test)]
mod lane_order_tests;
#[cfg(test)]
mod linger_order_tests;
#[cfg(test)]
mod prefetch_tests;
#[cfg(test)]
mod reports_tests;
#[cfg(test)]
mod retry_tests;
#[cfg(test)]
mod start_position_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transaction_tests;
