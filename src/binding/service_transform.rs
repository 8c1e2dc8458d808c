//! Consume-transform-produce on `KafkaService`: a subscription whose transform's outputs and
//! consumed offsets commit in one transaction per batch. A separate `#[napi] impl` block of the
//! same class; the per-batch transaction loop is JS (`transactional` in js_support.js), since it
//! only chains the service's own `transaction()` calls.

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::error::invalid_arg;
use crate::binding::js_support::JsSupport;
use crate::binding::promise::rejected;
use crate::binding::service::KafkaService;
use crate::engine::error::{EngineError, EngineResult};

#[napi]
impl KafkaService {
    /// Exactly-once consume-transform-produce: joins `groupId` like `subscribe`, hands each batch
    /// (`{topic, partition, messages}`) to `transform`, and commits the records it returns (or
    /// resolves with) together with the batch's consumed offsets in one transaction, so a crash
    /// anywhere leaves each input's outputs in the output topics exactly once for
    /// `readCommitted` readers. Needs the `transactionalId` option (else `ERR_INVALID_CONFIG`);
    /// the subscription never commits by itself (`autoCommit: true` is `ERR_INVALID_ARG`). A
    /// transform that throws, or a transaction that fails, aborts the batch's transaction and
    /// the batch is delivered again (`retries`, then `onError`). A fatal producer error (fenced:
    /// the coordinator aborted a transaction that outlived `transactionTimeoutMs`, or another
    /// instance registered the same `transactionalId`; or its `sendOffsets` stuck 5 s past its
    /// 60 s timeout, `ERR__TIMED_OUT`) replaces the producer (`resetTransactions`) and the batch
    /// is delivered again from its committed offsets. Replacements less than 10 s apart, or with
    /// no committed transaction between them, are one disturbance (each one waits longer, up to
    /// 2 s); after 3 disturbances within 60 s, or 6 replacements in one, the fatal error stops
    /// the subscription (`onError`, e.g. `ERR__FENCED`), so that two live instances do not
    /// fence each other for good. Transactions of one service run one at a time. Resolves with
    /// the running `Subscription`.
    #[napi(
        ts_args_type = "options: SubscribeOptions, transform: (batch: { topic: string; partition: number; messages: ConsumedMessage[] }) => Promise<PublishRecord[] | void> | PublishRecord[] | void",
        ts_return_type = "Promise<Subscription>"
    )]
    pub fn subscribe_transactional<'e>(
        &self,
        env: &'e Env,
        this: This<'e>,
        options: Unknown<'e>,
        transform: Unknown<'e>,
    ) -> Result<Unknown<'e>> {
        if let Err(e) = check(env, self, options, transform) {
            return rejected::<Unknown>(env, e).map(|p| p.to_unknown());
        }
        let support = JsSupport::get(env)?;
        // SAFETY: the values live in this call's scope, which the JS call below does not outlive.
        let (service, options, transform) = unsafe {
            (
                Unknown::from_raw_unchecked(env.raw(), this.object.raw()),
                Unknown::from_raw_unchecked(env.raw(), options.raw()),
                Unknown::from_raw_unchecked(env.raw(), transform.raw()),
            )
        };
        support.transactional(env, FnArgs::from((service, options, transform)))
    }
}

/// What `subscribe` would not catch: no transactional id, a transform that is not a function,
/// `autoCommit: true`.
fn check(
    env: &Env,
    service: &KafkaService,
    options: Unknown<'_>,
    transform: Unknown<'_>,
) -> EngineResult<()> {
    if service.engine.config().transactional_id.is_none() {
        return Err(EngineError::InvalidConfig(
            "subscribeTransactional needs the transactionalId option".into(),
        ));
    }
    if transform
        .get_type()
        .map_err(|e| invalid_arg("transform", e))?
        != ValueType::Function
    {
        return Err(invalid_arg("transform", "expected a function"));
    }
    if options.get_type().map_err(|e| invalid_arg("options", e))? != ValueType::Object {
        return Err(invalid_arg("options", "expected {groupId, topics}"));
    }
    // SAFETY: `options` is an object value of the current call.
    let object = unsafe { Object::from_napi_value(env.raw(), options.raw()) }
        .map_err(|e| invalid_arg("options", e))?;
    let auto_commit: Option<bool> = object
        .get("autoCommit")
        .map_err(|e| invalid_arg("autoCommit", e))?;
    if auto_commit == Some(true) {
        return Err(invalid_arg(
            "autoCommit",
            "a transactional subscription commits its offsets in its transactions only",
        ));
    }
    Ok(())
}
