//! Topic templates: a name pattern with a `{tenant}` placeholder and the settings every tenant's
//! topic gets, and the tenant ids that may fill it.

use crate::engine::admin::TopicSpec;
use crate::engine::catalogs::strategy::PartitionStrategy;
use crate::engine::error::{EngineError, EngineResult};

/// The placeholder a template's name holds once.
pub const TENANT: &str = "{tenant}";

/// Longest tenant id: leaves room in Kafka's 249 characters for the longest pattern.
pub const MAX_TENANT_ID: usize = 64;

/// A topic per tenant: `spec.name` is the pattern (`chat.messages.{tenant}`).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicTemplate {
    pub spec: TopicSpec,
    /// How producers key this topic's messages.
    pub strategy: PartitionStrategy,
}

/// Checks a tenant id: 1-64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter or
/// digit. No `.`: a tenant's topic names then never parse as another tenant's, and ids that are
/// prefixes of each other (`acme`, `acme-eu`) name disjoint topics. A bad id is `ERR_INVALID_ARG`.
pub fn validate_tenant_id(id: &str) -> EngineResult<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_TENANT_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(EngineError::InvalidArg(format!(
            "tenant id '{}' must be 1-{MAX_TENANT_ID} characters of a-z, 0-9, '_' and '-', starting with a letter or digit",
            id.chars().take(80).collect::<String>()
        )))
    }
}

impl TopicTemplate {
    /// Rejects a pattern without exactly one `{tenant}`, or one that cannot make a valid name.
    pub fn validate(&self) -> EngineResult<()> {
        let pattern = &self.spec.name;
        if pattern.matches(TENANT).count() != 1 {
            return Err(EngineError::InvalidArg(format!(
                "topic template '{pattern}' must hold {TENANT} exactly once"
            )));
        }
        self.for_tenant_unchecked(&"x".repeat(MAX_TENANT_ID))
            .validate()
    }

    /// The topic of `tenant`, validated.
    pub fn for_tenant(&self, tenant: &str) -> EngineResult<TopicSpec> {
        validate_tenant_id(tenant)?;
        self.validate()?;
        Ok(self.for_tenant_unchecked(tenant))
    }

    fn for_tenant_unchecked(&self, tenant: &str) -> TopicSpec {
        let mut spec = self.spec.clone();
        spec.name = spec.name.replace(TENANT, tenant);
        spec.key_strategy = Some(self.strategy.as_str().to_string());
        spec
    }

    /// The tenant whose topic `topic` is, if it is one of this template's.
    pub fn tenant_of<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let (prefix, suffix) = self.spec.name.split_once(TENANT)?;
        let tenant = topic.strip_prefix(prefix)?.strip_suffix(suffix)?;
        validate_tenant_id(tenant).ok().map(|_| tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(pattern: &str) -> TopicTemplate {
        TopicTemplate {
            spec: TopicSpec::new(pattern),
            strategy: PartitionStrategy::ConversationId,
        }
    }

    #[test]
    fn tenant_ids_that_are_prefixes_of_each_other_name_disjoint_topics() {
        let t = template("chat.messages.{tenant}");
        assert_eq!(t.for_tenant("acme").unwrap().name, "chat.messages.acme");
        assert_eq!(t.tenant_of("chat.messages.acme"), Some("acme"));
        assert_eq!(t.tenant_of("chat.messages.acme-eu"), Some("acme-eu"));
        assert_eq!(t.tenant_of("chat.messages.acme.eu"), None);
        assert_eq!(t.tenant_of("chat.messages."), None);
        assert_eq!(t.tenant_of("chat.events.acme"), None);
        let suffixed = template("{tenant}.audit");
        assert_eq!(suffixed.tenant_of("acme.audit"), Some("acme"));
        assert_eq!(suffixed.tenant_of("acme-eu.audit"), Some("acme-eu"));
    }

    #[test]
    fn bad_tenant_ids_and_templates_are_typed_errors() {
        let t = template("chat.messages.{tenant}");
        for bad in ["", "Acme", "a.b", "a b", "-a", "ü", &"a".repeat(65), "a/b"] {
            assert_eq!(
                t.for_tenant(bad).unwrap_err().code(),
                "ERR_INVALID_ARG",
                "{bad}"
            );
        }
        for bad in [
            "chat.messages",
            "{tenant}.{tenant}",
            "chat messages.{tenant}",
        ] {
            assert!(template(bad).validate().is_err(), "{bad}");
        }
    }
}
