//! Observability beyond the `stats()` counters: latency distributions per topic and per event
//! type, librdkafka's queue figures, and their rendering in the Prometheus text format.

pub mod distribution;
pub mod event_type;
pub mod exposition;
pub mod librdkafka;
pub mod render;
pub mod topic_tally;
pub mod topics;

#[cfg(test)]
mod tests;
