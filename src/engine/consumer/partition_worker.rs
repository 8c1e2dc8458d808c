//! One task per assigned partition: hands its messages to the handler in order, retries a
//! failing message with backoff, and stores an offset only once the handler is done with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::Notify;

use crate::engine::consumer::failure_fate::FailureFate;
use crate::engine::consumer::handler::HandlerOutcome;
use crate::engine::consumer::key_worker;
use crate::engine::consumer::options::Ordering;
use crate::engine::consumer::retry_delivery::{self, Admit};
use crate::engine::consumer::shared::{Command, Held, NextBatch, Shared};
use crate::engine::message::MessageBatch;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs until the partition is revoked or the subscription stops.
pub(crate) async fn run(shared: Arc<Shared>, tp: Held) {
    if shared.options.ordering == Ordering::Key {
        return key_worker::run(shared, tp).await;
    }
    deliver_in_order(&shared, &tp).await;
    if let Some(h) = shared.handler().filter(|h| h.looks_ahead()) {
        h.look_ahead((&tp.0, tp.1), None);
    }
}

/// Hands the partition's batches to the handler one after the other.
async fn deliver_in_order(shared: &Arc<Shared>, tp: &Held) {
    loop {
        let batch = match shared.next_batch(tp) {
            NextBatch::Batch(b) => b,
            NextBatch::Wait(wake) => {
                wait(&wake).await;
                continue;
            }
            NextBatch::Exit => return,
        };
        let batch = match retry_delivery::admit(shared, tp, batch) {
            Admit::Deliver(b) => b,
            Admit::Skip => {
                shared.finish_batch(tp);
                continue;
            }
            Admit::NotYet(due_ms) => {
                shared.finish_batch(tp);
                retry_delivery::wait_until_due(shared, tp, due_ms).await;
                continue;
            }
        };
        let permit = shared.semaphore.clone().acquire_owned().await;
        if let Some(h) = shared.handler().filter(|h| h.looks_ahead()) {
            h.look_ahead((&tp.0, tp.1), shared.peek_batch(tp));
        }
        let keep_going = deliver(shared, tp, batch, &|next| {
            shared.command(Command::Store(tp.tp.clone(), next))
        })
        .await;
        drop(permit);
        shared.finish_batch(tp);
        if !keep_going {
            return;
        }
    }
}

pub(crate) async fn wait(wake: &Notify) {
    // A bounded wait, so a missed wake-up costs a moment rather than a stall.
    let _ = tokio::time::timeout(Duration::from_millis(200), wake.notified()).await;
}

/// Delivers one batch until it is fully processed (true), or the partition closes or the
/// retries run out (false). `store` is told the next offset each time a prefix of the batch is
/// done (processed, or moved to the retry ladder).
pub(crate) async fn deliver(
    shared: &Shared,
    tp: &Held,
    batch: MessageBatch,
    store: &(dyn Fn(i64) + Sync),
) -> bool {
    let mut batch = Arc::new(batch);
    let mut attempt: u32 = 0;
    loop {
        let Some(handler) = shared.handler() else {
            return false;
        };
        let started = Instant::now();
        let outcome = call_handler(shared, handler.handle(batch.clone())).await;
        let took = started.elapsed();
        shared.stats.handler_latency.record(took);

        let total = batch.messages.len();
        let processed = outcome.processed.min(total);
        let failed = outcome.error.is_some() && processed < total;
        shared
            .stats
            .figures
            .on_handled(&tp.0, &batch.messages, processed, took, failed);
        if processed > 0 {
            shared.stats.on_processed(processed);
            store(batch.messages[processed - 1].offset + 1);
            attempt = 0;
        }
        // An error after the last message leaves nothing to deliver again.
        let error = outcome.error.filter(|_| processed < total);
        // Dropped untold (the partition closed, the subscription stops), it is told `Nowhere`.
        let fate = outcome.fate;
        let failed_span = outcome.failed_span;
        let Some(failure) = error else {
            if processed < total {
                // The handler reported fewer messages than it was given, without an error:
                // deliver the rest again rather than store offsets it did not vouch for.
                batch = Arc::new(rest_of(&batch, processed));
                continue;
            }
            return true;
        };
        shared.stats.on_handler_failure();
        let failed_offset = batch.messages.get(processed).map_or(-1, |m| m.offset);
        if shared.is_closed(tp) {
            return false;
        }
        // Delivering again cannot help a failure that is not retriable (bytes that do not
        // decode): it leaves at once, without in-place retries.
        if !failure.retriable || attempt >= shared.options.retries {
            let failed = &batch.messages[processed];
            match retry_delivery::forward(
                shared,
                tp,
                failed,
                attempt + 1,
                &failure,
                failed_span.as_ref(),
            )
            .await
            {
                Some(Ok(step)) => {
                    if let Some(fate) = fate {
                        fate.tell(step);
                    }
                    store(failed.offset + 1);
                    if processed + 1 == total {
                        return true;
                    }
                    batch = Arc::new(rest_of(&batch, processed + 1));
                    attempt = 0;
                    continue;
                }
                Some(Err(e)) => {
                    shared.fail(e);
                    return false;
                }
                None => {}
            }
            shared.fail(failure.stop_error(&tp.0, tp.1, failed_offset));
            return false;
        }
        let backoff = Duration::from_millis(
            shared
                .options
                .retry_backoff_ms
                .saturating_mul(1 << attempt.min(16)),
        )
        .min(MAX_BACKOFF);
        attempt += 1;
        if let Some(fate) = fate {
            fate.tell(FailureFate::RetryInPlace {
                attempt,
                delay_ms: backoff.as_millis() as u64,
                code: failure.code.clone(),
            });
        }
        shared.logger.log(
            crate::engine::logging::LogLevel::Warn,
            "consumer",
            "RETRY",
            &format!(
                "handler failed for {}[{}] at offset {failed_offset} (attempt {attempt} of {}), retrying in {backoff:?}: {}",
                tp.0, tp.1, shared.options.retries, failure.message
            ),
        );
        if processed > 0 {
            batch = Arc::new(rest_of(&batch, processed));
        }
        tokio::time::sleep(backoff).await;
        if shared.is_closed(tp) {
            return false;
        }
    }
}

/// Awaits a handler call, at most `handlerTimeoutMs` when one is set: a call still running then is
/// dropped here (the JS side cannot be cancelled; its late result goes nowhere) and reported as a
/// failure at the batch's first message.
async fn call_handler(shared: &Shared, call: BoxFuture<'static, HandlerOutcome>) -> HandlerOutcome {
    let Some(ms) = shared.options.handler_timeout_ms else {
        return call.await;
    };
    match tokio::time::timeout(Duration::from_millis(ms), call).await {
        Ok(outcome) => outcome,
        Err(_) => {
            shared.stats.on_handler_timeout();
            HandlerOutcome::failed(
                0,
                format!("handler did not settle within handlerTimeoutMs ({ms} ms)"),
            )
        }
    }
}

fn rest_of(batch: &MessageBatch, from: usize) -> MessageBatch {
    MessageBatch {
        topic: batch.topic.clone(),
        partition: batch.partition,
        messages: batch.messages[from..].to_vec(),
        assignment: batch.assignment,
    }
}
