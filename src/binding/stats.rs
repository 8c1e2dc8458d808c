//! `stats()` as JS objects.

use std::collections::HashMap;

use crate::binding::figures::{event_type_figures, topic_figures, JsTopicFigures};
use crate::engine::latency::LatencySummary;
use crate::engine::service::StatsSnapshot;
use crate::engine::stats::{
    BrokerSnapshot, ConsumerSnapshot, PartitionLag, ProducerSnapshot, TopicCounters,
};

/// Latency percentiles in milliseconds, from an HDR histogram.
#[napi(object, js_name = "Latency")]
pub struct JsLatency {
    pub count: i64,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
}

/// Producer counters of one topic.
#[napi(object, js_name = "TopicStats")]
pub struct JsTopicStats {
    pub sent: i64,
    pub acknowledged: i64,
    pub failed: i64,
    pub bytes: i64,
}

/// What the producer has done.
#[napi(object, js_name = "ProducerStats")]
pub struct JsProducerStats {
    pub sent: i64,
    pub acknowledged: i64,
    pub failed: i64,
    pub in_flight: i64,
    pub bytes: i64,
    pub per_topic: HashMap<String, JsTopicStats>,
    /// From `publish` to the broker's acknowledgement.
    pub ack_latency: JsLatency,
}

/// Lag of one assigned partition.
#[napi(object, js_name = "PartitionLag")]
pub struct JsPartitionLag {
    pub topic: String,
    pub partition: i32,
    pub lag: i64,
}

/// What the subscriptions have consumed.
#[napi(object, js_name = "ConsumerStats")]
pub struct JsConsumerStats {
    pub consumed: i64,
    pub processed: i64,
    /// Handler calls that failed (rejected, threw, or timed out).
    pub handler_failures: i64,
    /// Handler calls abandoned after `handlerTimeoutMs` (also counted in `handlerFailures`).
    pub handler_timeouts: i64,
    /// Duration of each handler delivery (one `eachBatch` call, or one batch of `eachMessage`
    /// calls).
    pub handler_latency: JsLatency,
    pub lag: Vec<JsPartitionLag>,
}

/// A broker, from librdkafka's statistics.
#[napi(object, js_name = "BrokerStats")]
pub struct JsBrokerStats {
    pub id: i32,
    pub name: String,
    /// `'UP'`, `'DOWN'`, `'CONNECT'`, `'AUTH'`, ...
    pub state: String,
    pub rtt_avg_ms: f64,
    pub rtt_p99_ms: f64,
}

/// Everything `stats()` returns.
#[napi(object, js_name = "ServiceStats")]
pub struct JsServiceStats {
    #[napi(ts_type = "'idle' | 'connected' | 'disconnected'")]
    pub state: String,
    pub producer: JsProducerStats,
    pub consumer: JsConsumerStats,
    pub brokers: Vec<JsBrokerStats>,
    pub subscriptions: u32,
    /// Per topic: publishes, acknowledgements, errors by code, ack latency, messages processed,
    /// handler and end-to-end latency.
    pub topics: HashMap<String, JsTopicFigures>,
    /// The same per event type, when `eventTypeHeader` is configured (at most 100 types; later
    /// ones under `'(other)'`).
    pub event_types: HashMap<String, JsTopicFigures>,
}

impl From<LatencySummary> for JsLatency {
    fn from(l: LatencySummary) -> Self {
        JsLatency {
            count: l.count as i64,
            min: l.min,
            p50: l.p50,
            p95: l.p95,
            p99: l.p99,
            p999: l.p999,
            max: l.max,
            mean: l.mean,
            stddev: l.stddev,
        }
    }
}

impl From<TopicCounters> for JsTopicStats {
    fn from(c: TopicCounters) -> Self {
        JsTopicStats {
            sent: c.sent as i64,
            acknowledged: c.acknowledged as i64,
            failed: c.failed as i64,
            bytes: c.bytes as i64,
        }
    }
}

impl From<ProducerSnapshot> for JsProducerStats {
    fn from(p: ProducerSnapshot) -> Self {
        JsProducerStats {
            sent: p.sent as i64,
            acknowledged: p.acknowledged as i64,
            failed: p.failed as i64,
            in_flight: p.in_flight as i64,
            bytes: p.bytes as i64,
            per_topic: p
                .per_topic
                .into_iter()
                .map(|(t, c)| (t, c.into()))
                .collect(),
            ack_latency: p.ack_latency.into(),
        }
    }
}

impl From<PartitionLag> for JsPartitionLag {
    fn from(l: PartitionLag) -> Self {
        JsPartitionLag {
            topic: l.topic,
            partition: l.partition,
            lag: l.lag,
        }
    }
}

impl From<ConsumerSnapshot> for JsConsumerStats {
    fn from(c: ConsumerSnapshot) -> Self {
        JsConsumerStats {
            consumed: c.consumed as i64,
            processed: c.processed as i64,
            handler_failures: c.handler_failures as i64,
            handler_timeouts: c.handler_timeouts as i64,
            handler_latency: c.handler_latency.into(),
            lag: c.lag.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<BrokerSnapshot> for JsBrokerStats {
    fn from(b: BrokerSnapshot) -> Self {
        JsBrokerStats {
            id: b.id,
            name: b.name,
            state: b.state,
            rtt_avg_ms: b.rtt_avg_ms,
            rtt_p99_ms: b.rtt_p99_ms,
        }
    }
}

impl From<StatsSnapshot> for JsServiceStats {
    fn from(s: StatsSnapshot) -> Self {
        let topics = topic_figures(&s);
        let event_types = event_type_figures(&s);
        JsServiceStats {
            topics,
            event_types,
            state: s.state.as_str().to_string(),
            producer: s.producer.into(),
            consumer: s.consumer.into(),
            brokers: s.brokers.into_iter().map(Into::into).collect(),
            subscriptions: s.subscriptions as u32,
        }
    }
}
