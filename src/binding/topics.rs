//! Topic objects of the admin API (specs, descriptions, configs, `ensureTopics` results) and
//! the exported topic catalog.

use std::collections::HashMap;

use napi::Env;

use crate::binding::error::to_napi_error;
use crate::engine::admin::{
    self, EnsureReport, PartitionDescription, TopicConfigEntry, TopicConfigs, TopicDescription,
    TopicDifference, TopicSpec,
};

/// A topic as it should be: what `createTopics` and `ensureTopics` take and `topicCatalog`
/// returns. Settings left out are the broker's defaults.
#[napi(object, js_name = "TopicSpec")]
pub struct JsTopicSpec {
    pub name: String,
    /// Partition count. Default: the broker's `num.partitions`.
    pub partitions: Option<i32>,
    /// Replicas per partition. Default: the broker's `default.replication.factor`.
    pub replication_factor: Option<i32>,
    /// `retention.ms`; -1 keeps messages forever.
    pub retention_ms: Option<i64>,
    /// `retention.bytes` per partition; -1 for no size limit.
    pub retention_bytes: Option<i64>,
    /// `cleanup.policy`.
    #[napi(ts_type = "'delete' | 'compact' | 'compact,delete'")]
    pub cleanup_policy: Option<String>,
    /// `compression.type`.
    #[napi(ts_type = "'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd'")]
    pub compression_type: Option<String>,
    /// `min.insync.replicas`: replicas that must have a write before an `acks: -1` publish
    /// succeeds.
    pub min_insync_replicas: Option<i32>,
    /// Any other topic config, by its Kafka name (`{'segment.ms': '3600000'}`).
    pub configs: Option<HashMap<String, String>>,
    /// How producers key this topic's messages (`'job_id'`, `'resource_id'`, `'none'`, ...).
    /// Documentation only: not sent to the broker.
    pub key_strategy: Option<String>,
    /// What the topic carries. Documentation only.
    pub description: Option<String>,
}

/// The Cosmic Horizons topics (job-lifecycle, job-metrics, notifications, audit-trail,
/// system-health, element.raw_data) and the dead-letter topic `cosmic-horizons.dlq`, with
/// partitions, retention, compression, key strategy and `min.insync.replicas`. `'dev'`:
/// replication 1, min ISR 1; `'prod'`: replication 3, min ISR 2. Pass the result to
/// `ensureTopics`. Throws `ERR_INVALID_ARG` for another profile.
#[napi(ts_args_type = "profile: 'dev' | 'prod'")]
pub fn topic_catalog(env: Env, profile: String) -> napi::Result<Vec<JsTopicSpec>> {
    let profile: admin::Profile = profile.parse().map_err(|e| to_napi_error(&env, &e))?;
    Ok(admin::catalog(profile)
        .into_iter()
        .map(JsTopicSpec::from)
        .collect())
}

/// One setting of an existing topic that differs from its spec.
#[napi(object, js_name = "TopicDifference")]
pub struct JsTopicDifference {
    pub topic: String,
    /// `'partitions'`, `'replicationFactor'`, or a config's Kafka name (`'retention.ms'`, ...).
    pub setting: String,
    /// What the spec asks for.
    pub expected: String,
    /// What the cluster has; absent when the broker reports no value.
    pub actual: Option<String>,
}

/// What `ensureTopics` did and found.
#[napi(object, js_name = "EnsureTopicsResult")]
pub struct JsEnsureTopicsResult {
    /// Topics created, in the order of the specs.
    pub created: Vec<String>,
    /// Topics that already existed; they are left unchanged.
    pub existing: Vec<String>,
    /// How the existing topics differ from their specs (empty when they match).
    pub differences: Vec<JsTopicDifference>,
}

/// One partition, from the cluster's metadata.
#[napi(object, js_name = "PartitionDescription")]
pub struct JsPartitionDescription {
    pub partition: i32,
    /// Leader broker id; -1 when there is none.
    pub leader: i32,
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Fewer in-sync replicas than replicas.
    pub under_replicated: bool,
    /// No leader: neither writable nor readable.
    pub offline: bool,
}

/// A topic and its partitions.
#[napi(object, js_name = "TopicDescription")]
pub struct JsTopicDescription {
    pub name: String,
    pub replication_factor: i32,
    pub partitions: Vec<JsPartitionDescription>,
}

/// One config of a topic.
#[napi(object, js_name = "TopicConfigEntry")]
pub struct JsTopicConfigEntry {
    pub name: String,
    /// Absent for sensitive configs and configs without a value.
    pub value: Option<String>,
    /// Where the value comes from: set on the topic, a broker setting, or Kafka's default.
    #[napi(
        ts_type = "'topic' | 'dynamic-broker' | 'dynamic-default-broker' | 'static-broker' | 'default' | 'group' | 'unknown'"
    )]
    pub source: String,
    pub read_only: bool,
    pub is_default: bool,
    pub sensitive: bool,
}

/// Every config of one topic.
#[napi(object, js_name = "TopicConfigs")]
pub struct JsTopicConfigs {
    pub topic: String,
    pub entries: Vec<JsTopicConfigEntry>,
    /// The same as `{name: value}` (configs without a value left out).
    pub values: HashMap<String, String>,
}

/// A topic's new partition count, for `createPartitions`.
#[napi(object, js_name = "PartitionCount")]
pub struct JsPartitionCount {
    pub topic: String,
    /// The new total (not the number to add); must be above the current count.
    pub count: i32,
}

/// Options of `listTopics`.
#[napi(object, js_name = "ListTopicsOptions")]
pub struct JsListTopicsOptions {
    /// Include internal topics (`__consumer_offsets`, ...). Default false.
    pub include_internal: Option<bool>,
    /// Default 10000.
    pub timeout_ms: Option<u32>,
}

impl From<JsTopicSpec> for TopicSpec {
    fn from(s: JsTopicSpec) -> Self {
        let mut configs: Vec<(String, String)> =
            s.configs.unwrap_or_default().into_iter().collect();
        configs.sort();
        TopicSpec {
            name: s.name,
            partitions: s.partitions,
            replication_factor: s.replication_factor,
            retention_ms: s.retention_ms,
            retention_bytes: s.retention_bytes,
            cleanup_policy: s.cleanup_policy,
            compression_type: s.compression_type,
            min_insync_replicas: s.min_insync_replicas,
            configs,
            key_strategy: s.key_strategy,
            description: s.description,
        }
    }
}

impl From<TopicSpec> for JsTopicSpec {
    fn from(s: TopicSpec) -> Self {
        JsTopicSpec {
            name: s.name,
            partitions: s.partitions,
            replication_factor: s.replication_factor,
            retention_ms: s.retention_ms,
            retention_bytes: s.retention_bytes,
            cleanup_policy: s.cleanup_policy,
            compression_type: s.compression_type,
            min_insync_replicas: s.min_insync_replicas,
            configs: (!s.configs.is_empty()).then(|| s.configs.into_iter().collect()),
            key_strategy: s.key_strategy,
            description: s.description,
        }
    }
}

impl From<TopicDifference> for JsTopicDifference {
    fn from(d: TopicDifference) -> Self {
        JsTopicDifference {
            topic: d.topic,
            setting: d.setting,
            expected: d.expected,
            actual: d.actual,
        }
    }
}

impl From<EnsureReport> for JsEnsureTopicsResult {
    fn from(r: EnsureReport) -> Self {
        JsEnsureTopicsResult {
            created: r.created,
            existing: r.existing,
            differences: r.differences.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<PartitionDescription> for JsPartitionDescription {
    fn from(p: PartitionDescription) -> Self {
        JsPartitionDescription {
            partition: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            under_replicated: p.under_replicated,
            offline: p.offline,
        }
    }
}

impl From<TopicDescription> for JsTopicDescription {
    fn from(t: TopicDescription) -> Self {
        JsTopicDescription {
            name: t.name,
            replication_factor: t.replication_factor,
            partitions: t.partitions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<TopicConfigEntry> for JsTopicConfigEntry {
    fn from(e: TopicConfigEntry) -> Self {
        JsTopicConfigEntry {
            name: e.name,
            value: e.value,
            source: e.source.as_str().to_string(),
            read_only: e.read_only,
            is_default: e.is_default,
            sensitive: e.sensitive,
        }
    }
}

impl From<TopicConfigs> for JsTopicConfigs {
    fn from(c: TopicConfigs) -> Self {
        let values = c
            .entries
            .iter()
            .filter_map(|e| e.value.clone().map(|v| (e.name.clone(), v)))
            .collect();
        JsTopicConfigs {
            topic: c.topic,
            entries: c.entries.into_iter().map(Into::into).collect(),
            values,
        }
    }
}
