//! Per-tenant topics on the admin client: create, delete, list and check a tenant's topics from
//! topic templates. A call for one tenant names only that tenant's topics exactly, so tenants
//! whose ids are prefixes of each other never touch each other's topics.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::engine::admin::{Admin, EnsureReport, TopicSpec};
use crate::engine::catalogs::{validate_tenant_id, TopicTemplate};
use crate::engine::error::{EngineError, EngineResult};

/// Which of a tenant's topics exist.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantHealth {
    pub tenant: String,
    /// Its topics that exist, in template order.
    pub present: Vec<String>,
    /// Its topics that do not.
    pub missing: Vec<String>,
}

fn tenant_specs(templates: &[TopicTemplate], tenant: &str) -> EngineResult<Vec<TopicSpec>> {
    validate_tenant_id(tenant)?;
    if templates.is_empty() {
        return Err(EngineError::InvalidArg(
            "no tenant topic templates (pick a preset that has them, or give templates)".into(),
        ));
    }
    templates.iter().map(|t| t.for_tenant(tenant)).collect()
}

impl Admin {
    /// Creates the tenant's topics that do not exist and compares those that do with their
    /// templates: `created`, `existing` (already there) and `differences`. Idempotent.
    pub async fn create_tenant_topics(
        &self,
        templates: &[TopicTemplate],
        tenant: &str,
        timeout: Duration,
    ) -> EngineResult<EnsureReport> {
        let specs = tenant_specs(templates, tenant)?;
        self.ensure_topics(&specs, timeout).await
    }

    /// Deletes the tenant's topics that exist; resolves with their names (none on a second call).
    pub async fn delete_tenant_topics(
        &self,
        templates: &[TopicTemplate],
        tenant: &str,
        timeout: Duration,
    ) -> EngineResult<Vec<String>> {
        let health = self.tenant_health(templates, tenant, timeout).await?;
        // Metadata may still list a topic a moment after its deletion: one already gone counts
        // as not deleted by this call, not as a failure.
        let results = futures::future::join_all(health.present.iter().map(|name| async move {
            match self
                .delete_topics(std::slice::from_ref(name), timeout)
                .await
            {
                Ok(()) => Ok(Some(name.clone())),
                Err(e) if e.code() == "ERR_UNKNOWN_TOPIC_OR_PART" => Ok(None),
                Err(e) => Err(e),
            }
        }))
        .await;
        let mut deleted = Vec::new();
        for r in results {
            deleted.extend(r?);
        }
        Ok(deleted)
    }

    /// Tenants that have at least one topic of the templates, sorted.
    pub async fn list_tenants(
        &self,
        templates: &[TopicTemplate],
        timeout: Duration,
    ) -> EngineResult<Vec<String>> {
        for t in templates {
            t.validate()?;
        }
        let topics = self.list_topics(false, timeout).await?;
        let tenants: BTreeSet<String> = topics
            .iter()
            .flat_map(|topic| templates.iter().filter_map(|t| t.tenant_of(topic)))
            .map(str::to_string)
            .collect();
        Ok(tenants.into_iter().collect())
    }

    /// Which of the tenant's topics exist.
    pub async fn tenant_health(
        &self,
        templates: &[TopicTemplate],
        tenant: &str,
        timeout: Duration,
    ) -> EngineResult<TenantHealth> {
        let specs = tenant_specs(templates, tenant)?;
        let topics = self.list_topics(false, timeout).await?;
        let (present, missing): (Vec<String>, Vec<String>) = specs
            .into_iter()
            .map(|s| s.name)
            .partition(|name| topics.contains(name));
        Ok(TenantHealth {
            tenant: tenant.to_string(),
            present,
            missing,
        })
    }
}
