//! The contract between a subscription and whoever handles its messages (a JS callback in the
//! binding, a closure in Rust).

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::engine::consumer::failure_fate::FateListener;
use crate::engine::consumer::trace_parent::TraceParent;
use crate::engine::error::EngineError;
use crate::engine::message::MessageBatch;

/// The code of a failure the handler itself reported (it threw, or did not settle in time).
pub const HANDLER_FAILED: &str = "ERR_HANDLER_FAILED";

/// Why a handler call stopped before the end of its batch.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerFailure {
    /// What went wrong (a JS error's stack, an engine error's description).
    pub message: String,
    /// Its stable code: `ERR_HANDLER_FAILED` when the handler failed, else the engine's code for
    /// what failed before the handler could see the message (`ERR_SCHEMA_DECODE`, ...). It goes
    /// into the `x-error-code` header of a retried or dead letter and into `onError`'s error.
    pub code: String,
    /// Whether delivering the message again may succeed. A failure that is not (bytes that do not
    /// decode) skips the in-place retries and the retry steps: it goes to the dead-letter topic at
    /// once, or, without one, ends the subscription at once.
    pub retriable: bool,
}

impl HandlerFailure {
    /// A failure of the handler itself: retried as the subscription's options say.
    pub fn handler(message: impl Into<String>) -> Self {
        HandlerFailure {
            message: message.into(),
            code: HANDLER_FAILED.into(),
            retriable: true,
        }
    }

    /// A failure the engine found before the handler saw the message, with that error's code
    /// and retriability.
    pub fn engine(e: &EngineError) -> Self {
        HandlerFailure {
            message: e.to_string(),
            code: e.code(),
            retriable: e.retriable(),
        }
    }
}

impl HandlerFailure {
    /// The error a subscription stops with when this failure is final at `offset`: a handler
    /// that ran out of retries is `ERR_HANDLER_FAILED`, not retriable; a failure the engine found
    /// keeps its code and retriability (an unreachable registry may answer later, bytes that do
    /// not decode never will).
    pub fn stop_error(self, topic: &str, partition: i32, offset: i64) -> EngineError {
        let retriable = self.retriable && self.code != HANDLER_FAILED;
        EngineError::Handler {
            topic: topic.to_string(),
            partition,
            offset,
            message: self.message,
            code: self.code,
            retriable,
        }
    }
}

/// How a handler call ended.
#[derive(Debug)]
pub struct HandlerOutcome {
    /// Messages of the batch, from its start, that are fully processed.
    pub processed: usize,
    /// Why the handler stopped before the end of the batch, if it did.
    pub error: Option<HandlerFailure>,
    /// Told what became of the failed message (retried in place, moved to a retry topic or the
    /// dead-letter topic, or nowhere), when the handler asked to know.
    pub fate: Option<FateListener>,
    /// The failed call's span, when the tracing recorded it: a copy of the failed message
    /// republished to a retry or dead-letter topic carries it (`x-failed-traceparent`), so that
    /// the span of its next handling links to the one that failed.
    pub failed_span: Option<TraceParent>,
}

impl HandlerOutcome {
    /// Every message of a batch of `n` processed.
    pub fn done(n: usize) -> Self {
        HandlerOutcome {
            processed: n,
            error: None,
            fate: None,
            failed_span: None,
        }
    }

    /// The first `processed` messages done, then the handler failed.
    pub fn failed(processed: usize, error: impl Into<String>) -> Self {
        Self::failed_with(processed, HandlerFailure::handler(error))
    }

    /// The first `processed` messages done, then `failure`.
    pub fn failed_with(processed: usize, failure: HandlerFailure) -> Self {
        HandlerOutcome {
            processed,
            error: Some(failure),
            fate: None,
            failed_span: None,
        }
    }
}

/// Handles consecutive messages of one partition. The returned future resolves when the
/// handler is finished with them; only then are their offsets stored for commit.
pub trait BatchHandler: Send + Sync + 'static {
    /// Handles one batch.
    fn handle(&self, batch: Arc<MessageBatch>) -> BoxFuture<'static, HandlerOutcome>;

    /// Whether the handler wants `look_ahead` calls (copying the messages for them costs).
    fn looks_ahead(&self) -> bool {
        false
    }

    /// While a partition's batch is handled, told the messages that most likely make its next
    /// batch (a copy of the front of its buffer), so that work on them (decoding) overlaps the
    /// handler; `None` when the partition's worker ends. Only a hint: the next `handle` call may
    /// get other messages (after a seek, a retry, a revoke), and must then do the work itself.
    fn look_ahead(&self, _partition: (&str, i32), _next: Option<MessageBatch>) {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_final_failure_keeps_the_code_of_what_failed() {
        let thrown = HandlerFailure::handler("Error: boom").stop_error("t", 1, 7);
        assert_eq!(thrown.code(), "ERR_HANDLER_FAILED");
        assert!(!thrown.retriable());
        let undecodable = HandlerFailure::engine(&EngineError::SchemaDecode("bad".into()));
        assert!(!undecodable.retriable);
        let e = undecodable.stop_error("t", 1, 7);
        assert_eq!(
            (e.code().as_str(), e.retriable()),
            ("ERR_SCHEMA_DECODE", false)
        );
        assert_eq!((e.topic(), e.partition()), (Some("t"), Some(1)));
        let registry_down = HandlerFailure::engine(&EngineError::SchemaRegistry {
            status: 0,
            registry_code: 0,
            message: "connection refused".into(),
        });
        assert!(
            registry_down.retriable,
            "retried in place like a handler failure"
        );
        assert!(registry_down.stop_error("t", 1, 7).retriable());
    }
}
