//! One bounded health check of a cluster: reachability and round trip, identity, every
//! broker's liveness, and the partitions that are under-replicated or offline.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::engine::admin::native::{self, Resource};
use crate::engine::admin::{blocking, Admin, Deadline};
use crate::engine::error::{EngineError, EngineResult};

/// A broker and whether it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerHealth {
    /// Broker id; -1 for a bootstrap address when the cluster could not be reached at all.
    pub id: i32,
    pub host: String,
    /// -1 when the broker is known only as a replica id.
    pub port: i32,
    /// The broker answered a request sent to it, on its own connection, within the timeout.
    pub up: bool,
}

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRef {
    pub topic: String,
    pub partition: i32,
}

/// What `health` found.
#[derive(Debug, Clone)]
pub struct HealthReport {
    /// The cluster answered, every broker is up, and no partition is offline or
    /// under-replicated.
    pub healthy: bool,
    /// Round trip of the metadata request, in ms; `None` when no broker answered.
    pub latency_ms: Option<f64>,
    pub cluster_id: Option<String>,
    pub controller_id: Option<i32>,
    /// Brokers of the metadata, then brokers named as replicas but missing from it (fenced or
    /// stopped: `up` false), by id.
    pub brokers: Vec<BrokerHealth>,
    /// Partitions with fewer in-sync replicas than replicas.
    pub under_replicated: Vec<PartitionRef>,
    /// Partitions without a leader.
    pub offline: Vec<PartitionRef>,
    /// Why the cluster could not be examined (`ERR__TIMED_OUT`, `ERR__TRANSPORT`, ...).
    pub error: Option<EngineError>,
}

/// Whether an error came from a broker (it answered, with an error code) rather than from the
/// client not reaching it (librdkafka's local codes are negative).
fn answered(e: &EngineError) -> bool {
    matches!(e, EngineError::Kafka { code, .. } if (*code as i32) >= 0)
}

/// `host:port` of a statistics broker name (`127.0.0.1:9092/1`).
fn address_of(name: &str) -> Option<(String, i32)> {
    let address = name.split('/').next()?;
    let (host, port) = address.rsplit_once(':')?;
    Some((host.to_string(), port.parse().ok()?))
}

impl Admin {
    /// Examines the cluster within `timeout`: one metadata request (its round trip is
    /// `latency_ms`; its brokers and partitions give the lists), the cluster and controller ids,
    /// and, in parallel, a DescribeConfigs request for each broker's own configs sent to that
    /// broker: `up` means it answered. Resolves with `healthy: false` and `error` when no broker
    /// answered; fails only when the admin client is closed.
    pub async fn health(&self, timeout: Duration) -> EngineResult<HealthReport> {
        let deadline = Deadline::after(timeout);
        let started = Instant::now();
        let snapshot = match self.metadata_until(deadline).await {
            Ok(s) => s,
            Err(EngineError::Disconnected) => return Err(EngineError::Disconnected),
            Err(e) => return Ok(self.unreachable(e)),
        };
        let latency = started.elapsed();
        let (cluster_id, controller_id) =
            self.identity_until(deadline).await.unwrap_or((None, None));

        let pings = snapshot.brokers.iter().map(|b| self.ping(b.id, deadline));
        let answers = futures::future::join_all(pings).await;
        let mut brokers: BTreeMap<i32, BrokerHealth> = snapshot
            .brokers
            .iter()
            .zip(answers)
            .map(|(b, up)| {
                (
                    b.id,
                    BrokerHealth {
                        id: b.id,
                        host: b.host.clone(),
                        port: b.port,
                        up,
                    },
                )
            })
            .collect();

        let stats = self.broker_states();
        let mut under_replicated = Vec::new();
        let mut offline = Vec::new();
        for topic in &snapshot.topics {
            for p in &topic.partitions {
                let here = || PartitionRef {
                    topic: topic.name.clone(),
                    partition: p.partition,
                };
                if p.offline {
                    offline.push(here());
                }
                if p.under_replicated {
                    under_replicated.push(here());
                }
                for id in &p.replicas {
                    brokers.entry(*id).or_insert_with(|| {
                        let (host, port) = stats
                            .iter()
                            .find(|s| s.id == *id)
                            .and_then(|s| address_of(&s.name))
                            .unwrap_or_else(|| (String::new(), -1));
                        BrokerHealth {
                            id: *id,
                            host,
                            port,
                            up: false,
                        }
                    });
                }
            }
        }
        let brokers: Vec<BrokerHealth> = brokers.into_values().collect();
        let healthy = !brokers.is_empty()
            && brokers.iter().all(|b| b.up)
            && offline.is_empty()
            && under_replicated.is_empty();
        Ok(HealthReport {
            healthy,
            latency_ms: Some(latency.as_secs_f64() * 1000.0),
            cluster_id,
            controller_id,
            brokers,
            under_replicated,
            offline,
            error: None,
        })
    }

    /// Sends broker `id` a request of its own (DescribeConfigs of its broker resource, which
    /// librdkafka routes to that broker); true if it answered before the deadline, even with an
    /// error code (e.g. not authorized).
    async fn ping(&self, id: i32, deadline: Deadline) -> bool {
        let (Ok(client), Ok(left)) = (self.client(), deadline.remaining()) else {
            return false;
        };
        let outcome = blocking(move || {
            native::describe_configs(client.inner().native_ptr(), &[Resource::Broker(id)], left)
        })
        .await;
        match outcome {
            Ok(_) => true,
            Err(e) => answered(&e),
        }
    }

    /// The report when no broker answered the metadata request: the brokers the client knows
    /// (from its statistics, else the bootstrap list), all down.
    fn unreachable(&self, error: EngineError) -> HealthReport {
        let mut brokers: Vec<BrokerHealth> = self
            .broker_states()
            .into_iter()
            .filter(|b| b.id >= 0)
            .filter_map(|b| {
                address_of(&b.name).map(|(host, port)| BrokerHealth {
                    id: b.id,
                    host,
                    port,
                    up: false,
                })
            })
            .collect();
        if brokers.is_empty() {
            brokers = self
                .config
                .brokers
                .iter()
                .filter_map(|b| address_of(b))
                .map(|(host, port)| BrokerHealth {
                    id: -1,
                    host,
                    port,
                    up: false,
                })
                .collect();
        }
        brokers.sort_by_key(|b| b.id);
        HealthReport {
            healthy: false,
            latency_ms: None,
            cluster_id: None,
            controller_id: None,
            brokers,
            under_replicated: Vec::new(),
            offline: Vec::new(),
            error: Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::types::RDKafkaErrorCode;

    #[test]
    fn statistics_names_give_addresses() {
        assert_eq!(
            address_of("127.0.0.1:39192/1"),
            Some(("127.0.0.1".to_string(), 39192))
        );
        assert_eq!(
            address_of("broker.example:9092"),
            Some(("broker.example".to_string(), 9092))
        );
        assert_eq!(address_of("GroupCoordinator"), None);
    }

    #[test]
    fn broker_error_codes_count_as_answers() {
        assert!(answered(&EngineError::from_code(
            RDKafkaErrorCode::ClusterAuthorizationFailed
        )));
        assert!(!answered(&EngineError::from_code(
            RDKafkaErrorCode::OperationTimedOut
        )));
        assert!(!answered(&EngineError::from_code(
            RDKafkaErrorCode::BrokerTransportFailure
        )));
        assert!(!answered(&EngineError::TimedOut("x".into())));
    }
}
