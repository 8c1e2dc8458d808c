//! Group consumption: a poll thread per subscription, a worker per partition, offsets stored
//! only after the handler finished (at-least-once).

mod commands;
pub mod dead_letter_replay;
pub mod failure_fate;
pub mod handler;
mod header_presence;
#[cfg(test)]
mod headers_tests;
mod key_worker;
pub mod membership;
pub mod offset_tracker;
pub mod options;
mod partition_queues;
mod partition_worker;
mod poll_loop;
mod poll_wake;
mod queue_batch;
#[cfg(test)]
mod reassign_tests;
mod rebalance;
pub mod reports;
mod retry_delivery;
pub mod retry_headers;
pub mod retry_ladder;
pub mod seek;
mod shared;
mod start_positions;
pub mod subscription;
pub mod trace_parent;

pub use failure_fate::{FailureFate, FateListener};
pub use handler::{BatchHandler, ErrorSink, HandlerFailure, HandlerOutcome};
pub use membership::{Assignor, GroupProtocol, Membership};
pub use options::{Ordering, SubscribeOptions};
pub use reports::{
    CommitReport, CommitSink, CommittedOffset, FetchReport, FetchSink, HeartbeatReport,
    HeartbeatSink, Reports, EMPTY_ROUNDS_EVERY,
};
pub use retry_ladder::RetryLadder;
pub use seek::SeekTarget;
pub use shared::TopicPartition;
pub use subscription::Subscription;
pub use trace_parent::TraceParent;
