//! The `caas` preset (seed 002, the CAAS kafka-service): platform topics, per-tenant topic
//! templates with their partition strategies, and the internal dead-letter and delayed-retry
//! topics the retry ladder uses (`internal.retry.1min`, `.5min`, `.30min`, `internal.dlq`).

use crate::engine::admin::TopicSpec;
use crate::engine::catalogs::strategy::PartitionStrategy::{self, *};
use crate::engine::catalogs::template::TopicTemplate;
use crate::engine::catalogs::Profile;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The retry ladder of the preset: delays and their topics, for `subscribe({retry})`.
pub const RETRY_STEPS: [(&str, &str); 3] = [
    ("1m", "internal.retry.1min"),
    ("5m", "internal.retry.5min"),
    ("30m", "internal.retry.30min"),
];
/// The preset's dead-letter topic.
pub const DEAD_LETTER_TOPIC: &str = "internal.dlq";

struct Row {
    name: &'static str,
    partitions: i32,
    retention_days: i64,
    compacted: bool,
    strategy: PartitionStrategy,
}

const fn row(
    name: &'static str,
    partitions: i32,
    retention_days: i64,
    compacted: bool,
    strategy: PartitionStrategy,
) -> Row {
    Row {
        name,
        partitions,
        retention_days,
        compacted,
        strategy,
    }
}

// The seed's configuration matrix; retention the seed leaves open is 7 days.
const PLATFORM: &[Row] = &[
    row("platform.events", 8, 7, false, TenantId),
    row("platform.audit", 8, 365, false, TenantId),
    row("platform.notifications", 4, 7, false, TenantId),
    row(DEAD_LETTER_TOPIC, 4, 30, false, Random),
    row("internal.retry", 4, 7, false, Random),
    row(RETRY_STEPS[0].1, 4, 7, false, Random),
    row(RETRY_STEPS[1].1, 4, 7, false, Random),
    row(RETRY_STEPS[2].1, 4, 7, false, Random),
];

const TENANT: &[Row] = &[
    row("chat.messages.{tenant}", 16, 30, false, ConversationId),
    row("chat.events.{tenant}", 8, 7, false, UserId),
    row("presence.{tenant}", 4, 1, true, UserId),
    row("analytics.{tenant}", 8, 90, false, Random),
    row("notifications.{tenant}", 4, 7, false, UserId),
];

fn spec(r: &Row, profile: Profile) -> TopicSpec {
    TopicSpec {
        name: r.name.to_string(),
        // `dev` runs on one broker: a quarter of the partitions keeps 50 tenants light.
        partitions: Some(match profile {
            Profile::Dev => (r.partitions / 4).max(1),
            Profile::Prod => r.partitions,
        }),
        replication_factor: Some(profile.replication_factor()),
        retention_ms: Some(r.retention_days * DAY_MS),
        retention_bytes: None,
        cleanup_policy: Some(if r.compacted { "compact" } else { "delete" }.to_string()),
        compression_type: Some("snappy".to_string()),
        min_insync_replicas: Some(profile.min_insync_replicas()),
        configs: Vec::new(),
        key_strategy: Some(r.strategy.as_str().to_string()),
        description: None,
    }
}

/// The shared topics of the preset.
pub fn topics(profile: Profile) -> Vec<TopicSpec> {
    PLATFORM.iter().map(|r| spec(r, profile)).collect()
}

/// The topics every tenant gets.
pub fn tenant_templates(profile: Profile) -> Vec<TopicTemplate> {
    TENANT
        .iter()
        .map(|r| TopicTemplate {
            spec: spec(r, profile),
            strategy: r.strategy,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::admin::spec::validate_specs;

    #[test]
    fn the_matrix_of_seed_002() {
        let prod = tenant_templates(Profile::Prod);
        let acme: Vec<TopicSpec> = prod.iter().map(|t| t.for_tenant("acme").unwrap()).collect();
        validate_specs(&acme).unwrap();
        let find = |n: &str| acme.iter().find(|s| s.name == n).unwrap();
        assert_eq!(find("chat.messages.acme").partitions, Some(16));
        assert_eq!(
            find("chat.messages.acme").key_strategy.as_deref(),
            Some("conversation_id")
        );
        assert_eq!(
            find("presence.acme").cleanup_policy.as_deref(),
            Some("compact")
        );
        assert_eq!(find("analytics.acme").retention_ms, Some(90 * DAY_MS));
        assert_eq!(find("chat.events.acme").min_insync_replicas, Some(2));
        let shared = topics(Profile::Prod);
        validate_specs(&shared).unwrap();
        let dlq = shared.iter().find(|s| s.name == DEAD_LETTER_TOPIC).unwrap();
        assert_eq!(
            (dlq.partitions, dlq.retention_ms),
            (Some(4), Some(30 * DAY_MS))
        );
        for (_, t) in RETRY_STEPS {
            assert!(shared.iter().any(|s| s.name == t), "{t}");
        }
        let dev = tenant_templates(Profile::Dev);
        assert_eq!(dev[0].for_tenant("a").unwrap().partitions, Some(4));
        assert_eq!(dev[0].spec.replication_factor, Some(1));
    }
}
