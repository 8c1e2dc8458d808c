//! Named partition strategies (seed 002): which field of a message becomes its key. The key then
//! maps to a partition as the Java client does (murmur2), like any other key.

use crate::engine::error::{EngineError, EngineResult};

/// How a topic's messages are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionStrategy {
    /// By conversation: a conversation's messages in order.
    ConversationId,
    /// By user: a user's events in order.
    UserId,
    /// By tenant: a tenant's events in order.
    TenantId,
    /// No key: spread over the partitions, no order.
    Random,
}

/// The fields a strategy picks a key from.
#[derive(Debug, Clone, Default)]
pub struct KeyFields<'a> {
    pub tenant_id: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

impl PartitionStrategy {
    /// The strategy's name: `conversation_id`, `user_id`, `tenant_id`, `random`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartitionStrategy::ConversationId => "conversation_id",
            PartitionStrategy::UserId => "user_id",
            PartitionStrategy::TenantId => "tenant_id",
            PartitionStrategy::Random => "random",
        }
    }

    /// The strategy of a name; another name is `ERR_INVALID_ARG`.
    pub fn parse(name: &str) -> EngineResult<Self> {
        match name {
            "conversation_id" => Ok(PartitionStrategy::ConversationId),
            "user_id" => Ok(PartitionStrategy::UserId),
            "tenant_id" => Ok(PartitionStrategy::TenantId),
            "random" => Ok(PartitionStrategy::Random),
            other => Err(EngineError::InvalidArg(format!(
                "partition strategy must be conversation_id, user_id, tenant_id or random (got '{other}')"
            ))),
        }
    }

    /// The field the strategy keys on (`conversationId`, `userId`, `tenantId`), none for
    /// `random`.
    pub fn field(self) -> Option<&'static str> {
        match self {
            PartitionStrategy::Random => None,
            PartitionStrategy::ConversationId => Some("conversationId"),
            PartitionStrategy::UserId => Some("userId"),
            PartitionStrategy::TenantId => Some("tenantId"),
        }
    }

    /// The message key: the field the strategy names (`ERR_INVALID_ARG` when it is missing or
    /// empty), or none for `random`.
    pub fn key<'a>(self, fields: &KeyFields<'a>) -> EngineResult<Option<&'a str>> {
        let field = match self {
            PartitionStrategy::Random => return Ok(None),
            PartitionStrategy::ConversationId => fields.conversation_id,
            PartitionStrategy::UserId => fields.user_id,
            PartitionStrategy::TenantId => fields.tenant_id,
        };
        match field {
            Some(v) if !v.is_empty() => Ok(Some(v)),
            _ => Err(EngineError::InvalidArg(format!(
                "partition strategy {} needs {}",
                self.as_str(),
                self.field().unwrap_or_default()
            ))),
        }
    }
}

/// Load a topic is sized for.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub messages_per_second: f64,
    /// Distinct keys (conversations, users, ...); 0 for unkeyed topics.
    pub unique_keys: u64,
    /// Consumer instances in the group.
    pub consumers: u32,
}

/// Messages per second one partition takes with room to spare, from the local broker: one
/// consumer with a 10 ms handler handles ~100 msgs/s per partition in partition order (and ~900
/// with `ordering: 'key'`, concurrency 10); 500 keeps headroom for bursts and slower handlers.
pub const PER_PARTITION_MPS: f64 = 500.0;

/// Most partitions recommended: past it, more partitions cost more than they bring here.
pub const MAX_RECOMMENDED: u32 = 128;

/// Partitions for a load: enough that each takes at most `PER_PARTITION_MPS`, at least one per
/// consumer (a consumer without a partition idles), rounded up to a power of two (so a later
/// doubling moves half of the keys), then at most one per key (more partitions than keys stay
/// empty), and within 1..=`MAX_RECOMMENDED`.
pub fn recommended_partitions(load: Load) -> EngineResult<u32> {
    if !load.messages_per_second.is_finite() || load.messages_per_second < 0.0 {
        return Err(EngineError::InvalidArg(
            "messagesPerSecond must be a number >= 0".into(),
        ));
    }
    let for_throughput = (load.messages_per_second / PER_PARTITION_MPS).ceil() as u64;
    let mut n = for_throughput
        .max(u64::from(load.consumers))
        .clamp(1, u64::from(MAX_RECOMMENDED))
        .next_power_of_two();
    if load.unique_keys > 0 {
        n = n.min(load.unique_keys);
    }
    Ok(n.min(u64::from(MAX_RECOMMENDED)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_pick_their_field() {
        let f = KeyFields {
            tenant_id: Some("t-1"),
            conversation_id: Some("conv-456"),
            user_id: Some("user-789"),
        };
        assert_eq!(
            PartitionStrategy::ConversationId.key(&f).unwrap(),
            Some("conv-456")
        );
        assert_eq!(PartitionStrategy::UserId.key(&f).unwrap(), Some("user-789"));
        assert_eq!(PartitionStrategy::TenantId.key(&f).unwrap(), Some("t-1"));
        assert_eq!(PartitionStrategy::Random.key(&f).unwrap(), None);
        let missing = KeyFields::default();
        assert_eq!(
            PartitionStrategy::UserId.key(&missing).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        for s in ["conversation_id", "user_id", "tenant_id", "random"] {
            assert_eq!(PartitionStrategy::parse(s).unwrap().as_str(), s);
        }
        assert!(PartitionStrategy::parse("round_robin").is_err());
    }

    #[test]
    fn recommended_partitions_follow_throughput_consumers_and_keys() {
        let load = |mps, keys, consumers| Load {
            messages_per_second: mps,
            unique_keys: keys,
            consumers,
        };
        assert_eq!(recommended_partitions(load(1000.0, 500, 3)).unwrap(), 4);
        assert_eq!(recommended_partitions(load(10.0, 0, 1)).unwrap(), 1);
        assert_eq!(recommended_partitions(load(6000.0, 0, 3)).unwrap(), 16);
        assert_eq!(recommended_partitions(load(6000.0, 5, 3)).unwrap(), 5);
        assert_eq!(recommended_partitions(load(1e9, 0, 1)).unwrap(), 128);
        assert!(recommended_partitions(load(f64::NAN, 0, 1)).is_err());
    }
}
