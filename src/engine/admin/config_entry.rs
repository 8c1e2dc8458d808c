//! One config of a broker resource (a topic's `retention.ms`, ...) as data: what the C-API
//! layer (`native`) reads out of librdkafka and the config calls (`configs`) return.

/// Where a config's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSourceKind {
    /// Set on the topic itself.
    Topic,
    /// A per-broker dynamic setting.
    DynamicBroker,
    /// The cluster-wide dynamic broker default.
    DynamicDefaultBroker,
    /// The broker's `server.properties`.
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    /// A group config.
    Group,
    Unknown,
}

impl ConfigSourceKind {
    /// Lowercase name, as JS sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigSourceKind::Topic => "topic",
            ConfigSourceKind::DynamicBroker => "dynamic-broker",
            ConfigSourceKind::DynamicDefaultBroker => "dynamic-default-broker",
            ConfigSourceKind::StaticBroker => "static-broker",
            ConfigSourceKind::Default => "default",
            ConfigSourceKind::Group => "group",
            ConfigSourceKind::Unknown => "unknown",
        }
    }
}

/// One config of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfigEntry {
    pub name: String,
    /// `None` for sensitive values and for configs without a value.
    pub value: Option<String>,
    pub source: ConfigSourceKind,
    pub read_only: bool,
    pub is_default: bool,
    pub sensitive: bool,
}
