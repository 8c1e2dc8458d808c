//! Deleting what the cluster keeps for consumers: whole consumer groups (DeleteGroups) and a
//! partition's records below an offset (DeleteRecords).

use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::engine::admin::offsets::PartitionOffset;
use crate::engine::admin::{Admin, Deadline};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// The offset DeleteRecords reads as "the high watermark": delete every record.
pub const DELETE_ALL_RECORDS: i64 = -1;

impl Admin {
    /// Deletes consumer groups with their committed offsets. Not transactional: the error
    /// names the first group that could not be deleted (`ERR_NON_EMPTY_GROUP` while it has
    /// members, `ERR_GROUP_ID_NOT_FOUND` for one that does not exist); the others are deleted.
    pub async fn delete_groups(&self, group_ids: &[String], timeout: Duration) -> EngineResult<()> {
        if group_ids.iter().any(|g| g.trim().is_empty()) {
            return Err(EngineError::InvalidArg(
                "group ids must not be empty".into(),
            ));
        }
        if group_ids.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        let deadline = Deadline::after(timeout);
        let names: Vec<&str> = group_ids.iter().map(String::as_str).collect();
        let options = deadline.options()?;
        let results = deadline
            .bound(client.delete_groups(&names, &options))
            .await?;
        for r in results {
            if let Err((group, code)) = r {
                return Err(EngineError::Kafka {
                    code,
                    message: format!("delete group '{group}' failed: {code}"),
                    topic: None,
                    partition: None,
                });
            }
        }
        Ok(())
    }

    /// Deletes each partition's records below its offset (`DELETE_ALL_RECORDS`, -1: below the
    /// high watermark, i.e. all of them); resolves with each partition's new low watermark.
    /// Fails with the first partition's error: `ERR_OFFSET_OUT_OF_RANGE` for an offset above
    /// the high watermark, `ERR_UNKNOWN_TOPIC_OR_PART` for a partition that does not exist.
    pub async fn delete_records(
        &self,
        offsets: &[PartitionOffset],
        timeout: Duration,
    ) -> EngineResult<Vec<PartitionOffset>> {
        let mut tpl = TopicPartitionList::with_capacity(offsets.len());
        for o in offsets {
            validate_topic(&o.topic)?;
            if o.partition < 0 || o.offset < DELETE_ALL_RECORDS {
                return Err(EngineError::InvalidArg(format!(
                    "{}[{}]: the partition must not be negative and the offset must be -1 or more (got {})",
                    o.topic, o.partition, o.offset
                )));
            }
            tpl.add_partition_offset(&o.topic, o.partition, Offset::from_raw(o.offset))?;
        }
        if offsets.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client()?;
        let deadline = Deadline::after(timeout);
        let options = deadline.options()?;
        let answer = deadline
            .bound(client.delete_records(&tpl, &options))
            .await?;
        let mut out = Vec::with_capacity(offsets.len());
        for e in answer.elements() {
            if let Err(KafkaError::OffsetFetch(code)) = e.error() {
                return Err(EngineError::Kafka {
                    code,
                    message: format!(
                        "delete records of '{}'[{}] failed: {code}",
                        e.topic(),
                        e.partition()
                    ),
                    topic: Some(e.topic().to_string()),
                    partition: Some(e.partition()),
                });
            }
            out.push(PartitionOffset {
                topic: e.topic().to_string(),
                partition: e.partition(),
                offset: e.offset().to_raw().unwrap_or(-1),
            });
        }
        out.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
        Ok(out)
    }
}
