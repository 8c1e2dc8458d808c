//! `stats().topics` and `stats().eventTypes` as JS objects.

use std::collections::{BTreeMap, HashMap};

use crate::binding::stats::JsLatency;
use crate::engine::metrics::topics::{ProcessSnapshot, PublishSnapshot};
use crate::engine::service::StatsSnapshot;

/// Everything known about one topic (or one event type): what was published to it and what the
/// subscriptions processed from it. Latencies in milliseconds.
#[napi(object, js_name = "TopicFigures")]
pub struct JsTopicFigures {
    /// Messages the broker acknowledged.
    pub acknowledged: i64,
    /// Publishes that failed.
    pub failed: i64,
    /// Failed publishes by error code (`ERR__MSG_TIMED_OUT`, ...).
    pub errors: HashMap<String, i64>,
    /// From `publish` to the broker's acknowledgement.
    #[napi(ts_type = "Latency")]
    pub ack_latency: JsLatency,
    /// Messages whose handler finished.
    pub processed: i64,
    /// Failed handler calls (for an event type: those failing at a message of that type).
    pub handler_failures: i64,
    /// Duration of each handler call (per topic; zero for event types: a call may span several).
    #[napi(ts_type = "Latency")]
    pub handler_latency: JsLatency,
    /// From the message's timestamp to the end of its handler call.
    #[napi(ts_type = "Latency")]
    pub end_to_end_latency: JsLatency,
}

fn figures(p: Option<&PublishSnapshot>, c: Option<&ProcessSnapshot>) -> JsTopicFigures {
    let p = p.cloned().unwrap_or_default();
    let c = c.cloned().unwrap_or_default();
    JsTopicFigures {
        acknowledged: p.acknowledged as i64,
        failed: p.errors.values().sum::<u64>() as i64,
        errors: p.errors.into_iter().map(|(k, v)| (k, v as i64)).collect(),
        ack_latency: p.ack_latency.summary.into(),
        processed: c.processed as i64,
        handler_failures: c.handler_failures as i64,
        handler_latency: c.handler_latency.summary.into(),
        end_to_end_latency: c.end_to_end_latency.summary.into(),
    }
}

fn merge(
    published: &BTreeMap<String, PublishSnapshot>,
    processed: &BTreeMap<String, ProcessSnapshot>,
) -> HashMap<String, JsTopicFigures> {
    published
        .keys()
        .chain(processed.keys())
        .map(|name| {
            (
                name.clone(),
                figures(published.get(name), processed.get(name)),
            )
        })
        .collect()
}

/// Figures per topic, from both the producer and the subscriptions.
pub fn topic_figures(s: &StatsSnapshot) -> HashMap<String, JsTopicFigures> {
    merge(&s.producer_figures.topics, &s.consumer_figures.topics)
}

/// Figures per event type (`eventTypeHeader`), from both the producer and the subscriptions.
pub fn event_type_figures(s: &StatsSnapshot) -> HashMap<String, JsTopicFigures> {
    merge(
        &s.producer_figures.event_types,
        &s.consumer_figures.event_types,
    )
}
