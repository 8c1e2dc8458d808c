//! How a subscription takes part in its group: the group protocol (classic or KIP-848), the
//! classic protocol's assignor, and static membership.

use rdkafka::ClientConfig;

use crate::engine::error::{EngineError, EngineResult};

/// The group protocol a member speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupProtocol {
    /// JoinGroup/SyncGroup, with the assignment computed by the group leader (a member).
    #[default]
    Classic,
    /// KIP-848 (Kafka 4.0+): the broker assigns partitions and moves them one at a time; no
    /// member ever stops the others.
    Consumer,
}

/// The classic protocol's partition assignor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    /// Eager: every member gives back every partition at each rebalance.
    Range,
    /// Eager, spreading partitions one by one.
    RoundRobin,
    /// Incremental: only the partitions that move are revoked.
    CooperativeSticky,
}

impl GroupProtocol {
    /// Parses `'classic'` or `'consumer'`.
    pub fn parse(s: &str) -> EngineResult<Self> {
        match s {
            "classic" => Ok(GroupProtocol::Classic),
            "consumer" => Ok(GroupProtocol::Consumer),
            other => Err(EngineError::InvalidArg(format!(
                "groupProtocol must be 'classic' or 'consumer' (got '{other}')"
            ))),
        }
    }
}

impl Assignor {
    /// Parses `'range'`, `'roundrobin'` or `'cooperative-sticky'`.
    pub fn parse(s: &str) -> EngineResult<Self> {
        match s {
            "range" => Ok(Assignor::Range),
            "roundrobin" => Ok(Assignor::RoundRobin),
            "cooperative-sticky" => Ok(Assignor::CooperativeSticky),
            other => Err(EngineError::InvalidArg(format!(
                "assignor must be 'range', 'roundrobin' or 'cooperative-sticky' (got '{other}')"
            ))),
        }
    }

    fn librdkafka_name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }
}

/// A subscription's place in its group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub protocol: GroupProtocol,
    /// Classic protocol only; None keeps librdkafka's default (`range,roundrobin`).
    pub assignor: Option<Assignor>,
    /// Static membership (`group.instance.id`): a member that comes back under the same id
    /// within the session timeout gets its partitions back without a rebalance.
    pub instance_id: Option<String>,
}

impl Membership {
    /// Rejects combinations the protocol does not have. `session_timeout_ms` is the
    /// subscription's own, which only the classic protocol lets a member choose.
    pub fn validate(&self, session_timeout_ms: Option<u32>) -> EngineResult<()> {
        if self.protocol == GroupProtocol::Consumer {
            if self.assignor.is_some() {
                return Err(EngineError::InvalidArg(
                    "assignor applies to groupProtocol 'classic' only: with 'consumer' the broker assigns (group.consumer.assignors)".into(),
                ));
            }
            if session_timeout_ms.is_some() {
                return Err(EngineError::InvalidArg(
                    "sessionTimeoutMs applies to groupProtocol 'classic' only: with 'consumer' the broker sets it (group.consumer.session.timeout.ms)".into(),
                ));
            }
        }
        if let Some(id) = &self.instance_id {
            if id.trim().is_empty() || id.contains('\0') || id.len() > 249 {
                return Err(EngineError::InvalidArg(
                    "groupInstanceId must be 1-249 characters, with no NUL".into(),
                ));
            }
        }
        Ok(())
    }

    /// Writes the membership into a consumer's librdkafka configuration.
    pub fn apply(&self, config: &mut ClientConfig) {
        match self.protocol {
            GroupProtocol::Classic => {
                config.set("group.protocol", "classic");
                if let Some(a) = self.assignor {
                    config.set("partition.assignment.strategy", a.librdkafka_name());
                }
            }
            GroupProtocol::Consumer => {
                config.set("group.protocol", "consumer");
                // Settings the broker owns under KIP-848; librdkafka refuses them if set.
                for key in [
                    "partition.assignment.strategy",
                    "session.timeout.ms",
                    "heartbeat.interval.ms",
                    "group.protocol.type",
                ] {
                    config.remove(key);
                }
            }
        }
        if let Some(id) = &self.instance_id {
            config.set("group.instance.id", id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_typed_errors() {
        assert_eq!(
            GroupProtocol::parse("consumer").unwrap(),
            GroupProtocol::Consumer
        );
        assert_eq!(
            Assignor::parse("cooperative-sticky").unwrap(),
            Assignor::CooperativeSticky
        );
        assert_eq!(
            GroupProtocol::parse("eager").unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        assert_eq!(
            Assignor::parse("sticky").unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
    }

    #[test]
    fn the_consumer_protocol_takes_no_assignor_nor_session_timeout() {
        let m = Membership {
            protocol: GroupProtocol::Consumer,
            assignor: Some(Assignor::Range),
            instance_id: None,
        };
        assert_eq!(m.validate(None).unwrap_err().code(), "ERR_INVALID_ARG");
        let m = Membership {
            assignor: None,
            ..m
        };
        assert_eq!(
            m.validate(Some(10_000)).unwrap_err().code(),
            "ERR_INVALID_ARG"
        );
        m.validate(None).unwrap();
    }

    #[test]
    fn the_consumer_protocol_config_is_accepted_by_librdkafka() {
        let mut c = ClientConfig::new();
        c.set("group.id", "g");
        c.set("session.timeout.ms", "10000");
        c.set("partition.assignment.strategy", "range");
        Membership {
            protocol: GroupProtocol::Consumer,
            assignor: None,
            instance_id: Some("member-1".into()),
        }
        .apply(&mut c);
        assert_eq!(c.get("group.protocol"), Some("consumer"));
        assert_eq!(c.get("session.timeout.ms"), None);
        assert_eq!(c.get("group.instance.id"), Some("member-1"));
        let consumer: rdkafka::consumer::BaseConsumer = c.create().unwrap();
        drop(consumer);
    }

    #[test]
    fn an_empty_instance_id_is_invalid() {
        let m = Membership {
            instance_id: Some(" ".into()),
            ..Membership::default()
        };
        assert_eq!(m.validate(None).unwrap_err().code(), "ERR_INVALID_ARG");
    }
}
