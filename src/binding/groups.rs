//! Consumer group and offset objects of the admin API.

use napi::bindgen_prelude::*;

use crate::binding::args::read_time;
use crate::engine::admin::{
    GroupDescription, GroupLag, GroupListing, GroupMember, PartitionLag, PartitionOffset,
    ResetTarget, TopicPartitions,
};
use crate::engine::error::{EngineError, EngineResult};

/// A group, as ListGroups reports it.
#[napi(object, js_name = "GroupListing")]
pub struct JsGroupListing {
    pub group_id: String,
    /// `'consumer'` for consumer groups.
    pub protocol_type: String,
    /// `'Stable'`, `'PreparingRebalance'`, `'CompletingRebalance'`, `'Empty'` or `'Dead'`.
    pub state: String,
}

/// Partitions of one topic.
#[napi(object, js_name = "TopicPartitions")]
pub struct JsTopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

/// A member of a group.
#[napi(object, js_name = "GroupMember")]
pub struct JsGroupMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    /// The partitions the member consumes, decoded from the consumer protocol; empty during a
    /// rebalance.
    pub assignment: Vec<JsTopicPartitions>,
}

/// A group's state and members.
#[napi(object, js_name = "GroupDescription")]
pub struct JsGroupDescription {
    pub group_id: String,
    /// `'Stable'`, `'PreparingRebalance'`, `'CompletingRebalance'`, `'Empty'`, or `'Dead'`
    /// (also for a group that does not exist).
    pub state: String,
    pub protocol_type: String,
    /// The assignor (`'range'`, `'roundrobin'`, `'cooperative-sticky'`, ...).
    pub protocol: String,
    pub members: Vec<JsGroupMember>,
}

/// An offset of one partition; -1 when there is none.
#[napi(object, js_name = "PartitionOffset")]
pub struct JsPartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// How far a group is behind on one partition.
#[napi(object, js_name = "GroupPartitionLag")]
pub struct JsGroupPartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset (the next message it reads); -1 when it has none.
    pub committed: i64,
    /// The earliest offset still in the log.
    pub low: i64,
    /// The high watermark (the offset of the next message published).
    pub high: i64,
    /// `high - committed`; every retained message (`high - low`) when nothing is committed.
    pub lag: i64,
}

/// A group's lag, per partition and in total.
#[napi(object, js_name = "GroupLag")]
pub struct JsGroupLag {
    pub group_id: String,
    pub total: i64,
    pub partitions: Vec<JsGroupPartitionLag>,
}

/// Options of `groupOffsets` and `lag`.
#[napi(object, js_name = "GroupOffsetsOptions")]
pub struct JsGroupOffsetsOptions {
    /// Topics to report, every partition of each. Default: the topics where the group has
    /// committed offsets.
    pub topics: Option<Vec<String>>,
    /// Default 10000.
    pub timeout_ms: Option<u32>,
}

/// Options of `resetOffsets`.
#[napi(object, js_name = "ResetOffsetsOptions")]
pub struct JsResetOffsetsOptions<'a> {
    /// Topics whose partitions are all reset.
    pub topics: Vec<String>,
    /// `'earliest'` (the oldest retained message), `'latest'` (only new messages), or
    /// `'timestamp'` (the first message at or after `timestamp`; the end when there is none).
    #[napi(ts_type = "'earliest' | 'latest' | 'timestamp'")]
    pub to: String,
    /// With `to: 'timestamp'`: ms since the epoch, or a Date.
    pub timestamp: Option<Either<f64, Date<'a>>>,
    /// Default 10000.
    pub timeout_ms: Option<u32>,
}

impl TryFrom<&JsResetOffsetsOptions<'_>> for ResetTarget {
    type Error = EngineError;

    /// `ERR_INVALID_ARG` for an unknown `to`, or `'timestamp'` without a timestamp.
    fn try_from(o: &JsResetOffsetsOptions<'_>) -> EngineResult<Self> {
        match (o.to.as_str(), &o.timestamp) {
            ("earliest", _) => Ok(ResetTarget::Earliest),
            ("latest", _) => Ok(ResetTarget::Latest),
            ("timestamp", Some(ts)) => Ok(ResetTarget::Timestamp(read_time(ts, "timestamp")?)),
            ("timestamp", None) => Err(EngineError::InvalidArg(
                "to: 'timestamp' needs a timestamp".into(),
            )),
            (other, _) => Err(EngineError::InvalidArg(format!(
                "to must be 'earliest', 'latest' or 'timestamp' (got '{other}')"
            ))),
        }
    }
}

impl From<GroupListing> for JsGroupListing {
    fn from(g: GroupListing) -> Self {
        JsGroupListing {
            group_id: g.group_id,
            protocol_type: g.protocol_type,
            state: g.state,
        }
    }
}

impl From<TopicPartitions> for JsTopicPartitions {
    fn from(t: TopicPartitions) -> Self {
        JsTopicPartitions {
            topic: t.topic,
            partitions: t.partitions,
        }
    }
}

impl From<GroupMember> for JsGroupMember {
    fn from(m: GroupMember) -> Self {
        JsGroupMember {
            member_id: m.member_id,
            client_id: m.client_id,
            client_host: m.client_host,
            assignment: m.assignment.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<GroupDescription> for JsGroupDescription {
    fn from(g: GroupDescription) -> Self {
        JsGroupDescription {
            group_id: g.group_id,
            state: g.state,
            protocol_type: g.protocol_type,
            protocol: g.protocol,
            members: g.members.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<PartitionOffset> for JsPartitionOffset {
    fn from(o: PartitionOffset) -> Self {
        JsPartitionOffset {
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
        }
    }
}

impl From<JsPartitionOffset> for PartitionOffset {
    fn from(o: JsPartitionOffset) -> Self {
        PartitionOffset {
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
        }
    }
}

impl From<PartitionLag> for JsGroupPartitionLag {
    fn from(p: PartitionLag) -> Self {
        JsGroupPartitionLag {
            topic: p.topic,
            partition: p.partition,
            committed: p.committed,
            low: p.low,
            high: p.high,
            lag: p.lag,
        }
    }
}

impl From<GroupLag> for JsGroupLag {
    fn from(l: GroupLag) -> Self {
        JsGroupLag {
            group_id: l.group_id,
            total: l.total,
            partitions: l.partitions.into_iter().map(Into::into).collect(),
        }
    }
}
