//! Topic catalogs users pick by name (`cosmic-horizons` from seed 000, `caas` from seed 002),
//! each in a `dev` and a `prod` profile, and the pieces they are made of: tenant topic templates
//! and named partition strategies. Nothing else in the engine depends on a particular catalog.

pub mod caas;
pub mod cosmic_horizons;
mod profile;
pub mod strategy;
pub mod template;

pub use profile::Profile;
pub use strategy::{recommended_partitions, KeyFields, Load, PartitionStrategy};
pub use template::{validate_tenant_id, TopicTemplate};

use crate::engine::admin::TopicSpec;
use crate::engine::error::{EngineError, EngineResult};

/// The names `preset` knows.
pub const PRESETS: [&str; 2] = ["cosmic-horizons", "caas"];

/// A catalog: shared topics, and the templates of every tenant's topics.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub topics: Vec<TopicSpec>,
    pub tenant_templates: Vec<TopicTemplate>,
}

/// The catalog of this name in this profile; another name is `ERR_INVALID_ARG`.
pub fn preset(name: &str, profile: Profile) -> EngineResult<Preset> {
    match name {
        "cosmic-horizons" => Ok(Preset {
            topics: cosmic_horizons::catalog(profile),
            tenant_templates: Vec::new(),
        }),
        "caas" => Ok(Preset {
            topics: caas::topics(profile),
            tenant_templates: caas::tenant_templates(profile),
        }),
        other => Err(EngineError::InvalidArg(format!(
            "catalog preset must be one of {} (got '{}')",
            PRESETS.join(", "),
            other.chars().take(60).collect::<String>()
        ))),
    }
}
