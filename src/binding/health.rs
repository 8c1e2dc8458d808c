//! The cluster objects of the admin API: `describeCluster` and `health` results.

use std::time::Duration;

use napi::bindgen_prelude::Unknown;
use napi::Env;

use crate::binding::args::{read_optional, timeout_of};
use crate::binding::service::JsBrokerInfo;
use crate::binding::subscription::JsTopicPartition;
use crate::engine::admin::{BrokerHealth, ClusterDescription, HealthReport, PartitionRef};
use crate::engine::error::{EngineError, EngineResult};

/// Brokers, controller and id of the cluster.
#[napi(object, js_name = "ClusterDescription")]
pub struct JsClusterDescription {
    /// Absent for brokers too old to report one.
    pub cluster_id: Option<String>,
    /// The controller id the metadata reports (in KRaft clusters, brokers report one of the
    /// live brokers: the active controller is not reachable by clients).
    pub controller: Option<i32>,
    /// Registered, unfenced brokers, by id.
    #[napi(ts_type = "Array<BrokerInfo>")]
    pub brokers: Vec<JsBrokerInfo>,
}

/// A broker and whether it answered.
#[napi(object, js_name = "BrokerHealth")]
pub struct JsBrokerHealth {
    /// Broker id; -1 for a bootstrap address when no broker could be reached.
    pub id: i32,
    pub host: String,
    /// -1 when the broker is known only as a partition's replica.
    pub port: i32,
    /// The broker answered a request sent to it on its own connection (DescribeConfigs of its
    /// own configs) within the timeout. Brokers named as replicas but missing from the
    /// metadata (fenced or stopped) are listed with `up: false`.
    pub up: bool,
}

/// Partitions that need attention.
#[napi(object, js_name = "HealthTopics")]
pub struct JsHealthTopics {
    /// Fewer in-sync replicas than replicas (a broker is down or behind).
    #[napi(ts_type = "Array<TopicPartition>")]
    pub under_replicated: Vec<JsTopicPartition>,
    /// No leader: neither writable nor readable.
    #[napi(ts_type = "Array<TopicPartition>")]
    pub offline: Vec<JsTopicPartition>,
}

/// Why the cluster could not be examined.
#[napi(object, js_name = "HealthError")]
pub struct JsHealthError {
    /// `'ERR__TIMED_OUT'`, `'ERR__TRANSPORT'`, ...
    pub code: String,
    pub message: String,
    pub retriable: bool,
}

/// What `health()` found, in one bounded call.
#[napi(object, js_name = "HealthReport")]
pub struct JsHealthReport {
    /// The cluster answered, every broker is up, and no partition is under-replicated or
    /// offline.
    pub healthy: bool,
    /// Round trip of the metadata request in ms; absent when no broker answered.
    pub latency_ms: Option<f64>,
    pub cluster_id: Option<String>,
    /// The controller id the metadata reports.
    pub controller: Option<i32>,
    pub brokers: Vec<JsBrokerHealth>,
    pub topics: JsHealthTopics,
    /// Set when no broker answered within the timeout (`healthy` is then false).
    pub error: Option<JsHealthError>,
}

/// Options of `health()`.
#[napi(object, js_name = "HealthOptions")]
pub struct JsHealthOptions {
    /// Bound on the whole check. Default 10000.
    pub timeout_ms: Option<u32>,
}

/// The timeout of `health()`'s optional `HealthOptions`.
pub fn health_timeout(env: &Env, options: Option<Unknown<'_>>) -> EngineResult<Duration> {
    let o: Option<JsHealthOptions> = read_optional(env, options, "options")?;
    timeout_of(o.and_then(|o| o.timeout_ms))
}

impl From<ClusterDescription> for JsClusterDescription {
    fn from(c: ClusterDescription) -> Self {
        JsClusterDescription {
            cluster_id: c.cluster_id,
            controller: c.controller_id,
            brokers: c.brokers.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<BrokerHealth> for JsBrokerHealth {
    fn from(b: BrokerHealth) -> Self {
        JsBrokerHealth {
            id: b.id,
            host: b.host,
            port: b.port,
            up: b.up,
        }
    }
}

impl From<&EngineError> for JsHealthError {
    fn from(e: &EngineError) -> Self {
        JsHealthError {
            code: e.code(),
            message: e.to_string(),
            retriable: e.retriable(),
        }
    }
}

impl From<PartitionRef> for JsTopicPartition {
    fn from(p: PartitionRef) -> Self {
        JsTopicPartition {
            topic: p.topic,
            partition: p.partition,
        }
    }
}

impl From<HealthReport> for JsHealthReport {
    fn from(h: HealthReport) -> Self {
        JsHealthReport {
            healthy: h.healthy,
            latency_ms: h.latency_ms,
            cluster_id: h.cluster_id,
            controller: h.controller_id,
            brokers: h.brokers.into_iter().map(Into::into).collect(),
            topics: JsHealthTopics {
                under_replicated: h.under_replicated.into_iter().map(Into::into).collect(),
                offline: h.offline.into_iter().map(Into::into).collect(),
            },
            error: h.error.as_ref().map(Into::into),
        }
    }
}
