//! Per-tenant topics on the admin client: create, delete, list and check a tenant's topics from
//! topic templates. A call for one tenant names only that tenant's topics exactly, so tenants
//! whose ids are prefixes of each other never touch each other's topics.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use rdkafka::types::RDKafkaErrorCode;

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
        let present: Vec<&TopicSpec> = specs
            .iter()
            .filter(|s| snapshot.topic(&s.name).is_some())
            .collect();
        let (differences, gone) = differences_and_gone(&present, |specs| {
            let snapshot = &snapshot;
            async move {
                self.differences_from_specs(&specs, snapshot, false, deadline)
                    .await
            }
        })
        .await?;
        let mut health = TenantHealth {
            tenant: tenant.to_string(),
            differences,
            ..TenantHealth::default()
        };
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

/// How the `present` topics differ from their specs, `ask`ed once for all of them (one
/// DescribeConfigs), and which of them turned out deleted meanwhile. The batched call fails as a
/// whole when one topic is unknown to the broker; only then is each topic asked on its own, so
/// the deleted ones are told apart from the rest.
async fn differences_and_gone<'s, F, Fut>(
    present: &[&'s TopicSpec],
    ask: F,
) -> EngineResult<(Vec<TopicDifference>, Vec<&'s str>)>
where
    F: Fn(Vec<&'s TopicSpec>) -> Fut,
    Fut: Future<Output = EngineResult<Vec<TopicDifference>>>,
{
    match ask(present.to_vec()).await {
        Err(e) if unknown_topic(&e) => {}
        all => return all.map(|differences| (differences, Vec::new())),
    }
    let checks = futures::future::join_all(present.iter().map(|spec| {
        let found = ask(vec![*spec]);
        async move { (spec.name.as_str(), found.await) }
    }))
    .await;
    let mut differences = Vec::new();
    let mut gone = Vec::new();
    for (name, found) in checks {
        match found {
            Ok(found) => differences.extend(found),
            Err(e) if unknown_topic(&e) => gone.push(name),
            Err(e) => return Err(e),
        }
    }
    Ok((differences, gone))
}

fn unknown_topic(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Kafka {
            code: RDKafkaErrorCode::UnknownTopicOrPartition,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rdkafka::types::RDKafkaErrorCode;

    use super::differences_and_gone;
    use crate::engine::admin::diff::TopicDifference;
    use crate::engine::admin::TopicSpec;
    use crate::engine::error::{EngineError, EngineResult};

    fn drift(topic: &str) -> TopicDifference {
        TopicDifference {
            topic: topic.to_string(),
            setting: "retention.ms".into(),
            expected: "1000".into(),
            actual: Some("2000".into()),
        }
    }

    /// Answers like DescribeConfigs: the first unknown topic of a call fails all of it, and
    /// every other topic has drifted. Records the topics of each call.
    async fn describe(
        asked: &Mutex<Vec<Vec<String>>>,
        unknown: &[&str],
        fails: Option<RDKafkaErrorCode>,
        specs: Vec<&TopicSpec>,
    ) -> EngineResult<Vec<TopicDifference>> {
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        asked.lock().unwrap().push(names.clone());
        if let Some(code) = fails {
            return Err(EngineError::from_code(code));
        }
        match names.iter().find(|n| unknown.contains(&n.as_str())) {
            Some(n) => Err(
                EngineError::from_code(RDKafkaErrorCode::UnknownTopicOrPartition).about(n, None),
            ),
            None => Ok(names.iter().map(|n| drift(n)).collect()),
        }
    }

    fn specs() -> Vec<TopicSpec> {
        ["chat.a", "presence.a", "files.a"]
            .map(TopicSpec::new)
            .into_iter()
            .collect()
    }

    #[tokio::test]
    async fn all_topics_are_described_in_one_call() {
        let specs = specs();
        let present: Vec<&TopicSpec> = specs.iter().collect();
        let asked = Mutex::default();
        let (differences, gone) =
            differences_and_gone(&present, |s| describe(&asked, &[], None, s))
                .await
                .unwrap();
        assert_eq!(differences, ["chat.a", "presence.a", "files.a"].map(drift));
        assert!(gone.is_empty());
        assert_eq!(asked.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_topic_deleted_meanwhile_is_gone_and_the_others_still_checked() {
        let specs = specs();
        let present: Vec<&TopicSpec> = specs.iter().collect();
        let asked = Mutex::default();
        let (differences, gone) =
            differences_and_gone(&present, |s| describe(&asked, &["presence.a"], None, s))
                .await
                .unwrap();
        assert_eq!(differences, ["chat.a", "files.a"].map(drift));
        assert_eq!(gone, ["presence.a"]);
        let asked = asked.lock().unwrap();
        assert_eq!(asked.len(), 1 + present.len());
        assert_eq!(asked[0].len(), present.len());
    }

    #[tokio::test]
    async fn any_other_failure_fails_the_call_without_asking_again() {
        let specs = specs();
        let present: Vec<&TopicSpec> = specs.iter().collect();
        let asked = Mutex::default();
        let failed = differences_and_gone(&present, |s| {
            describe(
                &asked,
                &[],
                Some(RDKafkaErrorCode::TopicAuthorizationFailed),
                s,
            )
        })
        .await
        .unwrap_err();
        assert_eq!(failed.code(), "ERR_TOPIC_AUTHORIZATION_FAILED");
        assert_eq!(asked.lock().unwrap().len(), 1);
    }
}
