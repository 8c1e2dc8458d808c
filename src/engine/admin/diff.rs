//! How an existing topic differs from its spec: what `ensure_topics` reports instead of
//! changing anything.

use std::collections::HashMap;

use crate::engine::admin::spec::{TopicSpec, CLEANUP_POLICY};

/// One setting of an existing topic that is not what its spec asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDifference {
    pub topic: String,
    /// `partitions`, `replicationFactor`, or a config's Kafka name (`retention.ms`, ...).
    pub setting: String,
    /// What the spec asks for.
    pub expected: String,
    /// What the cluster has; `None` when the broker did not report the config at all.
    pub actual: Option<String>,
}

/// What the cluster says about an existing topic, as far as a spec can ask about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedTopic {
    pub partitions: i32,
    /// Replicas of the partition with the most (they are normally all the same).
    pub replication_factor: i32,
    /// The topic's effective configs (defaults included), by name.
    pub configs: HashMap<String, String>,
}

/// The settings `spec` names that `observed` does not match, in the spec's order. Settings the
/// spec leaves to the broker are not compared.
pub fn differences(spec: &TopicSpec, observed: &ObservedTopic) -> Vec<TopicDifference> {
    let mut out = Vec::new();
    let mut differ = |setting: &str, expected: String, actual: Option<String>| {
        out.push(TopicDifference {
            topic: spec.name.clone(),
            setting: setting.to_string(),
            expected,
            actual,
        });
    };
    if let Some(p) = spec.partitions {
        if p != observed.partitions {
            differ(
                "partitions",
                p.to_string(),
                Some(observed.partitions.to_string()),
            );
        }
    }
    if let Some(r) = spec.replication_factor {
        if r != observed.replication_factor {
            differ(
                "replicationFactor",
                r.to_string(),
                Some(observed.replication_factor.to_string()),
            );
        }
    }
    for (name, expected) in spec.config_entries() {
        let actual = observed.configs.get(&name);
        if actual.map(|a| normalize(&name, a)) != Some(normalize(&name, &expected)) {
            differ(&name, expected, actual.cloned());
        }
    }
    out
}

/// A config value in a form where equal settings compare equal: trimmed, and list-typed
/// `cleanup.policy` in a fixed order.
fn normalize(name: &str, value: &str) -> String {
    if name == CLEANUP_POLICY {
        let mut parts: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        parts.sort_unstable();
        parts.join(",")
    } else {
        value.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::admin::{catalog, Profile};

    fn observed_as(spec: &TopicSpec) -> ObservedTopic {
        let mut configs: HashMap<String, String> = spec.config_entries().into_iter().collect();
        configs.insert("segment.bytes".into(), "1073741824".into());
        ObservedTopic {
            partitions: spec.partitions.unwrap_or(1),
            replication_factor: spec.replication_factor.unwrap_or(1),
            configs,
        }
    }

    #[test]
    fn a_topic_as_specified_has_no_differences() {
        for spec in catalog(Profile::Dev) {
            assert_eq!(
                differences(&spec, &observed_as(&spec)),
                vec![],
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn each_setting_that_differs_is_reported() {
        let spec = catalog(Profile::Prod)
            .into_iter()
            .find(|s| s.name == "job-lifecycle")
            .unwrap();
        let mut observed = observed_as(&spec);
        observed.partitions = 6;
        observed.replication_factor = 1;
        observed
            .configs
            .insert("retention.ms".into(), "604800000".into());
        observed.configs.remove("compression.type");
        let found = differences(&spec, &observed);
        let settings: Vec<(&str, &str, Option<&str>)> = found
            .iter()
            .map(|d| (d.setting.as_str(), d.expected.as_str(), d.actual.as_deref()))
            .collect();
        assert_eq!(
            settings,
            vec![
                ("partitions", "3", Some("6")),
                ("replicationFactor", "3", Some("1")),
                ("retention.ms", "2592000000", Some("604800000")),
                ("compression.type", "gzip", None),
            ]
        );
        assert!(found.iter().all(|d| d.topic == "job-lifecycle"));
    }

    #[test]
    fn unspecified_settings_and_list_order_do_not_count() {
        let spec = TopicSpec {
            cleanup_policy: Some("delete,compact".into()),
            ..TopicSpec::new("t")
        };
        let observed = ObservedTopic {
            partitions: 12,
            replication_factor: 3,
            configs: [("cleanup.policy".to_string(), "compact, delete".to_string())]
                .into_iter()
                .collect(),
        };
        assert_eq!(differences(&spec, &observed), vec![]);
    }
}
