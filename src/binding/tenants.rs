//! Catalog presets, tenant topics on `KafkaAdmin`, partition strategies and partition sizing.

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::admin::{admin_call, KafkaAdmin};
use crate::binding::args;
use crate::binding::error::to_napi_error;
use crate::binding::promise::{rejected, settle};
use crate::binding::subscription::JsTopicPartition;
use crate::binding::topics::{JsEnsureTopicsResult, JsTopicDifference, JsTopicSpec};
use crate::engine::admin::TenantHealth;
use crate::engine::catalogs::{
    self, KeyFields, Load, PartitionStrategy, Preset, Profile, TopicTemplate,
};
use crate::engine::error::{EngineError, EngineResult};

/// A catalog preset: its shared topics and its per-tenant topic templates.
#[napi(object, js_name = "CatalogPreset")]
pub struct JsCatalogPreset {
    /// Topics created once (platform, dead-letter and retry topics).
    #[napi(ts_type = "Array<TopicSpec>")]
    pub topics: Vec<JsTopicSpec>,
    /// Topics every tenant gets: names hold `{tenant}`, `keyStrategy` is the partition strategy.
    #[napi(ts_type = "Array<TopicSpec>")]
    pub tenant_templates: Vec<JsTopicSpec>,
}

/// Catalog presets by name: `'cosmic-horizons'` (seed 000's topics, no tenant templates) and
/// `'caas'` (seed 002: `platform.*`, `internal.dlq`, `internal.retry.1min` / `.5min` / `.30min`,
/// and per tenant `chat.messages.{tenant}` (16 partitions, 30 days, conversation_id),
/// `chat.events.{tenant}` (8, 7 days, user_id), `presence.{tenant}` (4, 1 day, compacted,
/// user_id), `analytics.{tenant}` (8, 90 days, random), `notifications.{tenant}` (4, 7 days,
/// user_id)). `'prod'`: replication 3, min.insync.replicas 2; `'dev'`: replication 1, min ISR 1
/// and a quarter of the partitions. Throws `ERR_INVALID_ARG` for an unknown name or profile.
#[napi(ts_args_type = "name: 'cosmic-horizons' | 'caas', profile: 'dev' | 'prod'")]
pub fn catalog_preset(env: Env, name: String, profile: String) -> Result<JsCatalogPreset> {
    let read = || -> EngineResult<Preset> { catalogs::preset(&name, profile.parse()?) };
    read()
        .map(JsCatalogPreset::from)
        .map_err(|e| to_napi_error(&env, &e))
}

/// Where a tenant's topics come from, and the call's bound.
#[napi(object, js_name = "TenantOptions")]
pub struct JsTenantOptions {
    /// A catalog preset with tenant templates. Default `'caas'`.
    pub preset: Option<String>,
    /// Default `'dev'`.
    #[napi(ts_type = "'dev' | 'prod'")]
    pub profile: Option<String>,
    /// Templates instead of a preset: names hold `{tenant}` once; `keyStrategy` names a
    /// partition strategy (default `random`).
    #[napi(ts_type = "Array<TopicSpec>")]
    pub templates: Option<Vec<JsTopicSpec>>,
    /// Bound on the whole call. Default 10000.
    pub timeout_ms: Option<u32>,
}

/// The state of a tenant's topics against their templates.
#[napi(object, js_name = "TenantHealth")]
pub struct JsTenantHealth {
    pub tenant: String,
    /// Its topics that exist, in template order.
    pub present: Vec<String>,
    /// Its topics that do not.
    pub missing: Vec<String>,
    /// How the present topics differ from their templates (partitions, replication factor,
    /// configs): drift that `createTenantTopics` reports but never changes.
    #[napi(ts_type = "Array<TopicDifference>")]
    pub differences: Vec<JsTopicDifference>,
    /// Partitions of the present topics without a leader: neither writable nor readable.
    pub offline_partitions: Vec<JsTopicPartition>,
    /// Partitions of the present topics with fewer replicas in sync than assigned.
    pub under_replicated_partitions: Vec<JsTopicPartition>,
    /// Every topic exists and matches its template, and every partition has a leader and all its
    /// replicas in sync.
    pub healthy: bool,
}

fn read_templates(
    env: &Env,
    options: Option<Unknown<'_>>,
) -> EngineResult<(Vec<TopicTemplate>, std::time::Duration)> {
    let o: Option<JsTenantOptions> = args::read_optional(env, options, "options")?;
    let timeout = args::timeout_of(o.as_ref().and_then(|o| o.timeout_ms))?;
    let templates = match o {
        Some(JsTenantOptions {
            templates: Some(list),
            ..
        }) => templates_of(list)?,
        o => {
            let preset = o.as_ref().and_then(|o| o.preset.clone());
            let profile: Profile = o
                .as_ref()
                .and_then(|o| o.profile.as_deref())
                .unwrap_or("dev")
                .parse()?;
            catalogs::preset(preset.as_deref().unwrap_or("caas"), profile)?.tenant_templates
        }
    };
    Ok((templates, timeout))
}

/// Templates given as `TopicSpec`s: names hold `{tenant}` once, `keyStrategy` names the
/// partition strategy (default `random`).
pub(crate) fn templates_of(list: Vec<JsTopicSpec>) -> EngineResult<Vec<TopicTemplate>> {
    list.into_iter()
        .map(|t| {
            let strategy = PartitionStrategy::parse(t.key_strategy.as_deref().unwrap_or("random"))?;
            let template = TopicTemplate {
                spec: t.into(),
                strategy,
            };
            template.validate()?;
            Ok(template)
        })
        .collect()
}

/// The tenant templates of `KafkaConfig.tenantTemplates`: a preset's, or the ones given.
pub(crate) fn config_templates(
    given: Either<String, Vec<JsTopicSpec>>,
) -> EngineResult<Vec<TopicTemplate>> {
    match given {
        // A template's strategy is the same in every profile.
        Either::A(name) => Ok(catalogs::preset(&name, Profile::Dev)?.tenant_templates),
        Either::B(list) => templates_of(list),
    }
}

fn read_tenant(env: &Env, tenant: Unknown<'_>) -> EngineResult<String> {
    let id: String = args::read(env, tenant, "tenantId")?;
    catalogs::validate_tenant_id(&id)?;
    Ok(id)
}

/// The arguments of the per-tenant calls: the tenant id, then the templates and the timeout.
fn read_tenant_call(
    env: &Env,
    tenant: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> EngineResult<(String, (Vec<TopicTemplate>, std::time::Duration))> {
    Ok((read_tenant(env, tenant)?, read_templates(env, options)?))
}

#[napi]
impl KafkaAdmin {
    /// Creates the tenant's topics from the templates (default: the `caas` preset, `dev`
    /// profile): resolves with `created`, `existing` (already there, unchanged) and `differences`
    /// (existing topics whose settings differ). Idempotent. A bad tenant id (1-64 of `a-z0-9_-`,
    /// no `.`) is `ERR_INVALID_ARG`; only this tenant's exact topic names are touched.
    #[napi(
        ts_args_type = "tenantId: string, options?: TenantOptions",
        ts_return_type = "Promise<EnsureTopicsResult>"
    )]
    pub fn create_tenant_topics<'e>(
        &self,
        env: &'e Env,
        tenant_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsEnsureTopicsResult>> {
        admin_call!(
            self,
            env,
            read_tenant_call(env, tenant_id, options),
            |admin, (tenant, (templates, timeout))| admin
                .create_tenant_topics(&templates, &tenant, timeout),
            |_, r| Ok(JsEnsureTopicsResult::from(r))
        )
    }

    /// Deletes the tenant's topics that exist; resolves with their names (empty when there were
    /// none). Other tenants' topics are never touched, whatever their ids.
    #[napi(
        ts_args_type = "tenantId: string, options?: TenantOptions",
        ts_return_type = "Promise<string[]>"
    )]
    pub fn delete_tenant_topics<'e>(
        &self,
        env: &'e Env,
        tenant_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<String>>> {
        admin_call!(
            self,
            env,
            read_tenant_call(env, tenant_id, options),
            |admin, (tenant, (templates, timeout))| admin
                .delete_tenant_topics(&templates, &tenant, timeout),
            |_, r| Ok(r)
        )
    }

    /// Tenants with at least one topic of the templates, sorted.
    #[napi(
        ts_args_type = "options?: TenantOptions",
        ts_return_type = "Promise<string[]>"
    )]
    pub fn list_tenants<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<String>>> {
        admin_call!(
            self,
            env,
            read_templates(env, options),
            |admin, (templates, timeout)| admin.list_tenants(&templates, timeout),
            |_, r| Ok(r)
        )
    }

    /// Which of the tenant's topics exist, how they differ from their templates, and which of
    /// their partitions are offline or under-replicated (`healthy` when none of that).
    #[napi(
        ts_args_type = "tenantId: string, options?: TenantOptions",
        ts_return_type = "Promise<TenantHealth>"
    )]
    pub fn tenant_health<'e>(
        &self,
        env: &'e Env,
        tenant_id: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsTenantHealth>> {
        admin_call!(
            self,
            env,
            read_tenant_call(env, tenant_id, options),
            |admin, (tenant, (templates, timeout))| admin
                .tenant_health(&templates, &tenant, timeout),
            |_, h| Ok(JsTenantHealth::from(h))
        )
    }
}

/// The fields a partition strategy keys on.
#[napi(object, js_name = "KeyFieldsInput")]
pub struct JsKeyFieldsInput {
    pub tenant_id: Option<String>,
    pub conversation_id: Option<String>,
    pub user_id: Option<String>,
}

/// The message key a named partition strategy gives (`conversation_id`, `user_id`,
/// `tenant_id`; `random` gives none): pass it as the publish's `key`, and the key maps to its
/// partition as the Java client does. Throws `ERR_INVALID_ARG` for another strategy or a
/// missing field.
#[napi(
    ts_args_type = "strategy: 'conversation_id' | 'user_id' | 'tenant_id' | 'random', fields: KeyFieldsInput"
)]
pub fn partition_key(
    env: Env,
    strategy: String,
    fields: JsKeyFieldsInput,
) -> Result<Option<String>> {
    let key = || -> EngineResult<Option<String>> {
        let s = PartitionStrategy::parse(&strategy)?;
        Ok(s.key(&KeyFields::from(&fields))?.map(str::to_string))
    };
    key().map_err(|e| to_napi_error(&env, &e))
}

/// The load `recommendedPartitions` sizes for.
#[napi(object, js_name = "PartitionLoad")]
pub struct JsPartitionLoad {
    pub messages_per_second: f64,
    /// Distinct keys; 0 (default) for unkeyed topics.
    pub unique_keys: Option<f64>,
    /// Consumer instances of the group. Default 1.
    pub consumers: Option<u32>,
}

/// Partitions for a load: ceil(messagesPerSecond / 500) (500 msgs/s per partition keeps headroom
/// over the ~100 msgs/s a 10 ms handler manages in partition order on the local broker), at
/// least one per consumer, rounded up to a power of two, at most one per key, at most 128.
#[napi]
pub fn recommended_partitions(env: Env, load: JsPartitionLoad) -> Result<u32> {
    Load::try_from(&load)
        .and_then(catalogs::recommended_partitions)
        .map_err(|e| to_napi_error(&env, &e))
}

impl From<Preset> for JsCatalogPreset {
    fn from(p: Preset) -> Self {
        JsCatalogPreset {
            topics: p.topics.into_iter().map(Into::into).collect(),
            tenant_templates: p
                .tenant_templates
                .into_iter()
                .map(|t| t.spec.into())
                .collect(),
        }
    }
}

impl From<TenantHealth> for JsTenantHealth {
    fn from(h: TenantHealth) -> Self {
        JsTenantHealth {
            healthy: h.healthy(),
            tenant: h.tenant,
            present: h.present,
            missing: h.missing,
            differences: h.differences.into_iter().map(Into::into).collect(),
            offline_partitions: h.offline.into_iter().map(Into::into).collect(),
            under_replicated_partitions: h.under_replicated.into_iter().map(Into::into).collect(),
        }
    }
}

impl<'a> From<&'a JsKeyFieldsInput> for KeyFields<'a> {
    fn from(f: &'a JsKeyFieldsInput) -> Self {
        KeyFields {
            tenant_id: f.tenant_id.as_deref(),
            conversation_id: f.conversation_id.as_deref(),
            user_id: f.user_id.as_deref(),
        }
    }
}

impl TryFrom<&JsPartitionLoad> for Load {
    type Error = EngineError;

    /// `ERR_INVALID_ARG` for a `uniqueKeys` that is not a number >= 0.
    fn try_from(load: &JsPartitionLoad) -> EngineResult<Self> {
        let keys = load.unique_keys.unwrap_or(0.0);
        if !(keys.is_finite() && keys >= 0.0) {
            return Err(EngineError::InvalidArg(
                "uniqueKeys must be a number >= 0".into(),
            ));
        }
        Ok(Load {
            messages_per_second: load.messages_per_second,
            unique_keys: keys as u64,
            consumers: load.consumers.unwrap_or(1),
        })
    }
}
