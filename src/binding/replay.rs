//! `KafkaService.replayDeadLetters(options)`.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::args;
use crate::binding::promise::{rejected, settle};
use crate::binding::service::KafkaService;
use crate::engine::consumer::dead_letter_replay::{ReplayOptions, ReplayReport};
use crate::engine::error::{EngineError, EngineResult};

/// Which dead letters a replay takes; every given condition must hold.
#[napi(object, js_name = "ReplayFilter")]
pub struct JsReplayFilter {
    pub original_topics: Option<Vec<String>>,
    pub error_code: Option<String>,
    pub error_contains: Option<String>,
    pub key: Option<Either<Buffer, String>>,
}

/// What `replayDeadLetters` reads and where it sends it.
#[napi(object, js_name = "ReplayDeadLettersOptions")]
pub struct JsReplayDeadLettersOptions {
    /// The dead-letter topic.
    pub topic: String,
    /// Only dead letters stored at or after this time (ms since the epoch). Default: from the start.
    pub from: Option<f64>,
    /// Only dead letters stored before this time (ms since the epoch). Default: up to the end
    /// as it is when the replay starts.
    pub to: Option<f64>,
    /// Send every replayed message to this topic instead of its `x-original-topic`.
    pub to_topic: Option<String>,
    /// Only dead letters that matched: original topics, `x-error-code`, text in `x-error`, key.
    pub filter: Option<JsReplayFilter>,
    /// Bound on reading the dead-letter topic, in ms. Default 60000.
    pub timeout_ms: Option<f64>,
}

/// What `replayDeadLetters` did.
#[napi(object, js_name = "ReplayReport")]
pub struct JsReplayReport {
    /// Dead letters read in the range.
    pub read: f64,
    /// Republished and acknowledged.
    pub replayed: f64,
    /// Not matching the filter, or without an original topic.
    pub skipped: f64,
    /// Republishing failed; they stay in the dead-letter topic.
    pub failed: f64,
}

#[napi]
impl KafkaService {
    /// Sends dead letters back: reads `topic` (from `from`, up to `to` or its current end), and
    /// republishes each one that passes `filter` to its `x-original-topic` (or `toTopic`) with its
    /// key, value and own headers (the retry ladder's headers removed, `x-replayed-from` added).
    /// Resolves with the counts once every republished message was acknowledged or failed; the
    /// dead letters stay in their topic. Rejects with `ERR_INVALID_ARG`, `ERR_TOPIC_EXCEPTION`,
    /// `ERR_UNKNOWN_TOPIC_OR_PART`, `ERR__TIMED_OUT`, `ERR_DISCONNECTED`.
    #[napi(
        ts_args_type = "options: ReplayDeadLettersOptions",
        ts_return_type = "Promise<ReplayReport>"
    )]
    pub fn replay_dead_letters<'e>(
        &self,
        env: &'e Env,
        options: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, JsReplayReport>> {
        let read = args::read::<JsReplayDeadLettersOptions>(env, options, "options")
            .and_then(|o| ReplayOptions::try_from(&o));
        let options = match read {
            Ok(o) => o,
            Err(e) => return rejected(env, e),
        };
        let engine = self.engine.clone();
        settle(
            env,
            async move { engine.replay_dead_letters(options).await },
            |_, r| Ok(JsReplayReport::from(r)),
        )
    }
}

impl TryFrom<&JsReplayDeadLettersOptions> for ReplayOptions {
    type Error = EngineError;

    /// `ERR_INVALID_ARG` for a time or timeout that is not a number of ms >= 0.
    fn try_from(o: &JsReplayDeadLettersOptions) -> EngineResult<Self> {
        let ms = |v: Option<f64>, what: &str| -> EngineResult<Option<i64>> {
            match v {
                Some(v) if !(v.is_finite() && v >= 0.0) => Err(EngineError::InvalidArg(format!(
                    "{what} must be a time in ms >= 0"
                ))),
                other => Ok(other.map(|v| v as i64)),
            }
        };
        let filter = o.filter.as_ref();
        Ok(ReplayOptions {
            topic: o.topic.clone(),
            from_ms: ms(o.from, "from")?,
            until_ms: ms(o.to, "to")?,
            to_topic: o.to_topic.clone(),
            original_topics: filter.and_then(|f| f.original_topics.clone()),
            error_code: filter.and_then(|f| f.error_code.clone()),
            error_contains: filter.and_then(|f| f.error_contains.clone()),
            key: filter.and_then(|f| f.key.as_ref()).map(|k| match k {
                Either::A(b) => b.to_vec(),
                Either::B(s) => s.as_bytes().to_vec(),
            }),
            timeout: ms(o.timeout_ms, "timeoutMs")?.map(|v| Duration::from_millis(v as u64)),
        })
    }
}

impl From<ReplayReport> for JsReplayReport {
    fn from(r: ReplayReport) -> Self {
        JsReplayReport {
            read: r.read as f64,
            replayed: r.replayed as f64,
            skipped: r.skipped as f64,
            failed: r.failed as f64,
        }
    }
}
