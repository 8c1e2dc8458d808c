//! The `cosmic-horizons` preset (seed 000): the Cosmic Horizons topic catalog: every topic the platform uses, with its partitions,
//! retention, compression and key strategy, in a `dev` and a `prod` profile.
//! `ensure_topics(&catalog(Profile::Dev))` sets up a fresh cluster.

use crate::engine::admin::TopicSpec;
use crate::engine::catalogs::Profile;

/// Where messages that kept failing their handler are parked, with their original key.
pub const DEAD_LETTER_TOPIC: &str = "cosmic-horizons.dlq";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const GIB: i64 = 1024 * 1024 * 1024;

struct Entry {
    name: &'static str,
    dev_partitions: i32,
    prod_partitions: i32,
    retention_days: i64,
    retention_bytes: Option<i64>,
    compression: Option<&'static str>,
    key_strategy: &'static str,
    description: &'static str,
}

// From the sprint plans: job-lifecycle, job-metrics, notifications and audit-trail as
// KafkaService created them (partitions, retention, gzip); system-health from the five-topic
// design; element.raw_data from the data-plane guide (1 partition in dev, 3 in prod, 7 days or
// 100 GB, snappy, delete). min.insync.replicas follows the profile: the plans ask for 2 on
// job-lifecycle and audit-trail and set 2 as the production cluster's default.
const ENTRIES: &[Entry] = &[
    Entry {
        name: "job-lifecycle",
        dev_partitions: 3,
        prod_partitions: 3,
        retention_days: 30,
        retention_bytes: None,
        compression: Some("gzip"),
        key_strategy: "job_id",
        description: "Job lifecycle events: submitted, status changed, completed, failed. Keyed by job id so a job's events stay in order.",
    },
    Entry {
        name: "job-metrics",
        dev_partitions: 2,
        prod_partitions: 2,
        retention_days: 7,
        retention_bytes: None,
        compression: Some("gzip"),
        key_strategy: "job_id",
        description: "Job performance metrics: CPU, GPU, memory, I/O. Keyed by job id.",
    },
    Entry {
        name: "notifications",
        dev_partitions: 1,
        prod_partitions: 1,
        retention_days: 7,
        retention_bytes: None,
        compression: None,
        key_strategy: "none",
        description: "User notifications and alerts, broadcast to every dispatcher (no key, one partition).",
    },
    Entry {
        name: "audit-trail",
        dev_partitions: 3,
        prod_partitions: 3,
        retention_days: 90,
        retention_bytes: None,
        compression: Some("gzip"),
        key_strategy: "resource_id",
        description: "Audit trail for compliance and operational auditing (90 days). Keyed by resource id.",
    },
    Entry {
        name: "system-health",
        dev_partitions: 1,
        prod_partitions: 1,
        retention_days: 7,
        retention_bytes: None,
        compression: None,
        key_strategy: "none",
        description: "Infrastructure health events from the health monitor (a singleton stream, no key).",
    },
    Entry {
        name: "element.raw_data",
        dev_partitions: 1,
        prod_partitions: 3,
        retention_days: 7,
        retention_bytes: Some(100 * GIB),
        compression: Some("snappy"),
        key_strategy: "element_id",
        description: "Raw visibility data and sensor telemetry from array elements (7 days or 100 GB per partition). Keyed by element id.",
    },
    Entry {
        name: DEAD_LETTER_TOPIC,
        dev_partitions: 3,
        prod_partitions: 3,
        retention_days: 30,
        retention_bytes: None,
        compression: None,
        key_strategy: "source_key",
        description: "Dead letters: messages whose handler kept failing, with their original key and the failure in headers.",
    },
];

/// Every catalog topic for `profile`, in a fixed order.
pub fn catalog(profile: Profile) -> Vec<TopicSpec> {
    ENTRIES
        .iter()
        .map(|e| TopicSpec {
            name: e.name.to_string(),
            partitions: Some(match profile {
                Profile::Dev => e.dev_partitions,
                Profile::Prod => e.prod_partitions,
            }),
            replication_factor: Some(profile.replication_factor()),
            retention_ms: Some(e.retention_days * DAY_MS),
            retention_bytes: e.retention_bytes,
            cleanup_policy: Some("delete".to_string()),
            compression_type: e.compression.map(String::from),
            min_insync_replicas: Some(profile.min_insync_replicas()),
            configs: Vec::new(),
            key_strategy: Some(e.key_strategy.to_string()),
            description: Some(e.description.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::admin::spec::validate_specs;

    fn find<'a>(specs: &'a [TopicSpec], name: &str) -> &'a TopicSpec {
        specs.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn catalog_holds_the_seed_topics_and_a_dead_letter_topic() {
        let dev = catalog(Profile::Dev);
        let names: Vec<&str> = dev.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "job-lifecycle",
                "job-metrics",
                "notifications",
                "audit-trail",
                "system-health",
                "element.raw_data",
                DEAD_LETTER_TOPIC
            ]
        );
        validate_specs(&dev).unwrap();
        validate_specs(&catalog(Profile::Prod)).unwrap();

        let lifecycle = find(&dev, "job-lifecycle");
        assert_eq!(lifecycle.partitions, Some(3));
        assert_eq!(lifecycle.retention_ms, Some(2_592_000_000));
        assert_eq!(lifecycle.compression_type.as_deref(), Some("gzip"));
        assert_eq!(lifecycle.key_strategy.as_deref(), Some("job_id"));
        assert_eq!(find(&dev, "audit-trail").retention_ms, Some(7_776_000_000));
        assert_eq!(find(&dev, "job-metrics").retention_ms, Some(604_800_000));
        assert_eq!(find(&dev, "notifications").partitions, Some(1));

        let raw = find(&dev, "element.raw_data");
        assert_eq!(raw.retention_bytes, Some(107_374_182_400));
        assert_eq!(raw.compression_type.as_deref(), Some("snappy"));
        assert_eq!(raw.cleanup_policy.as_deref(), Some("delete"));
    }

    #[test]
    fn profiles_set_replication_and_min_isr() {
        for s in catalog(Profile::Dev) {
            assert_eq!(
                (s.replication_factor, s.min_insync_replicas),
                (Some(1), Some(1)),
                "{}",
                s.name
            );
        }
        let prod = catalog(Profile::Prod);
        for s in &prod {
            assert_eq!(
                (s.replication_factor, s.min_insync_replicas),
                (Some(3), Some(2)),
                "{}",
                s.name
            );
        }
        assert_eq!(find(&prod, "element.raw_data").partitions, Some(3));
        assert_eq!(
            find(&catalog(Profile::Dev), "element.raw_data").partitions,
            Some(1)
        );
        assert_eq!("prod".parse::<Profile>().unwrap(), Profile::Prod);
        assert_eq!(
            "staging".parse::<Profile>().unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
    }
}
