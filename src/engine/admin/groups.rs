//! Consumer groups: list them, and describe one with its members and their assignments.

use std::time::Duration;

use crate::engine::admin::assignment::{parse_assignment, TopicPartitions};
use crate::engine::admin::native::{self, DescribedGroup};
use crate::engine::admin::{blocking, Admin, Deadline};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::LogLevel;

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    /// `consumer` for consumer groups; `connect` and others for other clients.
    pub protocol_type: String,
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, `Dead`.
    pub state: String,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    /// What the member consumes; empty while a rebalance is in progress.
    pub assignment: Vec<TopicPartitions>,
}

/// A group, its state and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, or `Dead` (also for a
    /// group that does not exist).
    pub state: String,
    pub protocol_type: String,
    /// The partition assignor (`range`, `roundrobin`, `cooperative-sticky`, ...).
    pub protocol: String,
    pub members: Vec<GroupMember>,
}

impl Admin {
    /// Every group of the cluster (ListGroups to every broker), sorted by id.
    pub async fn list_groups(&self, timeout: Duration) -> EngineResult<Vec<GroupListing>> {
        let client = self.client()?;
        let left = Deadline::after(timeout).remaining()?;
        let mut groups = blocking(move || {
            let list = client.inner().fetch_group_list(None, left)?;
            Ok(list
                .groups()
                .iter()
                .map(|g| GroupListing {
                    group_id: g.name().to_string(),
                    protocol_type: g.protocol_type().to_string(),
                    state: g.state().to_string(),
                })
                .collect::<Vec<_>>())
        })
        .await?;
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(groups)
    }

    /// A group's state, protocol and members with their assignments (DescribeGroups).
    pub async fn describe_group(
        &self,
        group_id: &str,
        timeout: Duration,
    ) -> EngineResult<GroupDescription> {
        self.describe_group_until(group_id, Deadline::after(timeout))
            .await
    }

    pub(crate) async fn describe_group_until(
        &self,
        group_id: &str,
        deadline: Deadline,
    ) -> EngineResult<GroupDescription> {
        if group_id.trim().is_empty() {
            return Err(EngineError::InvalidArg("groupId must not be empty".into()));
        }
        let client = self.client()?;
        let left = deadline.remaining()?;
        let group = group_id.to_string();
        let logger = self.logger.clone();
        blocking(move || {
            let list = client.inner().fetch_group_list(Some(&group), left)?;
            let classic = list
                .groups()
                .iter()
                .find(|g| g.name() == group && !g.protocol_type().is_empty());
            let Some(g) = classic else {
                // DescribeGroups answers GROUP_ID_NOT_FOUND (no protocol type, no members) for a
                // group of the consumer protocol (KIP-848): ConsumerGroupDescribe knows it.
                let left = deadline.remaining()?;
                let described =
                    native::describe_consumer_group(client.inner().native_ptr(), &group, left)?;
                return Ok(consumer_protocol_group(group, described));
            };
            let consumer_protocol = g.protocol_type() == "consumer";
            let members =
                g.members()
                    .iter()
                    .map(|m| {
                        let assignment = match m.assignment() {
                            Some(bytes) if consumer_protocol => parse_assignment(bytes)
                                .unwrap_or_else(|e| {
                                    logger.log(
                                        LogLevel::Warn,
                                        "admin",
                                        "GROUP",
                                        &format!("member {} of {group}: {e}", m.id()),
                                    );
                                    Vec::new()
                                }),
                            _ => Vec::new(),
                        };
                        GroupMember {
                            member_id: m.id().to_string(),
                            client_id: m.client_id().to_string(),
                            client_host: m.client_host().to_string(),
                            assignment,
                        }
                    })
                    .collect();
            Ok(GroupDescription {
                group_id: g.name().to_string(),
                state: g.state().to_string(),
                protocol_type: g.protocol_type().to_string(),
                protocol: g.protocol().to_string(),
                members,
            })
        })
        .await
    }
}

/// A group as DescribeConsumerGroups describes it: one of the consumer protocol (KIP-848) with
/// its members, or `Dead` when the broker knows no such group.
fn consumer_protocol_group(group_id: String, g: DescribedGroup) -> GroupDescription {
    if g.error.is_some() || !g.group_type.eq_ignore_ascii_case("consumer") {
        return GroupDescription {
            group_id,
            state: "Dead".into(),
            protocol_type: String::new(),
            protocol: String::new(),
            members: Vec::new(),
        };
    }
    let members = g
        .members
        .into_iter()
        .map(|m| GroupMember {
            member_id: m.member_id,
            client_id: m.client_id,
            client_host: m.host,
            assignment: group_by_topic(m.assignment),
        })
        .collect();
    GroupDescription {
        group_id,
        state: g.state,
        protocol_type: "consumer".into(),
        protocol: g.assignor,
        members,
    }
}

/// (topic, partition) pairs as one entry per topic, in first-seen order, partitions sorted.
fn group_by_topic(pairs: Vec<(String, i32)>) -> Vec<TopicPartitions> {
    let mut out: Vec<TopicPartitions> = Vec::new();
    for (topic, partition) in pairs {
        match out.iter_mut().find(|t| t.topic == topic) {
            Some(t) => t.partitions.push(partition),
            None => out.push(TopicPartitions {
                topic,
                partitions: vec![partition],
            }),
        }
    }
    for t in &mut out {
        t.partitions.sort_unstable();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_pairs_group_by_topic() {
        let grouped = group_by_topic(vec![("b".into(), 2), ("a".into(), 1), ("b".into(), 0)]);
        assert_eq!(
            grouped,
            vec![
                TopicPartitions {
                    topic: "b".into(),
                    partitions: vec![0, 2]
                },
                TopicPartitions {
                    topic: "a".into(),
                    partitions: vec![1]
                },
            ]
        );
    }
}
