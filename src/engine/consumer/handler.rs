//! The contract between a subscription and whoever handles its messages (a JS callback in the
//! binding, a closure in Rust).

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::engine::error::EngineError;
use crate::engine::message::MessageBatch;

/// How a handler call ended.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerOutcome {
    /// Messages of the batch, from its start, that are fully processed.
    pub processed: usize,
    /// Why the handler stopped before the end of the batch, if it did.
    pub error: Option<String>,
}

impl HandlerOutcome {
    /// Every message of a batch of `n` processed.
    pub fn done(n: usize) -> Self {
        HandlerOutcome {
            processed: n,
            error: None,
        }
    }

    /// The first `processed` messages done, then a failure.
    pub fn failed(processed: usize, error: impl Into<String>) -> Self {
        HandlerOutcome {
            processed,
            error: Some(error.into()),
        }
    }
}

/// Handles consecutive messages of one partition. The returned future resolves when the
/// handler is finished with them; only then are their offsets stored for commit.
pub trait BatchHandler: Send + Sync + 'static {
    /// Handles one batch.
    fn handle(&self, batch: Arc<MessageBatch>) -> BoxFuture<'static, HandlerOutcome>;
}

impl<F> BatchHandler for F
where
    F: Fn(Arc<MessageBatch>) -> BoxFuture<'static, HandlerOutcome> + Send + Sync + 'static,
{
    fn handle(&self, batch: Arc<MessageBatch>) -> BoxFuture<'static, HandlerOutcome> {
        self(batch)
    }
}

/// Told once when a subscription stops because of an error (a handler that kept failing, a
/// fatal consumer error).
pub type ErrorSink = Arc<dyn Fn(EngineError) + Send + Sync>;
