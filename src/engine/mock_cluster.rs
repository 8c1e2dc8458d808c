//! librdkafka's in-process mock cluster: a real Kafka-protocol broker set, for demos and tests
//! that need no external service, with fault injection.

use rdkafka::mocking::{MockCluster as RdMockCluster, MockCoordinator};
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use crate::engine::error::{error_table, EngineError, EngineResult};

/// The API keys fault injection accepts, by their protocol number.
const API_KEYS: &[RDKafkaApiKey] = &[
    RDKafkaApiKey::Produce,
    RDKafkaApiKey::Fetch,
    RDKafkaApiKey::ListOffsets,
    RDKafkaApiKey::Metadata,
    RDKafkaApiKey::OffsetCommit,
    RDKafkaApiKey::OffsetFetch,
    RDKafkaApiKey::FindCoordinator,
    RDKafkaApiKey::JoinGroup,
    RDKafkaApiKey::Heartbeat,
    RDKafkaApiKey::LeaveGroup,
    RDKafkaApiKey::SyncGroup,
    RDKafkaApiKey::DescribeGroups,
    RDKafkaApiKey::ListGroups,
    RDKafkaApiKey::ApiVersion,
    RDKafkaApiKey::InitProducerId,
    RDKafkaApiKey::AddPartitionsToTxn,
    RDKafkaApiKey::AddOffsetsToTxn,
    RDKafkaApiKey::EndTxn,
    RDKafkaApiKey::TxnOffsetCommit,
];

struct Owned(RdMockCluster<'static, DefaultProducerContext>);

// SAFETY: the mock cluster's operations post to its own broker thread under librdkafka's locks;
// the handle may be used and destroyed from any one thread at a time, which `&self`/`&mut self`
// on `MockKafkaCluster` guarantees.
unsafe impl Send for Owned {}
unsafe impl Sync for Owned {}

/// A running mock cluster. Closing (or dropping) it stops its brokers.
pub struct MockKafkaCluster {
    inner: Option<Owned>,
    bootstrap: String,
    brokers: i32,
}

impl MockKafkaCluster {
    /// Starts a cluster of `brokers` brokers (ids 1..=brokers) on loopback ports.
    pub fn start(brokers: i32) -> EngineResult<Self> {
        if !(1..=16).contains(&brokers) {
            return Err(EngineError::InvalidArg(format!(
                "brokers must be 1 to 16 (got {brokers})"
            )));
        }
        let cluster = RdMockCluster::new(brokers)?;
        let bootstrap = cluster.bootstrap_servers();
        Ok(MockKafkaCluster {
            inner: Some(Owned(cluster)),
            bootstrap,
            brokers,
        })
    }

    /// `host:port,...` of the brokers.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    fn cluster(&self) -> EngineResult<&RdMockCluster<'static, DefaultProducerContext>> {
        self.inner
            .as_ref()
            .map(|o| &o.0)
            .ok_or(EngineError::Disconnected)
    }

    fn broker(&self, id: i32) -> EngineResult<i32> {
        if (1..=self.brokers).contains(&id) {
            Ok(id)
        } else {
            Err(EngineError::InvalidArg(format!(
                "no broker {id}: ids are 1 to {}",
                self.brokers
            )))
        }
    }

    /// Takes a broker down: its connections close and it accepts none until `broker_up`.
    pub fn broker_down(&self, id: i32) -> EngineResult<()> {
        Ok(self.cluster()?.broker_down(self.broker(id)?)?)
    }

    /// Brings a broker back.
    pub fn broker_up(&self, id: i32) -> EngineResult<()> {
        Ok(self.cluster()?.broker_up(self.broker(id)?)?)
    }

    /// Delays every response of a broker by `rtt` (zero: no delay), to make requests time out.
    pub fn set_rtt(&self, id: i32, rtt: std::time::Duration) -> EngineResult<()> {
        Ok(self
            .cluster()?
            .broker_round_trip_time(self.broker(id)?, rtt)?)
    }

    /// Creates a topic.
    pub fn create_topic(&self, topic: &str, partitions: i32, replication: i32) -> EngineResult<()> {
        crate::engine::message::validate_topic(topic)?;
        if partitions < 1 || replication < 1 || replication > self.brokers {
            return Err(EngineError::InvalidArg(format!(
                "partitions must be >= 1 and replication 1 to {} (got {partitions}, {replication})",
                self.brokers
            )));
        }
        Ok(self
            .cluster()?
            .create_topic(topic, partitions, replication)?)
    }

    /// Makes `broker` the leader of a partition.
    pub fn set_partition_leader(
        &self,
        topic: &str,
        partition: i32,
        broker: i32,
    ) -> EngineResult<()> {
        Ok(self
            .cluster()?
            .partition_leader(topic, partition, Some(self.broker(broker)?))?)
    }

    /// Makes `broker` the coordinator of a consumer group or of a transactional id.
    pub fn set_coordinator(&self, coordinator: MockCoordinator, broker: i32) -> EngineResult<()> {
        Ok(self
            .cluster()?
            .coordinator(coordinator, self.broker(broker)?)?)
    }

    /// Makes the next requests of this API key fail with these error codes, one per request.
    pub fn push_request_errors(&self, api_key: i16, codes: &[i32]) -> EngineResult<()> {
        let key = API_KEYS
            .iter()
            .copied()
            .find(|k| i16::from(*k) == api_key)
            .ok_or_else(|| EngineError::InvalidArg(format!("unsupported api key {api_key}")))?;
        let errors = codes
            .iter()
            .map(|c| response_error(*c))
            .collect::<EngineResult<Vec<_>>>()?;
        self.cluster()?.request_errors(key, &errors);
        Ok(())
    }

    /// Stops the brokers. librdkafka's destroy joins the broker threads, so it runs on a thread
    /// of its own; idempotent.
    pub fn close(&mut self) {
        if let Some(owned) = self.inner.take() {
            let _ = std::thread::Builder::new()
                .name("kafka-native-mock-close".into())
                .spawn(move || drop(owned));
        }
    }
}

impl Drop for MockKafkaCluster {
    fn drop(&mut self) {
        self.close();
    }
}

/// librdkafka's response error for a numeric code, if the code exists.
fn response_error(code: i32) -> EngineResult<RDKafkaRespErr> {
    error_table()
        .iter()
        .find(|d| !d.name.is_null() && d.code as i32 == code)
        .map(|d| d.code)
        .ok_or_else(|| EngineError::InvalidArg(format!("unknown Kafka error code {code}")))
}
