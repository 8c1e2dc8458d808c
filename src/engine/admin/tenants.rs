//! Per-tenant topics on the admin client: create, delete, list and check a tenant's topics from
//! topic templates. A call for one tenant names only that tenant's topics exactly, so tenants
//! whose ids are prefixes of each other never touch each other's topics.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::engine::admin::diff::TopicDifference;
use crate::engine::admin::{Admin, Deadline, EnsureReport, TopicSpec};
use crate::engine::catalogs::{validate_tenant_id, TopicTemplate};
use crate::engine::error::{EngineError, EngineResult};

/// The state of a tenant's topics against their templates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantHealth {
    pub tenant: String,
    /// Its topics that exist, in template order.
    pub present: Vec<String>,
    /// Its topics that do not.
    pub missing: Vec<String>,
    /// How the present topics differ from their templates (partitions, replication, configs):
    /// drift that `create_tenant_topics` reports but never changes.
    pub differences: Vec<TopicDifference>,
    /// Partitions of the present topics without a leader (neither writable nor readable).
    pub offline: Vec<(String, i32)>,
    /// Partitions of the present topics with fewer replicas in sync than assigned.
    pub under_replicated: Vec<(String, i32)>,
}

impl TenantHealth {
    /// Every topic exists, matches its template, and every partition has a leader and all its
    /// replicas in sync.
    pub fn healthy(&self) -> bool {
        self.missing.is_empty()
            && self.differences.is_empty()
            && self.offline.is_empty()
            && self.under_replicated.is_empty()
    }
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
        let specs = tenant_specs(templates, tenant)?;
        let snapshot = self.metadata_until(Deadline::after(timeout)).await?;
        let present = specs
            .into_iter()
            .map(|s| s.name)
            .filter(|name| snapshot.topic(name).is_some());
        // Metadata may still list a topic a moment after its deletion: one already gone counts
        // as not deleted by this call, not as a failure.
        let results = futures::future::join_all(present.map(|name| async move {
            match self
                .delete_topics(std::slice::from_ref(&name), timeout)
                .await
            {
                Ok(()) => Ok(Some(name)),
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

    /// Which of the tenant's topics exist, how they differ from their templates, and which of
    /// their partitions are offline or under-replicated. A topic deleted meanwhile (still in the
    /// metadata, unknown to the broker asked for its configs) counts as missing.
    pub async fn tenant_health(
        &self,
        templates: &[TopicTemplate],
        tenant: &str,
        timeout: Duration,
    ) -> EngineResult<TenantHealth> {
        let specs = tenant_specs(templates, tenant)?;
        let deadline = Deadline::after(timeout);
        let snapshot = self.metadata_until(deadline).await?;
        let checks = futures::future::join_all(
            specs
                .iter()
                .filter(|s| snapshot.topic(&s.name).is_some())
                .map(|spec| {
                    let snapshot = &snapshot;
                    async move {
                        let found = self
                            .differences_from_specs(&[spec], snapshot, false, deadline)
                            .await;
                        (spec.name.as_str(), found)
                    }
                }),
        )
        .await;
        let mut health = TenantHealth {
            tenant: tenant.to_string(),
            ..TenantHealth::default()
        };
        let mut gone = Vec::new();
        for (name, found) in checks {
            match found {
                Ok(differences) => health.differences.extend(differences),
                Err(e) if e.code() == "ERR_UNKNOWN_TOPIC_OR_PART" => gone.push(name),
                Err(e) => return Err(e),
            }
        }
        for spec in &specs {
            let Some(topic) = snapshot
                .topic(&spec.name)
                .filter(|_| !gone.contains(&spec.name.as_str()))
            else {
                health.missing.push(spec.name.clone());
                continue;
            };
            health.present.push(spec.name.clone());
            for p in &topic.partitions {
                if p.offline {
                    health.offline.push((topic.name.clone(), p.partition));
                } else if p.under_replicated {
                    health
                        .under_replicated
                        .push((topic.name.clone(), p.partition));
                }
            }
        }
        Ok(health)
    }
}
