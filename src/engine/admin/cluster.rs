//! The cluster as its metadata describes it: brokers, controller, cluster id.

use std::time::Duration;

use crate::engine::admin::{blocking, Admin, Deadline};
use crate::engine::error::EngineResult;
use crate::engine::service::BrokerAddress;

/// Brokers, controller and id of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDescription {
    /// `None` for brokers too old to report one.
    pub cluster_id: Option<String>,
    /// The controller id the metadata reports. In KRaft clusters the active controller is not
    /// reachable by clients, and brokers report one of the live brokers instead.
    pub controller_id: Option<i32>,
    /// Registered, unfenced brokers, by id.
    pub brokers: Vec<BrokerAddress>,
}

impl Admin {
    /// One metadata request, then the cluster id and controller id it brought.
    pub async fn describe_cluster(&self, timeout: Duration) -> EngineResult<ClusterDescription> {
        let deadline = Deadline::after(timeout);
        let mut brokers = self.metadata_until(deadline).await?.brokers;
        brokers.sort_by_key(|b| b.id);
        let (cluster_id, controller_id) = self.identity_until(deadline).await?;
        Ok(ClusterDescription {
            cluster_id,
            controller_id,
            brokers,
        })
    }

    /// Cluster id and controller id, from the client's latest metadata (fetching it if the
    /// client has none yet).
    pub(crate) async fn identity_until(
        &self,
        deadline: Deadline,
    ) -> EngineResult<(Option<String>, Option<i32>)> {
        let client = self.client()?;
        let left = deadline.remaining()?;
        blocking(move || {
            let cluster_id = client.inner().fetch_cluster_id(left);
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: a live handle; rd_kafka_controllerid only reads the cached metadata (or
            // waits for it, at most `ms`).
            let controller = unsafe {
                rdkafka::bindings::rd_kafka_controllerid(client.inner().native_ptr(), ms)
            };
            Ok((cluster_id, (controller >= 0).then_some(controller)))
        })
        .await
    }
}
