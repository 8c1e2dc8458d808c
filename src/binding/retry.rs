//! The `retry` option of `subscribe`: delayed retry steps and a dead-letter topic, read into the
//! engine's `RetryLadder`.

use napi::bindgen_prelude::*;

use crate::engine::consumer::retry_ladder::parse_delay;
use crate::engine::consumer::RetryLadder;
use crate::engine::error::{EngineError, EngineResult};

/// Delayed retries and dead letters, after the in-place `retries` of a subscription.
#[napi(object, js_name = "RetryOptions")]
pub struct JsRetryOptions {
    /// Wait of each retry step: ms, or `'500ms'`, `'10s'`, `'1m'`, `'5min'`, `'2h'` (at most 7
    /// days). A message whose in-place retries ran out is republished to the next step's topic and
    /// handed to the handler again no earlier than this long after its failure. Default: none
    /// (straight to `deadLetterTopic`).
    #[napi(ts_type = "Array<string | number>")]
    pub delays: Option<Vec<Either<String, f64>>>,
    /// Topic of each step, one per delay. Default `{groupId}.retry.1`, `.2`, ... The subscription
    /// consumes these topics too; create them beforehand (or let the cluster auto-create them).
    pub topics: Option<Vec<String>>,
    /// Where a message goes after the last step, with `x-original-*`, `x-attempts`,
    /// `x-first-failure`, `x-error-code`, `x-error` and `x-consumer-group` headers; a message that
    /// cannot be decoded comes here at once (no retry, no step). Without one, the last failure
    /// stops the subscription (`onError`, nothing past the message committed).
    pub dead_letter_topic: Option<String>,
}

/// The engine's ladder for a group, or `ERR_INVALID_ARG`.
pub fn retry_ladder(group_id: &str, o: &JsRetryOptions) -> EngineResult<RetryLadder> {
    let delays = o
        .delays
        .iter()
        .flatten()
        .map(|d| match d {
            Either::A(text) => parse_delay(text),
            Either::B(ms) if ms.is_finite() && *ms >= 0.0 => parse_delay(&ms.to_string()),
            Either::B(ms) => Err(EngineError::InvalidArg(format!(
                "retry delay {ms} is not a number of ms >= 0"
            ))),
        })
        .collect::<EngineResult<Vec<u64>>>()?;
    Ok(RetryLadder::new(
        group_id,
        delays,
        o.topics.clone(),
        o.dead_letter_topic.clone(),
    ))
}
