//! Cluster administration: topics and their configs, consumer groups and their offsets, the
//! cluster's description and health, and the topic catalog. Every call is bounded by a timeout
//! (default 10 s); librdkafka's blocking calls run on tokio's blocking pool.

mod assignment;
mod cluster;
mod config_entry;
mod configs;
mod deletion;
mod diff;
mod groups;
mod health;
mod log_poll;
#[cfg(test)]
mod mock_tests;
mod native;
mod offsets;
pub(crate) mod spec;
mod tenants;
mod topics;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::consumer::{BaseConsumer, ConsumerContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;

use crate::engine::client_events::{forward_client_events, ClientEvents};
use crate::engine::config::ServiceConfig;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::Logger;
use crate::engine::stats::BrokerSnapshot;

pub use crate::engine::catalogs::cosmic_horizons::{catalog, DEAD_LETTER_TOPIC};
pub use crate::engine::catalogs::Profile;
pub use assignment::{parse_assignment, TopicPartitions};
pub use cluster::ClusterDescription;
pub use config_entry::{ConfigSourceKind, TopicConfigEntry};
pub use configs::TopicConfigs;
pub use deletion::DELETE_ALL_RECORDS;
pub use diff::{differences, ObservedTopic, TopicDifference};
pub use groups::{GroupDescription, GroupListing, GroupMember};
pub use health::{BrokerHealth, HealthReport, PartitionRef};
pub use offsets::{partition_lag, GroupLag, PartitionLag, PartitionOffset, ResetTarget};
pub use spec::TopicSpec;
pub use tenants::TenantHealth;
pub use topics::{EnsureReport, PartitionDescription, TopicDescription};

/// Bound on an admin call when the caller gives none.
pub const DEFAULT_ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The context of the admin client and of the short-lived group clients admin calls create:
/// logs and statistics go where the service's go.
pub struct AdminContext {
    events: ClientEvents,
}

forward_client_events!(AdminContext);

impl ConsumerContext for AdminContext {}

type Client = AdminClient<AdminContext>;

/// An admin client over one librdkafka handle. Cheap to share; `close()` (or dropping it)
/// releases the handle on a blocking thread.
pub struct Admin {
    config: ServiceConfig,
    logger: Logger,
    client: Mutex<Option<Arc<Client>>>,
}

impl Admin {
    /// Validates the configuration and creates the client. Fails with `ERR_INVALID_CONFIG` for
    /// any unknown or invalid setting. Connects on first use.
    pub fn new(config: ServiceConfig, logger: Logger) -> EngineResult<Self> {
        config.validate()?;
        let context = AdminContext {
            events: ClientEvents::new(logger.clone(), "admin", None),
        };
        let client = Arc::new(config.admin_config().create_with_context(context)?);
        if logger.network().is_some_and(|n| n.requests) {
            log_poll::serve_logs(&client);
        }
        Ok(Admin {
            config,
            logger,
            client: Mutex::new(Some(client)),
        })
    }

    fn client(&self) -> EngineResult<Arc<Client>> {
        self.client
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .ok_or(EngineError::Disconnected)
    }

    /// Brokers as of the admin client's latest statistics.
    pub fn broker_states(&self) -> Vec<BrokerSnapshot> {
        self.client()
            .map(|c| c.inner().context().events.brokers())
            .unwrap_or_default()
    }

    /// Releases the librdkafka handle; afterwards every call fails with `ERR_DISCONNECTED`.
    /// Idempotent. Calls still running finish first (they hold the handle).
    pub async fn close(&self) {
        let client = self.client.lock().ok().and_then(|mut c| c.take());
        if let Some(client) = client {
            // Destroying the handle joins librdkafka's threads.
            let _ = tokio::task::spawn_blocking(move || drop(client)).await;
        }
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        let client = self.client.get_mut().ok().and_then(|c| c.take());
        if let Some(client) = client {
            let _ = std::thread::Builder::new()
                .name("kafka-native-admin-close".into())
                .spawn(move || drop(client));
        }
    }
}

/// A client of `group` that never joins it: reads and commits the group's offsets, which the
/// coordinator accepts from a non-member only while the group has no members. Creating and
/// dropping it (which closes it) block: call this on the blocking pool.
fn group_client(
    config: &ServiceConfig,
    logger: &Logger,
    group: &str,
) -> EngineResult<BaseConsumer<AdminContext>> {
    let mut client_config = config.consumer_config(group, true);
    client_config.set("enable.auto.commit", "false");
    let context = AdminContext {
        events: ClientEvents::new(logger.clone(), "admin", None),
    };
    Ok(client_config.create_with_context(context)?)
}

/// When a bounded call must be over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    /// `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Self {
        Deadline {
            end: Instant::now() + timeout,
            total: timeout,
        }
    }

    /// Time left, or `ERR__TIMED_OUT` when none is.
    pub(crate) fn remaining(&self) -> EngineResult<Duration> {
        let left = self.end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.timed_out())
        } else {
            Ok(left)
        }
    }

    pub(crate) fn timed_out(&self) -> EngineError {
        EngineError::TimedOut(format!(
            "the admin call did not complete within {} ms",
            self.total.as_millis()
        ))
    }

    /// Options of an admin request that must be answered (and carried out) in the time left.
    fn options(&self) -> EngineResult<AdminOptions> {
        let left = self.remaining()?;
        Ok(AdminOptions::new()
            .request_timeout(Some(left))
            .operation_timeout(Some(left)))
    }

    /// Awaits one of rdkafka's admin futures, at most until the deadline.
    async fn bound<T>(&self, work: impl Future<Output = KafkaResult<T>>) -> EngineResult<T> {
        match tokio::time::timeout(self.remaining()?, work).await {
            Ok(result) => result.map_err(admin_error),
            Err(_) => Err(self.timed_out()),
        }
    }
}

/// How long to wait before asking again while a topic's creation reaches every broker.
pub(crate) const PROPAGATION_BACKOFF: Duration = Duration::from_millis(100);

/// Runs a blocking librdkafka call on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> EngineResult<T> + Send + 'static,
) -> EngineResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EngineError::Kafka {
            code: RDKafkaErrorCode::Fail,
            message: format!("admin task failed: {e}"),
            topic: None,
            partition: None,
        })?
}

/// An rdkafka admin error as an engine error: a request that could not be built is a bad
/// argument; everything else keeps librdkafka's code.
fn admin_error(e: KafkaError) -> EngineError {
    match e {
        KafkaError::AdminOpCreation(message) => EngineError::InvalidArg(message),
        KafkaError::Nul(_) => {
            EngineError::InvalidArg("names and values must not contain NUL characters".into())
        }
        // rdkafka does not report the code of a failed admin request through
        // `rdkafka_error_code()`, so it is taken from the variant.
        KafkaError::AdminOp(code) => EngineError::Kafka {
            code,
            message: format!("admin request failed: {code}"),
            topic: None,
            partition: None,
        },
        other => EngineError::from(other),
    }
}

/// The error a broker returned for one topic of a request.
fn topic_error(operation: &str, topic: &str, code: RDKafkaErrorCode) -> EngineError {
    EngineError::Kafka {
        code,
        message: format!("{operation} '{topic}' failed: {code}"),
        topic: Some(topic.to_string()),
        partition: None,
    }
}

/// Names that are internal to the cluster (`__consumer_offsets`, `__transaction_state`, ...).
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}
