//! `KafkaAdmin`, the package's admin client: converts JS arguments, calls the engine's `Admin`,
//! and maps results and errors back.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::args::{
    call_timeout, read, read_optional, read_strings, read_time, timeout_of,
};
use crate::binding::config::read_client_config;
use crate::binding::error::{invalid_arg, to_napi_error};
use crate::binding::groups::{
    JsGroupDescription, JsGroupLag, JsGroupListing, JsGroupOffsetsOptions, JsPartitionOffset,
    JsResetOffsetsOptions,
};
use crate::binding::health::{health_timeout, JsClusterDescription, JsHealthReport};
use crate::binding::promise::{rejected, settle};
use crate::binding::topics::{
    JsEnsureTopicsResult, JsListTopicsOptions, JsPartitionCount, JsTopicConfigs,
    JsTopicDescription, JsTopicSpec,
};
use crate::engine::admin::{Admin, ResetTarget, TopicSpec};
use crate::engine::config::ServiceConfig;
use crate::engine::error::EngineResult;
use crate::engine::logging::Logger;

/// Runs `$call` (an async engine call on `admin`) once the arguments are read, or rejects with
/// the argument error.
macro_rules! admin_call {
    ($self:ident, $env:ident, $args:expr, |$admin:ident, $parsed:pat_param| $call:expr, $to_js:expr) => {{
        // A closure, so that `?` while reading an argument ends in the rejection below.
        #[allow(clippy::redundant_closure_call)]
        let args: EngineResult<_> = (|| $args)();
        match args {
            Err(e) => rejected($env, e),
            Ok($parsed) => {
                let $admin = $self.admin.clone();
                settle($env, async move { $call.await }, $to_js)
            }
        }
    }};
}
pub(crate) use admin_call;

fn read_specs(env: &Env, specs: Unknown<'_>) -> EngineResult<Vec<TopicSpec>> {
    if !specs.is_array().unwrap_or(false) {
        return Err(invalid_arg("specs", "expected an array of topic specs"));
    }
    let specs: Vec<JsTopicSpec> = read(env, specs, "specs")?;
    Ok(specs.into_iter().map(TopicSpec::from).collect())
}

/// A string argument (`groupId`, `topic`), or `ERR_INVALID_ARG` naming `what`.
pub(crate) fn read_string(env: &Env, v: Unknown<'_>, what: &str) -> EngineResult<String> {
    if v.get_type().map_err(|e| invalid_arg(what, e))? != ValueType::String {
        return Err(invalid_arg(what, "expected a string"));
    }
    read(env, v, what)
}

/// The arguments of `groupOffsets` and `lag`: the group, the topics asked for, the timeout
/// (the options are read first).
fn read_group_offsets(
    env: &Env,
    group_id: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> EngineResult<(String, Option<Vec<String>>, Duration)> {
    let o: Option<JsGroupOffsetsOptions> = read_optional(env, options, "options")?;
    let timeout = timeout_of(o.as_ref().and_then(|o| o.timeout_ms))?;
    Ok((
        read_string(env, group_id, "groupId")?,
        o.and_then(|o| o.topics),
        timeout,
    ))
}

/// A Kafka admin client: topics and their configs, consumer groups and offsets, the cluster's
/// description and health. Create it from the same `KafkaConfig` as a `KafkaService` (or with
/// `service.admin()`); call `disconnect()` when done. Every method takes an optional
/// `timeoutMs` (default 10000) bounding the whole call, and rejects with `KafkaNativeError`:
/// `ERR_INVALID_ARG` for bad arguments, the broker's error (`ERR_TOPIC_ALREADY_EXISTS`,
/// `ERR_UNKNOWN_TOPIC_OR_PART`, `ERR_POLICY_VIOLATION`, ...) with the `topic` it concerns,
/// `ERR__TIMED_OUT` (retriable) when the timeout passes, `ERR_DISCONNECTED` after `disconnect()`.
#[napi]
pub struct KafkaAdmin {
    pub(crate) admin: Arc<Admin>,
}

impl KafkaAdmin {
    /// Wraps an engine admin client.
    pub(crate) fn from_engine(admin: Admin) -> Self {
        KafkaAdmin {
            admin: Arc::new(admin),
        }
    }

    /// A client of `config` logging to `logger`; `ERR_INVALID_CONFIG` for an invalid setting.
    pub(crate) fn with_config(env: &Env, config: ServiceConfig, logger: Logger) -> Result<Self> {
        Admin::new(config, logger)
            .map(KafkaAdmin::from_engine)
            .map_err(|e| to_napi_error(env, &e))
    }
}

#[napi]
impl KafkaAdmin {
    /// Validates the configuration and creates the client (it connects on first use). Throws
    /// `KafkaNativeError` with code `ERR_INVALID_CONFIG` for an unknown or invalid setting.
    #[napi(constructor, ts_args_type = "config: KafkaConfig")]
    pub fn new(env: Env, config: Unknown<'_>) -> Result<Self> {
        let (service, sink) =
            read_client_config(&env, config).map_err(|e| to_napi_error(&env, &e))?;
        let logger = service.logger(sink);
        KafkaAdmin::with_config(&env, service, logger)
    }

    /// Creates the topics that do not exist, as specified, and compares the ones that do with
    /// their specs (partitions, replication factor, and the configs the spec names) without
    /// changing them. Resolves with what it created and how the existing topics differ; a
    /// second run creates nothing. `ensureTopics(topicCatalog('dev'))` sets up a fresh cluster.
    #[napi(
        ts_args_type = "specs: TopicSpec[], options?: AdminCallOptions",
        ts_return_type = "Promise<EnsureTopicsResult>"
    )]
    pub fn ensure_topics<'e>(
        &self,
        env: &'e Env,
        specs: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsEnsureTopicsResult>> {
        admin_call!(
            self,
            env,
            Ok((read_specs(env, specs)?, call_timeout(env, options)?)),
            |admin, (specs, timeout)| admin.ensure_topics(&specs, timeout),
            |_, r| Ok(JsEnsureTopicsResult::from(r))
        )
    }

    /// Creates the topics; resolves with their names once the controller created them all and
    /// the cluster's metadata lists each with a leader per partition (waiting for that at most
    /// until the timeout).
    /// Not transactional: if one fails (`ERR_TOPIC_ALREADY_EXISTS`,
    /// `ERR_INVALID_REPLICATION_FACTOR`, `ERR_POLICY_VIOLATION`, ...) the rejection names it in
    /// `topic`, and the others may have been created.
    #[napi(
        ts_args_type = "specs: TopicSpec[], options?: AdminCallOptions",
        ts_return_type = "Promise<string[]>"
    )]
    pub fn create_topics<'e>(
        &self,
        env: &'e Env,
        specs: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<String>>> {
        admin_call!(
            self,
            env,
            Ok((read_specs(env, specs)?, call_timeout(env, options)?)),
            |admin, (specs, timeout)| admin.create_topics(&specs, timeout),
            |_, names| Ok(names)
        )
    }

    /// Deletes the topics and their messages. Rejects with `ERR_UNKNOWN_TOPIC_OR_PART` (and
    /// `topic`) for one that does not exist; the others are still deleted.
    #[napi(
        ts_args_type = "topics: string[], options?: AdminCallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn delete_topics<'e>(
        &self,
        env: &'e Env,
        topics: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, ()>> {
        admin_call!(
            self,
            env,
            Ok((
                read_strings(env, topics, "topics")?,
                call_timeout(env, options)?
            )),
            |admin, (topics, timeout)| admin.delete_topics(&topics, timeout),
            |_, ()| Ok(())
        )
    }

    /// Raises topics' partition counts to the given totals. Partitions cannot be removed, and
    /// keys map to other partitions afterwards. Rejects with `ERR_INVALID_PARTITIONS` for a
    /// count not above the current one.
    #[napi(
        ts_args_type = "partitions: PartitionCount[], options?: AdminCallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn create_partitions<'e>(
        &self,
        env: &'e Env,
        partitions: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, ()>> {
        admin_call!(
            self,
            env,
            {
                if !partitions.is_array().unwrap_or(false) {
                    return Err(invalid_arg(
                        "partitions",
                        "expected an array of {topic, count}",
                    ));
                }
                let counts: Vec<JsPartitionCount> = read(env, partitions, "partitions")?;
                let totals: Vec<(String, i32)> =
                    counts.into_iter().map(|c| (c.topic, c.count)).collect();
                Ok((totals, call_timeout(env, options)?))
            },
            |admin, (totals, timeout)| admin.create_partitions(&totals, timeout),
            |_, ()| Ok(())
        )
    }

    /// Topic names, sorted; internal topics only with `includeInternal`.
    #[napi(
        ts_args_type = "options?: ListTopicsOptions",
        ts_return_type = "Promise<string[]>"
    )]
    pub fn list_topics<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<String>>> {
        admin_call!(
            self,
            env,
            {
                let o: Option<JsListTopicsOptions> = read_optional(env, options, "options")?;
                let internal = o.as_ref().and_then(|o| o.include_internal).unwrap_or(false);
                Ok((internal, timeout_of(o.and_then(|o| o.timeout_ms))?))
            },
            |admin, (internal, timeout)| admin.list_topics(internal, timeout),
            |_, names| Ok(names)
        )
    }

    /// Partitions of the named topics (in that order), or of every non-internal topic: leader,
    /// replicas, in-sync replicas, under-replicated, offline; from the cluster's metadata.
    /// Rejects with `ERR_UNKNOWN_TOPIC_OR_PART` for a topic that does not exist.
    #[napi(
        ts_args_type = "topics?: string[] | null, options?: AdminCallOptions",
        ts_return_type = "Promise<TopicDescription[]>"
    )]
    pub fn describe_topics<'e>(
        &self,
        env: &'e Env,
        topics: Option<Unknown<'e>>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsTopicDescription>>> {
        admin_call!(
            self,
            env,
            {
                let topics = match topics {
                    Some(t)
                        if !matches!(t.get_type(), Ok(ValueType::Undefined | ValueType::Null)) =>
                    {
                        Some(read_strings(env, t, "topics")?)
                    }
                    _ => None,
                };
                Ok((topics, call_timeout(env, options)?))
            },
            |admin, (topics, timeout)| admin.describe_topics(topics.as_deref(), timeout),
            |_, list| Ok(list
                .into_iter()
                .map(JsTopicDescription::from)
                .collect::<Vec<_>>())
        )
    }

    /// Brokers, controller id and cluster id.
    #[napi(
        ts_args_type = "options?: AdminCallOptions",
        ts_return_type = "Promise<ClusterDescription>"
    )]
    pub fn describe_cluster<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsClusterDescription>> {
        admin_call!(
            self,
            env,
            call_timeout(env, options),
            |admin, timeout| admin.describe_cluster(timeout),
            |_, c| Ok(JsClusterDescription::from(c))
        )
    }

    /// Every config of each topic, defaults included, with where its value comes from.
    #[napi(
        ts_args_type = "topics: string[], options?: AdminCallOptions",
        ts_return_type = "Promise<TopicConfigs[]>"
    )]
    pub fn describe_configs<'e>(
        &self,
        env: &'e Env,
        topics: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsTopicConfigs>>> {
        admin_call!(
            self,
            env,
            Ok((
                read_strings(env, topics, "topics")?,
                call_timeout(env, options)?
            )),
            |admin, (topics, timeout)| admin.describe_configs(&topics, timeout),
            |_, list| Ok(list
                .into_iter()
                .map(JsTopicConfigs::from)
                .collect::<Vec<_>>())
        )
    }

    /// Changes the named configs of a topic and only those (IncrementalAlterConfigs): a string
    /// sets a config, `null` reverts it to the broker's default. Rejects with the broker's
    /// error (`ERR_INVALID_CONFIG`, `ERR_POLICY_VIOLATION`, `ERR_UNKNOWN_TOPIC_OR_PART`).
    #[napi(
        ts_args_type = "topic: string, configs: Record<string, string | null>, options?: AdminCallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn alter_configs<'e>(
        &self,
        env: &'e Env,
        topic: Unknown<'e>,
        configs: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, ()>> {
        admin_call!(
            self,
            env,
            {
                let topic = read_string(env, topic, "topic")?;
                if configs.get_type().map_err(|e| invalid_arg("configs", e))? != ValueType::Object
                    || configs.is_array().unwrap_or(false)
                {
                    return Err(invalid_arg(
                        "configs",
                        "expected an object of config names to values",
                    ));
                }
                let map: std::collections::HashMap<String, Option<String>> =
                    read(env, configs, "configs")?;
                let mut changes: Vec<(String, Option<String>)> = map.into_iter().collect();
                changes.sort();
                Ok((topic, changes, call_timeout(env, options)?))
            },
            |admin, (topic, changes, timeout)| admin.alter_configs(&topic, changes, timeout),
            |_, ()| Ok(())
        )
    }

    /// Every consumer group of the cluster, sorted by id.
    #[napi(
        ts_args_type = "options?: AdminCallOptions",
        ts_return_type = "Promise<GroupListing[]>"
    )]
    pub fn list_groups<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsGroupListing>>> {
        admin_call!(
            self,
            env,
            call_timeout(env, options),
            |admin, timeout| admin.list_groups(timeout),
            |_, list| Ok(list
                .into_iter()
                .map(JsGroupListing::from)
                .collect::<Vec<_>>())
        )
    }

    /// A group's state, assignor and members with the partitions each consumes; also of a
    /// consumer-protocol (KIP-848) group, whose `protocol` is the broker's assignor (`uniform`).
    #[napi(
        ts_args_type = "groupId: string, options?: AdminCallOptions",
        ts_return_type = "Promise<GroupDescription>"
    )]
    pub fn describe_group<'e>(
        &self,
        env: &'e Env,
        group_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsGroupDescription>> {
        admin_call!(
            self,
            env,
            Ok((
                read_string(env, group_id, "groupId")?,
                call_timeout(env, options)?
            )),
            |admin, (group, timeout)| admin.describe_group(&group, timeout),
            |_, g| Ok(JsGroupDescription::from(g))
        )
    }

    /// The group's committed offsets: on every partition of `topics` (-1 where it committed
    /// nothing), or by default on the topics where it committed something.
    #[napi(
        ts_args_type = "groupId: string, options?: GroupOffsetsOptions",
        ts_return_type = "Promise<PartitionOffset[]>"
    )]
    pub fn group_offsets<'e>(
        &self,
        env: &'e Env,
        group_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsPartitionOffset>>> {
        admin_call!(
            self,
            env,
            read_group_offsets(env, group_id, options),
            |admin, (group, topics, timeout)| admin.group_offsets(
                &group,
                topics.as_deref(),
                timeout
            ),
            |_, offsets| Ok(offsets
                .into_iter()
                .map(JsPartitionOffset::from)
                .collect::<Vec<_>>())
        )
    }

    /// How far the group is behind: committed offset against the high watermark on each
    /// partition (of `topics`, or of the topics where it committed something), and the total.
    #[napi(
        ts_args_type = "groupId: string, options?: GroupOffsetsOptions",
        ts_return_type = "Promise<GroupLag>"
    )]
    pub fn lag<'e>(
        &self,
        env: &'e Env,
        group_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsGroupLag>> {
        admin_call!(
            self,
            env,
            read_group_offsets(env, group_id, options),
            |admin, (group, topics, timeout)| admin.lag(&group, topics.as_deref(), timeout),
            |_, l| Ok(JsGroupLag::from(l))
        )
    }

    /// Moves a stopped group's committed offsets on every partition of `topics` to the
    /// earliest or latest offset, or to the first message at or after a time; resolves with
    /// the offsets committed. Rejects with `ERR_NON_EMPTY_GROUP` while the group has members.
    #[napi(
        ts_args_type = "groupId: string, options: ResetOffsetsOptions",
        ts_return_type = "Promise<PartitionOffset[]>"
    )]
    pub fn reset_offsets<'e>(
        &self,
        env: &'e Env,
        group_id: Unknown<'e>,
        options: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Vec<JsPartitionOffset>>> {
        admin_call!(
            self,
            env,
            {
                let group = read_string(env, group_id, "groupId")?;
                if options.get_type().map_err(|e| invalid_arg("options", e))? != ValueType::Object {
                    return Err(invalid_arg("options", "expected {topics, to}"));
                }
                let o: JsResetOffsetsOptions = read(env, options, "options")?;
                let target = ResetTarget::try_from(&o)?;
                let timeout = timeout_of(o.timeout_ms)?;
                Ok((group, o.topics, target, timeout))
            },
            |admin, (group, topics, target, timeout)| admin
                .reset_offsets(&group, &topics, target, timeout),
            |_, offsets| Ok(offsets
                .into_iter()
                .map(JsPartitionOffset::from)
                .collect::<Vec<_>>())
        )
    }

    /// For each partition of `topic`, the offset of the first message at or after `timestamp`
    /// (ms since the epoch, or a Date), or the high watermark when there is none: where a
    /// replay from that time starts.
    #[napi(
        ts_args_type = "topic: string, timestamp: number | Date, options?: AdminCallOptions",
        ts_return_type = "Promise<PartitionOffset[]>"
    )]
    pub fn offsets_for_times<'e>(
        &self,
        env: &'e Env,
        topic: Unknown<'e>,
        timestamp: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsPartitionOffset>>> {
        admin_call!(
            self,
            env,
            {
                let topic = read_string(env, topic, "topic")?;
                let ts: Either<f64, Date> = read(env, timestamp, "timestamp")?;
                Ok((
                    topic,
                    read_time(&ts, "timestamp")?,
                    call_timeout(env, options)?,
                ))
            },
            |admin, (topic, ts, timeout)| admin.offsets_for_times(&topic, ts, timeout),
            |_, offsets| Ok(offsets
                .into_iter()
                .map(JsPartitionOffset::from)
                .collect::<Vec<_>>())
        )
    }

    /// Examines the cluster in one bounded call: metadata round trip (`latencyMs`), cluster
    /// and controller ids, each broker pinged on its own connection (`up`), and the partitions
    /// under-replicated or offline. Resolves with `healthy: false` and `error` when no broker
    /// answers; rejects only with `ERR_DISCONNECTED` or `ERR_INVALID_ARG`.
    #[napi(
        ts_args_type = "options?: HealthOptions",
        ts_return_type = "Promise<HealthReport>"
    )]
    pub fn health<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsHealthReport>> {
        admin_call!(
            self,
            env,
            health_timeout(env, options),
            |admin, timeout| admin.health(timeout),
            |_, h| Ok(JsHealthReport::from(h))
        )
    }

    /// Closes the client; afterwards every method rejects with `ERR_DISCONNECTED`. Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn disconnect<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let admin = self.admin.clone();
        settle(
            env,
            async move {
                admin.close().await;
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }
}
