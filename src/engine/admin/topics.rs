//! Topics: list, describe (from the cluster's metadata), create, delete, add partitions, and
//! `ensure_topics`, which creates what is missing and reports how the rest differs from its
//! spec without changing it.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{NewPartitions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;

use crate::engine::admin::diff::{differences, ObservedTopic, TopicDifference};
use crate::engine::admin::spec::{validate_specs, TopicSpec};
use crate::engine::admin::{
    blocking, is_internal, topic_error, Admin, Deadline, PROPAGATION_BACKOFF,
};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;
use crate::engine::service::BrokerAddress;

/// One partition of a topic, as the cluster's metadata reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionDescription {
    pub partition: i32,
    /// The leader's broker id; -1 when the partition has none.
    pub leader: i32,
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Fewer replicas in sync than assigned.
    pub under_replicated: bool,
    /// No leader: the partition can be neither written nor read.
    pub offline: bool,
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicDescription {
    pub name: String,
    /// Replicas of the partition with the most.
    pub replication_factor: i32,
    pub partitions: Vec<PartitionDescription>,
}

/// What `ensure_topics` did and found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnsureReport {
    /// Topics it created, in the order of the specs.
    pub created: Vec<String>,
    /// Topics that already existed (left unchanged).
    pub existing: Vec<String>,
    /// How the existing topics differ from their specs.
    pub differences: Vec<TopicDifference>,
}

/// The brokers and topics of one metadata answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetadataSnapshot {
    pub brokers: Vec<BrokerAddress>,
    pub topics: Vec<TopicDescription>,
}

impl MetadataSnapshot {
    pub(crate) fn topic(&self, name: &str) -> Option<&TopicDescription> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// The topic, or `ERR_UNKNOWN_TOPIC_OR_PART` naming it.
    pub(crate) fn require(&self, name: &str) -> EngineResult<&TopicDescription> {
        self.topic(name).ok_or_else(|| unknown_topic(name))
    }
}

pub(crate) fn unknown_topic(name: &str) -> EngineError {
    EngineError::Kafka {
        code: RDKafkaErrorCode::UnknownTopicOrPartition,
        message: format!("topic '{name}' does not exist"),
        topic: Some(name.to_string()),
        partition: None,
    }
}

fn describe_partition(p: &rdkafka::metadata::MetadataPartition) -> PartitionDescription {
    let replicas = p.replicas().to_vec();
    let isr = p.isr().to_vec();
    PartitionDescription {
        partition: p.id(),
        leader: p.leader(),
        under_replicated: isr.len() < replicas.len(),
        offline: p.leader() < 0,
        replicas,
        isr,
    }
}

impl Admin {
    /// The brokers and every topic, in one metadata request.
    pub(crate) async fn metadata_until(
        &self,
        deadline: Deadline,
    ) -> EngineResult<MetadataSnapshot> {
        let client = self.client()?;
        let left = deadline.remaining()?;
        let brokers = self.config.brokers.join(",");
        blocking(move || {
            let metadata = client.inner().fetch_metadata(None, left).map_err(|e| {
                match e.rdkafka_error_code() {
                    // However librdkafka words it, no broker answered in time.
                    Some(
                        RDKafkaErrorCode::OperationTimedOut
                        | RDKafkaErrorCode::AllBrokersDown
                        | RDKafkaErrorCode::BrokerTransportFailure,
                    ) => EngineError::TimedOut(format!(
                        "no broker of {brokers} answered within {} ms",
                        left.as_millis()
                    )),
                    _ => EngineError::from(e),
                }
            })?;
            let brokers = metadata
                .brokers()
                .iter()
                .map(|b| BrokerAddress {
                    id: b.id(),
                    host: b.host().to_string(),
                    port: b.port(),
                })
                .collect();
            let topics = metadata
                .topics()
                .iter()
                .filter(|t| {
                    t.error().map(RDKafkaErrorCode::from)
                        != Some(RDKafkaErrorCode::UnknownTopicOrPartition)
                })
                .map(|t| {
                    let mut partitions: Vec<PartitionDescription> =
                        t.partitions().iter().map(describe_partition).collect();
                    partitions.sort_by_key(|p| p.partition);
                    TopicDescription {
                        name: t.name().to_string(),
                        replication_factor: partitions
                            .iter()
                            .map(|p| p.replicas.len() as i32)
                            .max()
                            .unwrap_or(0),
                        partitions,
                    }
                })
                .collect();
            Ok(MetadataSnapshot { brokers, topics })
        })
        .await
    }

    /// Whether `e` says a topic is unknown that the cluster's metadata does list: a broker that
    /// has not yet applied the topic's creation. False once the deadline is near.
    pub(crate) async fn still_propagating(&self, e: &EngineError, deadline: Deadline) -> bool {
        if !unknown_while_time_left(e, deadline) {
            return false;
        }
        let Some(topic) = e.topic() else {
            return false;
        };
        self.metadata_until(deadline)
            .await
            .is_ok_and(|s| s.topic(topic).is_some())
    }

    /// Waits, at most until shortly before the deadline, until the metadata lists every one of
    /// `topics` with a leader for each partition: the controller has created a topic before
    /// every broker knows it.
    async fn await_visible(&self, topics: &[String], deadline: Deadline) {
        if !topics.is_empty() {
            let _ = self.metadata_listing(topics, deadline).await;
        }
    }

    /// A metadata answer that lists every one of `topics` with a leader for each partition,
    /// asked again until shortly before the deadline (each answer comes from one broker, which
    /// may not know a topic another broker just created); the last answer when they never all
    /// show.
    async fn metadata_listing(
        &self,
        topics: &[String],
        deadline: Deadline,
    ) -> EngineResult<MetadataSnapshot> {
        loop {
            let snapshot = self.metadata_until(deadline).await?;
            let visible = |name: &String| {
                snapshot.topic(name).is_some_and(|t| {
                    !t.partitions.is_empty() && t.partitions.iter().all(|p| !p.offline)
                })
            };
            let time_left = deadline
                .remaining()
                .is_ok_and(|left| left > 2 * PROPAGATION_BACKOFF);
            if topics.iter().all(visible) || !time_left {
                return Ok(snapshot);
            }
            tokio::time::sleep(PROPAGATION_BACKOFF).await;
        }
    }

    /// Topic names, sorted; internal topics (`__consumer_offsets`, ...) only when asked.
    pub async fn list_topics(
        &self,
        include_internal: bool,
        timeout: Duration,
    ) -> EngineResult<Vec<String>> {
        let snapshot = self.metadata_until(Deadline::after(timeout)).await?;
        let mut names: Vec<String> = snapshot
            .topics
            .into_iter()
            .map(|t| t.name)
            .filter(|n| include_internal || !is_internal(n))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Partitions, leaders, replicas and in-sync replicas of the named topics (in that order),
    /// or of every non-internal topic (sorted) when `topics` is `None`. Fails with
    /// `ERR_UNKNOWN_TOPIC_OR_PART` for a topic that does not exist.
    pub async fn describe_topics(
        &self,
        topics: Option<&[String]>,
        timeout: Duration,
    ) -> EngineResult<Vec<TopicDescription>> {
        if let Some(names) = topics {
            for t in names {
                validate_topic(t)?;
            }
        }
        let snapshot = self.metadata_until(Deadline::after(timeout)).await?;
        match topics {
            Some(names) => names.iter().map(|n| snapshot.require(n).cloned()).collect(),
            None => {
                let mut all: Vec<TopicDescription> = snapshot
                    .topics
                    .into_iter()
                    .filter(|t| !is_internal(&t.name))
                    .collect();
                all.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(all)
            }
        }
    }

    /// Creates the topics; resolves once the controller has created them all and the metadata
    /// lists each with a leader per partition (waiting for that at most until the timeout). Not
    /// transactional: when one fails (`ERR_TOPIC_ALREADY_EXISTS`, `ERR_INVALID_REPLICATION_FACTOR`,
    /// `ERR_POLICY_VIOLATION`, ...) the others may still have been created; the error names the
    /// topic.
    pub async fn create_topics(
        &self,
        specs: &[TopicSpec],
        timeout: Duration,
    ) -> EngineResult<Vec<String>> {
        validate_specs(specs)?;
        let results = self.create_until(specs, Deadline::after(timeout)).await?;
        let mut created = Vec::with_capacity(results.len());
        for (name, result) in results {
            match result {
                Ok(()) => created.push(name),
                Err(code) => return Err(topic_error("create topic", &name, code)),
            }
        }
        Ok(created)
    }

    async fn create_until(
        &self,
        specs: &[TopicSpec],
        deadline: Deadline,
    ) -> EngineResult<Vec<(String, Result<(), RDKafkaErrorCode>)>> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client()?;
        let configs: Vec<Vec<(String, String)>> =
            specs.iter().map(TopicSpec::config_entries).collect();
        let new_topics: Vec<NewTopic<'_>> = specs
            .iter()
            .zip(&configs)
            .map(|(s, entries)| {
                // -1: the broker's num.partitions / default.replication.factor.
                let replication = TopicReplication::Fixed(s.replication_factor.unwrap_or(-1));
                entries.iter().fold(
                    NewTopic::new(&s.name, s.partitions.unwrap_or(-1), replication),
                    |t, (k, v)| t.set(k, v),
                )
            })
            .collect();
        let options = deadline.options()?;
        let results: Vec<(String, Result<(), RDKafkaErrorCode>)> = deadline
            .bound(client.create_topics(new_topics.iter(), &options))
            .await?
            .into_iter()
            .map(|r| match r {
                Ok(name) => (name, Ok(())),
                Err((name, code)) => (name, Err(code)),
            })
            .collect();
        let created: Vec<String> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n.clone())
            .collect();
        self.await_visible(&created, deadline).await;
        Ok(results)
    }

    /// Deletes the topics and their messages. Not transactional; the error names the first
    /// topic that could not be deleted (`ERR_UNKNOWN_TOPIC_OR_PART`, ...).
    pub async fn delete_topics(&self, topics: &[String], timeout: Duration) -> EngineResult<()> {
        for t in topics {
            validate_topic(t)?;
        }
        if topics.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        let deadline = Deadline::after(timeout);
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        let options = deadline.options()?;
        let results = deadline
            .bound(client.delete_topics(&names, &options))
            .await?;
        first_failure("delete topic", results)
    }

    /// Raises each topic's partition count to the given total (partitions cannot be removed).
    /// Keys hash to other partitions afterwards. Fails with `ERR_INVALID_PARTITIONS` for a count
    /// not above the current one.
    pub async fn create_partitions(
        &self,
        totals: &[(String, i32)],
        timeout: Duration,
    ) -> EngineResult<()> {
        for (t, count) in totals {
            validate_topic(t)?;
            if *count < 1 {
                return Err(EngineError::InvalidArg(format!(
                    "topic '{t}': count must be at least 1 (got {count})"
                )));
            }
        }
        if totals.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        let deadline = Deadline::after(timeout);
        let requests: Vec<NewPartitions<'_>> = totals
            .iter()
            .map(|(t, n)| NewPartitions::new(t, *n as usize))
            .collect();
        let options = deadline.options()?;
        let results = deadline
            .bound(client.create_partitions(requests.iter(), &options))
            .await?;
        first_failure("create partitions of", results)
    }

    /// Creates the topics that do not exist yet, as specified; for those that do, compares
    /// partitions, replication and the configs the spec names, and reports the differences
    /// without changing anything. Running it again changes nothing.
    pub async fn ensure_topics(
        &self,
        specs: &[TopicSpec],
        timeout: Duration,
    ) -> EngineResult<EnsureReport> {
        validate_specs(specs)?;
        let deadline = Deadline::after(timeout);
        let mut snapshot = self.metadata_until(deadline).await?;
        let missing: Vec<TopicSpec> = specs
            .iter()
            .filter(|s| snapshot.topic(&s.name).is_none())
            .cloned()
            .collect();
        let mut report = EnsureReport::default();
        let mut raced = Vec::new();
        for (name, result) in self.create_until(&missing, deadline).await? {
            match result {
                Ok(()) => report.created.push(name),
                // Someone else created it since the metadata answer (or that answer came from a
                // broker that did not know it yet): compare it like the others.
                Err(RDKafkaErrorCode::TopicAlreadyExists) => raced.push(name),
                Err(code) => return Err(topic_error("create topic", &name, code)),
            }
        }
        if !raced.is_empty() {
            snapshot = self.metadata_listing(&raced, deadline).await?;
        }
        let existing: Vec<&TopicSpec> = specs
            .iter()
            .filter(|s| !report.created.contains(&s.name))
            .collect();
        report.existing = existing.iter().map(|s| s.name.clone()).collect();
        report.differences = self
            .differences_from_specs(&existing, &snapshot, true, deadline)
            .await?;
        Ok(report)
    }

    /// How `existing` topics (all in `snapshot`) differ from their specs: partitions and
    /// replication from the metadata, configs asked of the brokers (`known_to_exist` as for
    /// `describe_configs_until`).
    pub(crate) async fn differences_from_specs(
        &self,
        existing: &[&TopicSpec],
        snapshot: &MetadataSnapshot,
        known_to_exist: bool,
        deadline: Deadline,
    ) -> EngineResult<Vec<TopicDifference>> {
        let names: Vec<String> = existing.iter().map(|s| s.name.clone()).collect();
        let configs = self
            .describe_configs_until(&names, known_to_exist, deadline)
            .await?;
        let mut out = Vec::new();
        for (spec, described) in existing.iter().zip(configs) {
            let topic = snapshot.require(&spec.name)?;
            let observed = ObservedTopic {
                partitions: topic.partitions.len() as i32,
                replication_factor: topic.replication_factor,
                configs: described
                    .entries
                    .into_iter()
                    .filter_map(|e| e.value.map(|v| (e.name, v)))
                    .collect::<HashMap<_, _>>(),
            };
            out.extend(differences(spec, &observed));
        }
        Ok(out)
    }
}

fn first_failure(operation: &str, results: Vec<rdkafka::admin::TopicResult>) -> EngineResult<()> {
    for r in results {
        if let Err((name, code)) = r {
            return Err(topic_error(operation, &name, code));
        }
    }
    Ok(())
}

/// "Unknown topic or partition" for a named topic, with time left to ask again.
pub(crate) fn unknown_while_time_left(e: &EngineError, deadline: Deadline) -> bool {
    matches!(
        e,
        EngineError::Kafka {
            code: RDKafkaErrorCode::UnknownTopicOrPartition,
            ..
        }
    ) && e.topic().is_some()
        && deadline
            .remaining()
            .is_ok_and(|left| left > 2 * PROPAGATION_BACKOFF)
}
