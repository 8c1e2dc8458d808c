//! `TopicSpec`: how a topic should look. What `create_topics` and `ensure_topics` take and what
//! the catalog holds.

use std::collections::HashSet;

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// Topic-level configs a spec names with typed fields.
pub(crate) const RETENTION_MS: &str = "retention.ms";
pub(crate) const RETENTION_BYTES: &str = "retention.bytes";
pub(crate) const CLEANUP_POLICY: &str = "cleanup.policy";
pub(crate) const COMPRESSION_TYPE: &str = "compression.type";
pub(crate) const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";

const TYPED_CONFIGS: &[&str] = &[
    RETENTION_MS,
    RETENTION_BYTES,
    CLEANUP_POLICY,
    COMPRESSION_TYPE,
    MIN_INSYNC_REPLICAS,
];
const CLEANUP_POLICIES: &[&str] = &["delete", "compact"];
const COMPRESSION_TYPES: &[&str] = &["uncompressed", "producer", "gzip", "snappy", "lz4", "zstd"];

/// A topic as it should be. `None` leaves a setting to the broker's default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopicSpec {
    pub name: String,
    /// Partition count; `None` takes the broker's `num.partitions`.
    pub partitions: Option<i32>,
    /// Replicas per partition; `None` takes the broker's `default.replication.factor`.
    pub replication_factor: Option<i32>,
    /// `retention.ms`; -1 keeps messages forever.
    pub retention_ms: Option<i64>,
    /// `retention.bytes` per partition; -1 for no size limit.
    pub retention_bytes: Option<i64>,
    /// `cleanup.policy`: `delete`, `compact` or `compact,delete`.
    pub cleanup_policy: Option<String>,
    /// `compression.type`: `producer`, `uncompressed`, `gzip`, `snappy`, `lz4` or `zstd`.
    pub compression_type: Option<String>,
    /// `min.insync.replicas`: replicas that must have a write before `acks=all` succeeds.
    pub min_insync_replicas: Option<i32>,
    /// Any other topic-level config, by its Kafka name.
    pub configs: Vec<(String, String)>,
    /// How producers key this topic's messages (`job_id`, `none`, ...). Documentation for
    /// producers; not a broker setting.
    pub key_strategy: Option<String>,
    /// What the topic carries. Documentation; not a broker setting.
    pub description: Option<String>,
}

impl TopicSpec {
    /// A spec for `name` that leaves every setting to the broker.
    pub fn new(name: &str) -> Self {
        TopicSpec {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Rejects what no broker would accept, with `ERR_INVALID_ARG` (or `ERR_TOPIC_EXCEPTION`
    /// for a bad name) naming the topic.
    pub fn validate(&self) -> EngineResult<()> {
        validate_topic(&self.name)?;
        let bad = |what: String| EngineError::InvalidArg(format!("topic '{}': {what}", self.name));
        if let Some(p) = self.partitions {
            if p < 1 {
                return Err(bad(format!("partitions must be at least 1 (got {p})")));
            }
        }
        if let Some(r) = self.replication_factor {
            if !(1..=i16::MAX as i32).contains(&r) {
                return Err(bad(format!(
                    "replicationFactor must be at least 1 (got {r})"
                )));
            }
        }
        for (what, v) in [
            ("retentionMs", self.retention_ms),
            ("retentionBytes", self.retention_bytes),
        ] {
            if let Some(v) = v {
                if v < -1 {
                    return Err(bad(format!(
                        "{what} must be -1 (unlimited) or more (got {v})"
                    )));
                }
            }
        }
        if let Some(policy) = &self.cleanup_policy {
            let parts: Vec<&str> = policy.split(',').map(str::trim).collect();
            if parts.is_empty() || parts.iter().any(|p| !CLEANUP_POLICIES.contains(p)) {
                return Err(bad(format!(
                    "cleanupPolicy must be delete, compact or compact,delete (got '{policy}')"
                )));
            }
        }
        if let Some(c) = &self.compression_type {
            if !COMPRESSION_TYPES.contains(&c.as_str()) {
                return Err(bad(format!(
                    "compressionType must be one of {} (got '{c}')",
                    COMPRESSION_TYPES.join(", ")
                )));
            }
        }
        if let Some(m) = self.min_insync_replicas {
            if m < 1 {
                return Err(bad(format!(
                    "minInsyncReplicas must be at least 1 (got {m})"
                )));
            }
            if let Some(r) = self.replication_factor {
                if m > r {
                    return Err(bad(format!(
                        "minInsyncReplicas ({m}) above replicationFactor ({r}) would refuse every acks=all write"
                    )));
                }
            }
        }
        let mut seen = HashSet::new();
        for (k, _) in &self.configs {
            if TYPED_CONFIGS.contains(&k.as_str()) && self.typed_value(k).is_some() {
                return Err(bad(format!("'{k}' is set both as a field and in configs")));
            }
            if !seen.insert(k.as_str()) {
                return Err(bad(format!("'{k}' appears twice in configs")));
            }
        }
        Ok(())
    }

    fn typed_value(&self, key: &str) -> Option<String> {
        match key {
            RETENTION_MS => self.retention_ms.map(|v| v.to_string()),
            RETENTION_BYTES => self.retention_bytes.map(|v| v.to_string()),
            CLEANUP_POLICY => self.cleanup_policy.clone(),
            COMPRESSION_TYPE => self.compression_type.clone(),
            MIN_INSYNC_REPLICAS => self.min_insync_replicas.map(|v| v.to_string()),
            _ => None,
        }
    }

    /// The topic-level configs this spec sets, by Kafka name: the typed ones first, then
    /// `configs` in order.
    pub fn config_entries(&self) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = TYPED_CONFIGS
            .iter()
            .filter_map(|k| self.typed_value(k).map(|v| (k.to_string(), v)))
            .collect();
        entries.extend(self.configs.iter().cloned());
        entries
    }
}

/// Refuses a list of specs with a bad spec or a name given twice.
pub(crate) fn validate_specs(specs: &[TopicSpec]) -> EngineResult<()> {
    let mut names = HashSet::new();
    for s in specs {
        s.validate()?;
        if !names.insert(s.name.as_str()) {
            return Err(EngineError::InvalidArg(format!(
                "topic '{}' appears twice",
                s.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TopicSpec {
        TopicSpec {
            partitions: Some(3),
            replication_factor: Some(3),
            retention_ms: Some(1000),
            compression_type: Some("gzip".into()),
            min_insync_replicas: Some(2),
            configs: vec![("segment.ms".into(), "60000".into())],
            ..TopicSpec::new("t")
        }
    }

    #[test]
    fn config_entries_list_typed_settings_then_extras() {
        assert_eq!(
            spec().config_entries(),
            vec![
                ("retention.ms".to_string(), "1000".to_string()),
                ("compression.type".to_string(), "gzip".to_string()),
                ("min.insync.replicas".to_string(), "2".to_string()),
                ("segment.ms".to_string(), "60000".to_string()),
            ]
        );
    }

    #[test]
    fn invalid_specs_are_refused() {
        spec().validate().unwrap();
        let cases = [
            TopicSpec {
                partitions: Some(0),
                ..spec()
            },
            TopicSpec {
                replication_factor: Some(0),
                ..spec()
            },
            TopicSpec {
                retention_ms: Some(-2),
                ..spec()
            },
            TopicSpec {
                cleanup_policy: Some("forever".into()),
                ..spec()
            },
            TopicSpec {
                compression_type: Some("brotli".into()),
                ..spec()
            },
            TopicSpec {
                min_insync_replicas: Some(4),
                ..spec()
            },
            TopicSpec {
                configs: vec![("retention.ms".into(), "1".into())],
                ..spec()
            },
        ];
        for c in cases {
            assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_ARG", "{c:?}");
        }
        assert_eq!(
            TopicSpec::new("bad name").validate().unwrap_err().code(),
            "ERR_TOPIC_EXCEPTION"
        );
        assert_eq!(
            validate_specs(&[spec(), spec()]).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        TopicSpec {
            cleanup_policy: Some("compact,delete".into()),
            ..spec()
        }
        .validate()
        .unwrap();
    }
}
