//! Group consumption: a poll thread per subscription, a worker per partition, offsets stored
//! only after the handler finished (at-least-once).

pub mod handler;
pub mod membership;
pub mod options;
mod partition_worker;
mod poll_loop;
mod rebalance;
pub mod seek;
mod shared;
pub mod subscription;

pub use handler::{BatchHandler, ErrorSink, HandlerOutcome};
pub use membership::{Assignor, GroupProtocol, Membership};
pub use options::SubscribeOptions;
pub use seek::SeekTarget;
pub use shared::TopicPartition;
pub use subscription::Subscription;
