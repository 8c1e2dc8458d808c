//! `MockCluster`: librdkafka's in-process Kafka cluster, for demos and tests.

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::error::to_napi_error;
use crate::engine::mock_cluster::MockKafkaCluster;

/// Options of `MockCluster.start`.
#[napi(object, js_name = "MockClusterOptions")]
pub struct JsMockClusterOptions {
    /// Number of brokers, ids 1..n. Default 3.
    pub brokers: Option<u32>,
}

/// A Kafka cluster inside this process (librdkafka's mock brokers, speaking the real Kafka
/// protocol on loopback ports). Topics are created with `createTopic`; the mock has no
/// CreateTopics API. Fault injection: `brokerDown`, `brokerUp`, `pushRequestErrors`,
/// `setPartitionLeader`.
#[napi]
pub struct MockCluster {
    inner: MockKafkaCluster,
}

#[napi]
impl MockCluster {
    /// Starts a cluster. Throws `KafkaNativeError` (`ERR_INVALID_ARG`) for a bad broker count.
    #[napi(factory)]
    pub fn start(env: Env, options: Option<JsMockClusterOptions>) -> Result<MockCluster> {
        let brokers = options
            .and_then(|o| o.brokers)
            .unwrap_or(3)
            .min(i32::MAX as u32) as i32;
        MockKafkaCluster::start(brokers)
            .map(|inner| MockCluster { inner })
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// `host:port,...` to use as `brokers`.
    #[napi(getter)]
    pub fn bootstrap_servers(&self) -> String {
        self.inner.bootstrap_servers().to_string()
    }

    /// Creates a topic (replication at most the broker count).
    #[napi]
    pub fn create_topic(
        &self,
        env: Env,
        name: String,
        partitions: u32,
        replication: Option<u32>,
    ) -> Result<()> {
        let r = self.inner.create_topic(
            &name,
            partitions.min(i32::MAX as u32) as i32,
            replication.unwrap_or(1).min(i32::MAX as u32) as i32,
        );
        r.map_err(|e| to_napi_error(&env, &e))
    }

    /// Takes broker `id` down: connections close and none are accepted until `brokerUp`.
    #[napi]
    pub fn broker_down(&self, env: Env, id: u32) -> Result<()> {
        self.inner
            .broker_down(id as i32)
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// Brings broker `id` back.
    #[napi]
    pub fn broker_up(&self, env: Env, id: u32) -> Result<()> {
        self.inner
            .broker_up(id as i32)
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// Delays every response of broker `id` by `rttMs` (0: no delay), e.g. to make requests
    /// time out.
    #[napi]
    pub fn set_rtt(&self, env: Env, id: u32, rtt_ms: u32) -> Result<()> {
        self.inner
            .set_rtt(
                id as i32,
                std::time::Duration::from_millis(u64::from(rtt_ms)),
            )
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// The next requests with this API key (0 Produce, 1 Fetch, 3 Metadata, 8 OffsetCommit, ...)
    /// fail with these Kafka error codes, one per request.
    #[napi]
    pub fn push_request_errors(&self, env: Env, api_key: i32, codes: Vec<i32>) -> Result<()> {
        let key = i16::try_from(api_key).unwrap_or(i16::MAX);
        self.inner
            .push_request_errors(key, &codes)
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// Makes broker `brokerId` the leader of a partition.
    #[napi]
    pub fn set_partition_leader(
        &self,
        env: Env,
        topic: String,
        partition: u32,
        broker_id: u32,
    ) -> Result<()> {
        self.inner
            .set_partition_leader(&topic, partition as i32, broker_id as i32)
            .map_err(|e| to_napi_error(&env, &e))
    }

    /// Stops the brokers (on a background thread). Idempotent.
    #[napi]
    pub fn close(&mut self) {
        self.inner.close();
    }
}
