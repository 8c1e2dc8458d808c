//! `Subscription` and the bridge that hands consumed batches to a JS handler and waits for the
//! Promise it returns.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;

use crate::binding::consumed_batch::PackedMessages;
use crate::binding::js_support::JsSupport;
use crate::binding::message::{batch_to_js, PackedValues};
use crate::binding::promise::settle;
use crate::engine::consumer::{
    self, BatchHandler, FailureFate, FateListener, HandlerFailure, HandlerOutcome, SeekTarget,
    TraceParent,
};
use crate::engine::error::EngineError;
use crate::engine::message::MessageBatch;
use crate::engine::schema::batch_decoder::BatchDecoder;

/// What the JS loop around a handler reports for one batch (internal).
#[napi(object, js_name = "HandlerReport")]
pub struct JsHandlerReport {
    pub processed: u32,
    pub error: Option<String>,
    /// The stable code of the error the handler threw, when it carried one (`ERR_…`).
    pub code: Option<String>,
    /// Its retriable flag, given with `code`.
    pub retriable: Option<bool>,
    /// With `error`, when tracing: the failed call's span, kept open until the engine tells what
    /// became of the message (`settleFailedSpan` of tracing.js).
    #[napi(ts_type = "PendingSpan")]
    pub pending_span: Option<JsPendingSpan>,
}

/// The span of a failed handler call, in its report (internal). One field of the report, so that
/// a report without a failure is read with no more property reads than before it existed.
#[napi(object, js_name = "PendingSpan")]
pub struct JsPendingSpan {
    /// Its id in tracing.js, for `settleFailedSpan`.
    pub id: u32,
    /// Its W3C traceparent when it is sampled: a copy of the message republished to a retry or
    /// dead-letter topic carries it (`x-failed-traceparent`, only when it is a valid one).
    pub traceparent: Option<String>,
}

/// What became of a message whose handler failed, told to the tracing of the handler call
/// (internal).
#[napi(object, js_name = "HandlerFailureFate")]
pub struct JsHandlerFailureFate {
    /// The `pendingSpan.id` of the handler's report.
    pub span: u32,
    /// `'retry'` (in place, or to `topic`), `'dead-letter'`, or `'none'` (the subscription
    /// stopped, or the partition was revoked).
    pub kind: String,
    /// The retry or dead-letter topic it was republished to.
    pub topic: Option<String>,
    /// Failed handler calls: in this step for an in-place retry, in all (its `x-attempts`) once
    /// republished.
    pub attempt: Option<f64>,
    /// When a retry topic delivers it again (ms since the epoch).
    pub due_ms: Option<f64>,
    /// The wait before an in-place retry, in ms.
    pub delay_ms: Option<f64>,
    /// The failure's code.
    pub code: Option<String>,
}

impl JsHandlerFailureFate {
    fn new(span: u32, fate: FailureFate) -> Self {
        let mut out = JsHandlerFailureFate {
            span,
            kind: "retry".into(),
            topic: None,
            attempt: None,
            due_ms: None,
            delay_ms: None,
            code: None,
        };
        match fate {
            FailureFate::RetryInPlace {
                attempt,
                delay_ms,
                code,
            } => {
                out.attempt = Some(f64::from(attempt));
                out.delay_ms = Some(delay_ms as f64);
                out.code = Some(code);
            }
            FailureFate::RetryTopic {
                topic,
                attempts,
                due_ms,
                code,
            } => {
                out.topic = Some(topic);
                out.attempt = Some(attempts as f64);
                out.due_ms = Some(due_ms as f64);
                out.code = Some(code);
            }
            FailureFate::DeadLetter {
                topic,
                attempts,
                code,
            } => {
                out.kind = "dead-letter".into();
                out.topic = Some(topic);
                out.attempt = Some(attempts as f64);
                out.code = Some(code);
            }
            FailureFate::Nowhere => out.kind = "none".into(),
        }
        out
    }
}

type SettleSpanFn =
    ThreadsafeFunction<JsHandlerFailureFate, (), JsHandlerFailureFate, Status, false, true>;

/// A batch on its way to JS, packed, with its decoded values when the subscription decodes;
/// becomes `{topic, partition, messages}` on the JS thread.
pub struct PackedBatch(Arc<MessageBatch>, PackedMessages, Option<PackedValues>);

impl ToNapiValue for PackedBatch {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        batch_to_js(&env, &val.0, val.1, val.2).map(|o| o.raw())
    }
}

type DeliverFn =
    ThreadsafeFunction<PackedBatch, Promise<JsHandlerReport>, PackedBatch, Status, false>;

/// Calls a JS handler (wrapped in the batch loop of `js_support.js`) for each batch. The
/// thread-safe function is strong, so a running subscription keeps Node alive; the engine drops
/// it when the subscription ends.
pub struct JsBatchHandler {
    deliver: Arc<DeliverFn>,
    /// Weak: a span waiting for its message's fate never keeps Node alive.
    settle_span: Arc<SettleSpanFn>,
    decoder: Option<Arc<BatchDecoder>>,
}

/// Which handler the user gave.
pub enum HandlerKind {
    EachMessage,
    EachBatch,
}

impl JsBatchHandler {
    /// Wraps `handler` (`eachMessage` or `eachBatch` style) for the engine.
    pub fn new(
        env: &Env,
        handler: Function<'_>,
        kind: HandlerKind,
        group_id: &str,
    ) -> Result<Self> {
        let support = JsSupport::get(env)?;
        let driver = match kind {
            HandlerKind::EachMessage => support.each_message(env, handler, group_id)?,
            HandlerKind::EachBatch => support.each_batch(env, handler, group_id)?,
        };
        let typed: Function<PackedBatch, Promise<JsHandlerReport>> =
            unsafe { Function::from_napi_value(env.raw(), driver.raw())? };
        let deliver: DeliverFn = typed
            .build_threadsafe_function()
            .callee_handled::<false>()
            .build()?;
        let settle_span: SettleSpanFn = support
            .settle_failed_span(env)?
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsBatchHandler {
            deliver: Arc::new(deliver),
            settle_span: Arc::new(settle_span),
            decoder: None,
        })
    }

    /// Decodes every batch with `decoder` before the handler sees it, each partition's next
    /// batch while the current one is handled.
    pub fn with_decoder(mut self, decoder: BatchDecoder) -> Self {
        self.decoder = Some(Arc::new(decoder));
        self
    }
}

impl BatchHandler for JsBatchHandler {
    fn handle(&self, batch: Arc<MessageBatch>) -> BoxFuture<'static, HandlerOutcome> {
        let deliver = self.deliver.clone();
        let settle_span = self.settle_span.clone();
        let decoder = self.decoder.clone();
        async move {
            let decoded = match &decoder {
                Some(d) => Some(PackedValues::pack(d.decode(&batch).await)),
                None => None,
            };
            let undecodable = decoded.as_ref().and_then(PackedValues::first_failure);
            // Nothing of the batch can reach the handler: no need to cross into JS.
            if let Some((0, failure)) = undecodable {
                return HandlerOutcome::failed_with(0, failure);
            }
            let packed = PackedMessages::pack(&batch);
            let report = match deliver
                .call_async_catch(PackedBatch(batch, packed, decoded))
                .await
            {
                Ok(promise) => promise.await,
                Err(e) => Err(e),
            };
            match report {
                Ok(r) => {
                    let processed = r.processed as usize;
                    // The JS loop stops at the first undecodable message without handing it to
                    // the handler: a failure there is that message's, with its engine code.
                    let (code, retriable) = (r.code, r.retriable);
                    let error = r.error.map(|message| match (undecodable, code) {
                        (Some((at, failure)), _) if at == processed => failure,
                        // An error with a code of its own keeps it, and its retriability: one
                        // that is not retriable skips the retries, as an undecodable message does.
                        (_, Some(code)) => HandlerFailure {
                            message,
                            code,
                            retriable: retriable.unwrap_or(true),
                        },
                        _ => HandlerFailure::handler(message),
                    });
                    let (fate, failed_span) = match r.pending_span {
                        Some(span) => (
                            Some(fate_listener(settle_span, span.id)),
                            span.traceparent.as_deref().and_then(TraceParent::parse),
                        ),
                        None => (None, None),
                    };
                    HandlerOutcome {
                        processed,
                        error,
                        fate,
                        failed_span,
                    }
                }
                Err(e) => HandlerOutcome::failed(0, e.reason.clone()),
            }
        }
        .boxed()
    }

    fn looks_ahead(&self) -> bool {
        self.decoder.is_some()
    }

    fn look_ahead(&self, partition: (&str, i32), next: Option<MessageBatch>) {
        if let Some(d) = &self.decoder {
            d.look_ahead(partition, next);
        }
    }
}

/// Tells the tracing of a failed handler call what became of its message.
fn fate_listener(settle_span: Arc<SettleSpanFn>, span: u32) -> FateListener {
    FateListener::new(move |fate| {
        // The returning variant hands a throw to us instead of crashing Node.
        let _ = settle_span.call_with_return_value(
            JsHandlerFailureFate::new(span, fate),
            ThreadsafeFunctionCallMode::NonBlocking,
            |_, _| Ok(()),
        );
    })
}

/// A topic and partition.
#[napi(object, js_name = "TopicPartition")]
pub struct JsTopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl From<(String, i32)> for JsTopicPartition {
    fn from((topic, partition): (String, i32)) -> Self {
        JsTopicPartition { topic, partition }
    }
}

/// A running group subscription. It keeps consuming (and keeps Node alive) until `stop()`, the
/// service's `disconnect()`, or a handler that keeps failing; dropping this object does not stop
/// it.
#[napi]
pub struct Subscription {
    pub(crate) inner: Arc<consumer::Subscription>,
}

impl Subscription {
    pub fn new(inner: Arc<consumer::Subscription>) -> Self {
        Subscription { inner }
    }
}

#[napi]
impl Subscription {
    /// The consumer group.
    #[napi(getter)]
    pub fn group_id(&self) -> String {
        self.inner.group_id().to_string()
    }

    /// Whether it still consumes.
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.inner.is_running()
    }

    /// Whether `pause()` is in effect.
    #[napi(getter)]
    pub fn paused(&self) -> bool {
        self.inner.is_paused()
    }

    /// Stops fetching and delivering; handlers already running finish. The member stays in its
    /// group (no rebalance).
    #[napi]
    pub fn pause(&self) {
        self.inner.pause();
    }

    /// Delivers again after `pause()`.
    #[napi]
    pub fn resume(&self) {
        self.inner.resume();
    }

    /// Partitions currently assigned to this member.
    #[napi]
    pub fn assignments(&self) -> Vec<JsTopicPartition> {
        self.inner
            .assignments()
            .into_iter()
            .map(JsTopicPartition::from)
            .collect()
    }

    /// Commits the offsets of every message whose handler has finished. Rejects with
    /// `ERR_DISCONNECTED` once stopped.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        settle(env, async move { inner.commit().await }, |_, ()| Ok(()))
    }

    /// Moves a partition this member holds to `offset` (a number or a numeric string; -2 is the
    /// beginning, -1 the end): its buffered messages are dropped, its running handler finishes
    /// first, then delivery continues from `offset` and commits follow from there (with
    /// auto-commit the offset is committed at once, even below the committed one; with
    /// `autoCommit: false` it is stored, and `commit()` commits it once handlers moved past the
    /// committed offset). Resolves when the consumer fetches from the new position. Rejects with
    /// `ERR_INVALID_ARG` for a partition not held or a bad offset, `ERR_DISCONNECTED` once stopped.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek<'e>(
        &self,
        env: &'e Env,
        topic: String,
        partition: i32,
        offset: Either<f64, String>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        let target = offset_arg(&offset, -2).map(SeekTarget::Offset);
        settle(
            env,
            async move { inner.seek(&topic, partition, target?).await },
            |_, ()| Ok(()),
        )
    }

    /// Moves a partition this member holds to the first message at or after `timestamp` (ms
    /// since the epoch, or a Date; the partition's end when there is none), as `seek` does.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek_to_timestamp<'e>(
        &self,
        env: &'e Env,
        topic: String,
        partition: i32,
        timestamp: Either<f64, Date<'e>>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        let ms = match timestamp {
            Either::A(ms) => Ok(ms),
            Either::B(d) => d
                .value_of()
                .map_err(|e| EngineError::InvalidArg(e.reason.clone())),
        };
        let target = ms.and_then(|ms| {
            if ms.is_finite() && ms >= 0.0 {
                Ok(SeekTarget::Timestamp(ms as i64))
            } else {
                Err(EngineError::InvalidArg(
                    "timestamp must be a time in ms since the epoch".into(),
                ))
            }
        });
        settle(
            env,
            async move { inner.seek(&topic, partition, target?).await },
            |_, ()| Ok(()),
        )
    }

    /// Stops: no new deliveries, running handlers finish (a handler still running after
    /// `drainTimeoutMs` is abandoned), their offsets are committed, and the member leaves its
    /// group (at most 10 s more, even with the brokers gone). Resolves when all of that is done,
    /// within `drainTimeoutMs` + 10 s; afterwards nothing of the subscription keeps Node alive.
    /// Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        settle(
            env,
            async move {
                inner.stop().await;
                Ok::<_, EngineError>(())
            },
            |_, ()| Ok(()),
        )
    }
}

/// An offset given as a whole number or a numeric string (kafkajs passes strings), at least
/// `lowest` (-2 where -2 and -1 mean the beginning and the end).
pub(crate) fn offset_arg(
    offset: &Either<f64, String>,
    lowest: i64,
) -> std::result::Result<i64, EngineError> {
    let parsed = match offset {
        Either::A(n) if n.is_finite() && n.fract() == 0.0 && *n >= lowest as f64 => Some(*n as i64),
        Either::A(_) => None,
        Either::B(s) => s.trim().parse::<i64>().ok().filter(|o| *o >= lowest),
    };
    parsed.ok_or_else(|| {
        EngineError::InvalidArg(if lowest < 0 {
            "offset must be a whole number >= 0, or -2 (beginning) or -1 (end)".into()
        } else {
            "offset must be a whole number >= 0".into()
        })
    })
}
