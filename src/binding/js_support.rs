//! The JS helpers of `js_support.js`, with the OpenTelemetry tracing of `tracing.js`, metrics of
//! `metrics_bridge.js` and the publish boundary of `publish.js`, compiled once per Node
//! environment and kept as references in the environment's instance data. scripts/js-support.js
//! emits each script from its TypeScript source in ts/native/ (`js-support.ts`, `tracing.ts`,
//! `metrics-bridge.ts`, `publish.ts`).

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::subscription::JsHandlerFailureFate;
use crate::binding::{batch_layout, packed};

const SOURCE: &str = include_str!("js_support.js");
const TRACING: &str = include_str!("tracing.js");
const METRICS_BRIDGE: &str = include_str!("metrics_bridge.js");
const PUBLISH: &str = include_str!("publish.js");

/// References to the compiled helpers.
pub struct JsSupport {
    error_class: FunctionRef<ErrorClassArgs, Unknown<'static>>,
    each_message: FunctionRef<HandlerArgs, Function<'static>>,
    each_batch: FunctionRef<HandlerArgs, Function<'static>>,
    settle_failed_span: FunctionRef<JsHandlerFailureFate, ()>,
    instrument: FunctionRef<Object<'static>, ()>,
    settlement_loop: FunctionRef<Function<'static>, Function<'static>>,
    batch_results: FunctionRef<BatchResultsArgs, Unknown<'static>>,
    transactional: FunctionRef<TransactionalArgs, Unknown<'static>>,
    install_publish: FunctionRef<Object<'static>, ()>,
    settle_publishes: FunctionRef<SettleArgs, ()>,
    settle_publish: FunctionRef<SettleOneArgs, ()>,
}

/// Arguments of `settle` in publish.js: (sequence number, count) pairs, result numbers, the
/// indices of failed messages and their errors.
pub type SettleArgs = FnArgs<(
    Float64Array,
    Float64Array,
    Int32Array,
    Vec<Unknown<'static>>,
)>;

/// Arguments of `settleOne` in publish.js: a round's one message, by sequence number, partition,
/// offset (-1 when it failed), timestamp (NaN for none) and its error (or null).
pub type SettleOneArgs = FnArgs<(f64, f64, f64, f64, Option<Unknown<'static>>)>;

/// Arguments of `transactional` in js_support.js: the service, subscribe options, transform.
pub type TransactionalArgs = FnArgs<(Unknown<'static>, Unknown<'static>, Unknown<'static>)>;

/// Arguments of the `KafkaNativeError` constructor: message, code, retriable, fatal, topic,
/// partition.
pub type ErrorClassArgs = FnArgs<(
    String,
    String,
    bool,
    bool,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<String>,
)>;

/// Arguments of `eachMessage` / `eachBatch`: the user's handler and the consumer group (a span
/// attribute when tracing).
pub type HandlerArgs = FnArgs<(Function<'static>, String)>;

/// Arguments of `batchResults` in js_support.js.
pub type BatchResultsArgs = FnArgs<(Vec<String>, Float64Array, Int32Array, Vec<Unknown<'static>>)>;

impl JsSupport {
    /// The helpers of this environment, compiled on first use.
    pub fn get(env: &Env) -> Result<&'static JsSupport> {
        if let Some(s) = env.get_instance_data::<JsSupport>()? {
            return Ok(s);
        }
        let tracing: Object = env.run_script(TRACING)?;
        let settle_failed_span: Function<JsHandlerFailureFate, ()> =
            tracing.get_named_property("settleFailedSpan")?;
        let bridge: Object = env.run_script(METRICS_BRIDGE)?;
        let factory: Function<FnArgs<(Object, Object, Object)>, Object> = env.run_script(SOURCE)?;
        let exports: Object =
            factory.call(FnArgs::from((tracing, bridge, batch_layout::layout(env)?)))?;
        let publish_factory: Function<Object, Object> = env.run_script(PUBLISH)?;
        let publish = publish_factory.call(packed::layout(env)?)?;
        let install_publish: Function<Object, ()> = publish.get_named_property("install")?;
        let settle_publishes: Function<SettleArgs, ()> = publish.get_named_property("settle")?;
        let settle_publish: Function<SettleOneArgs, ()> =
            publish.get_named_property("settleOne")?;
        let error_class: Function<ErrorClassArgs, Unknown> =
            exports.get_named_property("KafkaNativeError")?;
        let each_message: Function<HandlerArgs, Function> =
            exports.get_named_property("eachMessage")?;
        let each_batch: Function<HandlerArgs, Function> =
            exports.get_named_property("eachBatch")?;
        let instrument: Function<Object, ()> = exports.get_named_property("instrument")?;
        let settlement_loop: Function<Function, Function> =
            exports.get_named_property("settlementLoop")?;
        let batch_results: Function<BatchResultsArgs, Unknown> =
            exports.get_named_property("batchResults")?;
        let transactional: Function<TransactionalArgs, Unknown> =
            exports.get_named_property("transactional")?;
        let support = JsSupport {
            transactional: transactional.create_ref()?,
            error_class: error_class.create_ref()?,
            each_message: each_message.create_ref()?,
            each_batch: each_batch.create_ref()?,
            settle_failed_span: settle_failed_span.create_ref()?,
            instrument: instrument.create_ref()?,
            settlement_loop: settlement_loop.create_ref()?,
            batch_results: batch_results.create_ref()?,
            install_publish: install_publish.create_ref()?,
            settle_publishes: settle_publishes.create_ref()?,
            settle_publish: settle_publish.create_ref()?,
        };
        env.set_instance_data(support, 0, |_| {})?;
        env.get_instance_data::<JsSupport>()?
            .map(|s| &*s)
            .ok_or_else(|| Error::from_reason("instance data was not kept"))
    }

    /// The `KafkaNativeError` class.
    pub fn error_class<'e>(
        &self,
        env: &'e Env,
    ) -> Result<Function<'e, ErrorClassArgs, Unknown<'e>>> {
        self.error_class.borrow_back(env)
    }

    /// Wraps an `eachMessage` handler of `group_id` in a loop over a batch.
    pub fn each_message<'e>(
        &self,
        env: &'e Env,
        handler: Function<'e>,
        group_id: &str,
    ) -> Result<Function<'e>> {
        wrap(&self.each_message, env, handler, group_id)
    }

    /// `settleFailedSpan` of tracing.js: ends a failed handler call's span with what became of
    /// its message.
    pub fn settle_failed_span<'e>(
        &self,
        env: &'e Env,
    ) -> Result<Function<'e, JsHandlerFailureFate, ()>> {
        self.settle_failed_span.borrow_back(env)
    }

    /// Wraps `publish` and `publishBatch` of `KafkaService.prototype` with OpenTelemetry producer
    /// spans (taken only while a tracer provider is registered), and `connect` / `subscribe` to
    /// observe the service through a registered meter provider.
    /// Before that, replaces `publish` and `publishBatch` with the packed publish boundary of
    /// `publish.js`.
    pub fn instrument(&self, env: &Env, prototype: Object<'_>) -> Result<()> {
        let prototype: Object<'static> =
            unsafe { Object::from_napi_value(env.raw(), prototype.raw())? };
        self.install_publish.borrow_back(env)?.call(prototype)?;
        self.instrument.borrow_back(env)?.call(prototype)
    }

    /// Settles publishes of `publish.js` from a round's packed outcomes.
    pub fn settle_publishes(&self, env: &Env, args: SettleArgs) -> Result<()> {
        self.settle_publishes.borrow_back(env)?.call(args)
    }

    /// Settles the one publish of a round (without the packed arrays of `settle_publishes`).
    pub fn settle_publish(&self, env: &Env, args: SettleOneArgs) -> Result<()> {
        self.settle_publish.borrow_back(env)?.call(args)
    }

    /// The settlement signal's callback: runs a drain function (settles a round, returns whether
    /// more is queued) from setImmediate, one round per turn of the event loop.
    pub fn settlement_loop<'e>(&self, env: &'e Env, drain: Function<'e>) -> Result<Function<'e>> {
        self.settlement_loop.borrow_back(env)?.call(drain)
    }

    /// Builds `publishBatch`'s result array in JS from packed outcomes.
    pub fn batch_results<'e>(&self, env: &'e Env, args: BatchResultsArgs) -> Result<Unknown<'e>> {
        self.batch_results.borrow_back(env)?.call(args)
    }

    /// Starts a consume-transform-produce subscription of `service` (see `transactional`).
    pub fn transactional<'e>(&self, env: &'e Env, args: TransactionalArgs) -> Result<Unknown<'e>> {
        self.transactional.borrow_back(env)?.call(args)
    }

    /// Wraps an `eachBatch` handler of `group_id`.
    pub fn each_batch<'e>(
        &self,
        env: &'e Env,
        handler: Function<'e>,
        group_id: &str,
    ) -> Result<Function<'e>> {
        wrap(&self.each_batch, env, handler, group_id)
    }
}

/// Calls a handler-wrapping helper (`eachMessage` / `eachBatch`).
fn wrap<'e>(
    helper: &FunctionRef<HandlerArgs, Function<'static>>,
    env: &'e Env,
    handler: Function<'e>,
    group_id: &str,
) -> Result<Function<'e>> {
    let handler: Function<'static> =
        unsafe { Function::from_napi_value(env.raw(), handler.raw())? };
    helper
        .borrow_back(env)?
        .call(FnArgs::from((handler, group_id.to_string())))
}
