//! `Transaction`: publishes and consumed offsets that commit or abort together.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::promise::settle;
use crate::binding::service::{publish_many, publish_one, Sender};
use crate::binding::settlement::Settler;
use crate::binding::subscription::{offset_arg, Subscription};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::transaction::{self, OffsetsGroup};

/// The next offset to read on a partition, as a transaction commits it for a group.
#[napi(object, js_name = "TransactionOffset")]
pub struct JsTransactionOffset {
    pub topic: String,
    pub partition: i32,
    /// The next offset to consume (the last processed one + 1); a number or a numeric string.
    pub offset: Either<f64, String>,
    /// With `subscription`: the `assignment` of the batch these offsets come from. `sendOffsets`
    /// then rejects with `ERR__STATE` when the subscription no longer holds the partition under
    /// that assignment (revoked, even if assigned again since: the new assignment delivers the
    /// batch again from the committed offset), so a batch handled past a rebalance cannot commit
    /// its offsets under the next generation.
    pub assignment: Option<f64>,
}

/// Options of `sendOffsets`: the group by its running `subscription` (preferred: the broker then
/// refuses offsets from a member that lost its partitions) or by `groupId`.
#[napi(object, js_name = "SendOffsetsOptions")]
pub struct JsSendOffsetsOptions<'a> {
    pub group_id: Option<String>,
    pub subscription: Option<ClassInstance<'a, Subscription>>,
    pub offsets: Vec<JsTransactionOffset>,
}

/// An open transaction of a `KafkaService` with a `transactionalId`. What it publishes and the
/// offsets given to `sendOffsets` become visible to `readCommitted` consumers together at
/// `commit()`, or never (`abort()`, a crash, or the transaction timeout). Finish each
/// transaction with `commit()` or `abort()`; until then the service opens no other.
#[napi]
pub struct Transaction {
    inner: Arc<transaction::Transaction>,
    settler: Settler,
}

impl Transaction {
    pub fn new(inner: transaction::Transaction, settler: Settler) -> Self {
        Transaction {
            inner: Arc::new(inner),
            settler,
        }
    }
}

#[napi]
impl Transaction {
    /// Whether the transaction is still open.
    #[napi(getter)]
    pub fn open(&self) -> bool {
        self.inner.is_open()
    }

    /// `KafkaService.publish` within the transaction: resolves once the broker stored the message
    /// (not yet visible to `readCommitted` readers). Rejects with `ERR__STATE` once the
    /// transaction is finished.
    #[napi(
        ts_args_type = "topic: string, message: PublishMessage",
        ts_return_type = "Promise<PublishResult>"
    )]
    pub fn publish<'e>(
        &self,
        env: &'e Env,
        topic: Unknown<'e>,
        message: Unknown<'e>,
    ) -> Result<Unknown<'e>> {
        publish_one(
            env,
            &self.settler,
            Sender::Transaction(&self.inner),
            topic,
            message,
        )
    }

    /// `KafkaService.publishBatch` within the transaction.
    #[napi(
        ts_args_type = "topicOrRecords: string | PublishRecord[], messages?: PublishMessage[]",
        ts_return_type = "Promise<BatchPublishResult[]>"
    )]
    pub fn publish_batch<'e>(
        &self,
        env: &'e Env,
        first: Unknown<'e>,
        second: Option<Unknown<'e>>,
    ) -> Result<Unknown<'e>> {
        publish_many(
            env,
            &self.settler,
            Sender::Transaction(&self.inner),
            first,
            second,
        )
    }

    /// Adds a group's consumed offsets to the transaction: committed for the group if and only
    /// if the transaction commits. Give `subscription` (the running member) or `groupId`.
    /// Rejects with `ERR_INVALID_ARG` for neither or both, or a bad offset, and with a fatal
    /// `ERR__TIMED_OUT` when it has not returned 5 s after its 60 s timeout (the group
    /// coordinator unreachable): the transaction is lost, `resetTransactions()` replaces the
    /// producer.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_offsets<'e>(
        &self,
        env: &'e Env,
        options: JsSendOffsetsOptions<'e>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let offsets: EngineResult<Vec<(String, i32, i64)>> = options
            .offsets
            .iter()
            .map(|o| Ok((o.topic.clone(), o.partition, offset_arg(&o.offset, 0)?)))
            .collect();
        let assignments: Vec<((String, i32), u64)> = options
            .offsets
            .iter()
            .filter_map(|o| {
                o.assignment
                    .map(|a| ((o.topic.clone(), o.partition), a as u64))
            })
            .collect();
        let member = options.subscription.as_ref().map(|s| s.inner.clone());
        let group_id = options.group_id.clone();
        let inner = self.inner.clone();
        settle(
            env,
            async move {
                let offsets = offsets?;
                let group = match (group_id, member) {
                    (Some(id), None) => OffsetsGroup::Id(id),
                    (None, Some(s)) => OffsetsGroup::Member(s.group_metadata(assignments).await?),
                    _ => {
                        return Err(EngineError::InvalidArg(
                            "sendOffsets needs groupId or subscription (one of them)".into(),
                        ))
                    }
                };
                inner.send_offsets(group, &offsets).await
            },
            |_, ()| Ok(()),
        )
    }

    /// Commits: everything published in the transaction and its offsets become visible together.
    /// Rejects with the error, typed: `retriable` (call `commit()` again), `fatal` (the
    /// service's transactions are over), otherwise call `abort()`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        settle(env, async move { inner.commit().await }, |_, ()| Ok(()))
    }

    /// Aborts: nothing the transaction published is ever visible to `readCommitted` readers,
    /// its offsets are not committed.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn abort<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        settle(env, async move { inner.abort().await }, |_, ()| Ok(()))
    }
}
