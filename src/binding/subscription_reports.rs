//! A subscription's commit, heartbeat and poll-round reports (`onCommit`, `onHeartbeat`,
//! `onFetch`), handed to JS through weak thread-safe functions: a listener never keeps Node
//! alive, and one that throws is caught.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;

use crate::binding::config::JsSubscribeOptions;
use crate::binding::error::invalid_arg;
use crate::engine::consumer::{CommitReport, FetchReport, HeartbeatReport, Reports};
use crate::engine::error::EngineResult;

/// A commit of the member's offsets that the group coordinator accepted (`onCommit`): the
/// interval's auto-commit, a rebalance's, the stop's, or `commit()`'s.
#[napi(object, js_name = "SubscriptionCommit")]
pub struct JsSubscriptionCommit {
    pub group_id: String,
    /// The member id as of the member's latest rebalance or commit ('' before its first join).
    pub member_id: String,
    /// The group generation as of the same moment (-1 before the first join).
    pub generation_id: i32,
    /// The partitions whose offset this commit wrote.
    #[napi(ts_type = "Array<CommittedOffset>")]
    pub offsets: Vec<JsCommittedOffset>,
}

/// One partition's committed offset.
#[napi(object, js_name = "CommittedOffset")]
pub struct JsCommittedOffset {
    pub topic: String,
    pub partition: i32,
    /// The offset of the next message the group consumes there (a string: offsets are 64-bit).
    pub offset: String,
}

/// Group heartbeats the member sent since the previous report (`onHeartbeat`), as librdkafka's
/// statistics count them: reported at the statistics interval that saw them.
#[napi(object, js_name = "SubscriptionHeartbeat")]
pub struct JsSubscriptionHeartbeat {
    pub group_id: String,
    /// As in `SubscriptionCommit`.
    pub member_id: String,
    pub generation_id: i32,
    /// Heartbeat requests sent since the previous report (at least 1).
    pub count: u32,
}

/// What one round of the subscription's poll loop handed to its handlers from one broker
/// (`onFetch`).
#[napi(object, js_name = "SubscriptionFetch")]
pub struct JsSubscriptionFetch {
    /// The broker the round's messages came from; -1 for a round with nothing, reported once
    /// 5 s passed without messages.
    pub node_id: i32,
    /// Runs of consecutive messages of one partition handed on.
    pub batches: u32,
    /// Ms from the end of the previous reported round (or the start) to this one.
    pub duration_ms: f64,
}

impl From<CommitReport> for JsSubscriptionCommit {
    fn from(r: CommitReport) -> Self {
        JsSubscriptionCommit {
            group_id: r.group_id,
            member_id: r.member_id,
            generation_id: r.generation_id,
            offsets: r
                .offsets
                .into_iter()
                .map(|o| JsCommittedOffset {
                    topic: o.topic,
                    partition: o.partition,
                    offset: o.offset.to_string(),
                })
                .collect(),
        }
    }
}

impl From<HeartbeatReport> for JsSubscriptionHeartbeat {
    fn from(r: HeartbeatReport) -> Self {
        JsSubscriptionHeartbeat {
            group_id: r.group_id,
            member_id: r.member_id,
            generation_id: r.generation_id,
            count: u32::try_from(r.count).unwrap_or(u32::MAX),
        }
    }
}

impl From<FetchReport> for JsSubscriptionFetch {
    fn from(r: FetchReport) -> Self {
        JsSubscriptionFetch {
            node_id: r.node_id,
            batches: u32::try_from(r.batches).unwrap_or(u32::MAX),
            duration_ms: r.duration.as_secs_f64() * 1000.0,
        }
    }
}

/// The reports the JS options ask for (`onCommit`, `onHeartbeat`, `onFetch`); none when they name
/// no callback.
pub fn reports(env: &Env, js: &JsSubscribeOptions<'_>) -> EngineResult<Reports> {
    let mut reports = Reports::default();
    if let Some(f) = &js.on_commit {
        let sink = weak_sink::<JsSubscriptionCommit>(env, f)
            .map_err(|e| invalid_arg("onCommit", e.reason.clone()))?;
        reports.commits = Some(Arc::new(move |r: CommitReport| sink(r.into())));
    }
    if let Some(f) = &js.on_heartbeat {
        let sink = weak_sink::<JsSubscriptionHeartbeat>(env, f)
            .map_err(|e| invalid_arg("onHeartbeat", e.reason.clone()))?;
        reports.heartbeats = Some(Arc::new(move |r: HeartbeatReport| sink(r.into())));
    }
    if let Some(f) = &js.on_fetch {
        let sink = weak_sink::<Vec<JsSubscriptionFetch>>(env, f)
            .map_err(|e| invalid_arg("onFetch", e.reason.clone()))?;
        reports.fetches = Some(Arc::new(move |r: Vec<FetchReport>| {
            sink(r.into_iter().map(JsSubscriptionFetch::from).collect())
        }));
    }
    Ok(reports)
}

/// Calls `f` with each value, on the JS thread, without waiting and without keeping Node alive.
fn weak_sink<T: ToNapiValue + Send + 'static>(
    env: &Env,
    f: &Function<'_, Unknown<'_>, ()>,
) -> Result<Arc<dyn Fn(T) + Send + Sync>> {
    let typed: Function<T, ()> = unsafe { Function::from_napi_value(env.raw(), f.raw())? };
    let tsfn: ThreadsafeFunction<T, (), T, Status, false, true> = typed
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(Arc::new(move |value: T| {
        // The returning variant hands a throw from the listener to us instead of crashing Node.
        let _ =
            tsfn.call_with_return_value(value, ThreadsafeFunctionCallMode::NonBlocking, |_, _| {
                Ok(())
            });
    }))
}
