//! Topic configs: describe them, and alter them incrementally (IncrementalAlterConfigs, Kafka
//! 2.3+): only the named configs change, every other config keeps its value.

use std::time::Duration;

use rdkafka::types::RDKafkaErrorCode;

use crate::engine::admin::config_entry::TopicConfigEntry;
use crate::engine::admin::native::{self, DescribedResource, Resource};
use crate::engine::admin::topics::unknown_while_time_left;
use crate::engine::admin::{blocking, Admin, Deadline, PROPAGATION_BACKOFF};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// The configs of one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfigs {
    pub topic: String,
    pub entries: Vec<TopicConfigEntry>,
}

/// The configs of each topic, in the order asked, or the first topic's error.
fn configs_of(
    topics: &[String],
    described: Vec<DescribedResource>,
) -> EngineResult<Vec<TopicConfigs>> {
    topics
        .iter()
        .map(|t| {
            let r = described
                .iter()
                .find(|r| &r.name == t)
                .ok_or_else(|| EngineError::Kafka {
                    code: RDKafkaErrorCode::UnknownTopicOrPartition,
                    message: format!("no configs returned for topic '{t}'"),
                    topic: Some(t.clone()),
                    partition: None,
                })?;
            if let Some(e) = &r.error {
                return Err(e.clone().about(t, None));
            }
            Ok(TopicConfigs {
                topic: t.clone(),
                entries: r.entries.clone(),
            })
        })
        .collect()
}

impl Admin {
    /// Every config of each topic (defaults included), in the order asked. Fails with the
    /// broker's error for the first topic it refused (`ERR_UNKNOWN_TOPIC_OR_PART`, ...).
    pub async fn describe_configs(
        &self,
        topics: &[String],
        timeout: Duration,
    ) -> EngineResult<Vec<TopicConfigs>> {
        let deadline = Deadline::after(timeout);
        self.describe_configs_until(topics, false, deadline).await
    }

    /// `known_to_exist`: the caller saw every topic in the metadata or was told it exists (a
    /// creation that raced), so "unknown topic" can only be a broker that has not caught up yet:
    /// asked again until shortly before the deadline.
    pub(crate) async fn describe_configs_until(
        &self,
        topics: &[String],
        known_to_exist: bool,
        deadline: Deadline,
    ) -> EngineResult<Vec<TopicConfigs>> {
        for t in topics {
            validate_topic(t)?;
        }
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        loop {
            let client = self.client()?;
            let resources: Vec<Resource> =
                topics.iter().map(|t| Resource::Topic(t.clone())).collect();
            let left = deadline.remaining()?;
            let described = blocking(move || {
                native::describe_configs(client.inner().native_ptr(), &resources, left)
            })
            .await?;
            match configs_of(topics, described) {
                // The broker asked may not have applied a just-created topic's metadata yet.
                Err(e) if known_to_exist && unknown_while_time_left(&e, deadline) => {
                    tokio::time::sleep(PROPAGATION_BACKOFF).await
                }
                Err(e) if self.still_propagating(&e, deadline).await => {
                    tokio::time::sleep(PROPAGATION_BACKOFF).await
                }
                other => return other,
            }
        }
    }

    /// Sets (`Some`) or reverts to the default (`None`) the named configs of `topic`, leaving
    /// the others alone. Fails with the broker's error: `ERR_INVALID_CONFIG`,
    /// `ERR_POLICY_VIOLATION`, `ERR_UNKNOWN_TOPIC_OR_PART`, ...
    pub async fn alter_configs(
        &self,
        topic: &str,
        changes: Vec<(String, Option<String>)>,
        timeout: Duration,
    ) -> EngineResult<()> {
        validate_topic(topic)?;
        if changes.is_empty() {
            return Err(EngineError::InvalidArg(
                "configs must name at least one config".into(),
            ));
        }
        if let Some((name, _)) = changes.iter().find(|(n, _)| n.trim().is_empty()) {
            return Err(EngineError::InvalidArg(format!(
                "config name '{name}' is empty"
            )));
        }
        let client = self.client()?;
        let topic = topic.to_string();
        blocking(move || {
            native::alter_topic_configs(client.inner().native_ptr(), &topic, &changes, timeout)
        })
        .await
    }
}
