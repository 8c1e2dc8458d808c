//! The JS helpers of `js_support.js`, compiled once per Node environment and kept as references
//! in the environment's instance data.

use napi::bindgen_prelude::*;
use napi::Env;

const SOURCE: &str = include_str!("js_support.js");

/// References to the compiled helpers.
pub struct JsSupport {
    error_class: FunctionRef<ErrorClassArgs, Unknown<'static>>,
    each_message: FunctionRef<Function<'static>, Function<'static>>,
    each_batch: FunctionRef<Function<'static>, Function<'static>>,
    settlement_loop: FunctionRef<Function<'static>, Function<'static>>,
    batch_results: FunctionRef<BatchResultsArgs, Unknown<'static>>,
}

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

/// Arguments of `batchResults` in js_support.js.
pub type BatchResultsArgs = FnArgs<(Vec<String>, Float64Array, Int32Array, Vec<Unknown<'static>>)>;

impl JsSupport {
    /// The helpers of this environment, compiled on first use.
    pub fn get(env: &Env) -> Result<&'static JsSupport> {
        if let Some(s) = env.get_instance_data::<JsSupport>()? {
            return Ok(s);
        }
        let exports: Object = env.run_script(SOURCE)?;
        let error_class: Function<ErrorClassArgs, Unknown> =
            exports.get_named_property("KafkaNativeError")?;
        let each_message: Function<Function, Function> =
            exports.get_named_property("eachMessage")?;
        let each_batch: Function<Function, Function> = exports.get_named_property("eachBatch")?;
        let settlement_loop: Function<Function, Function> =
            exports.get_named_property("settlementLoop")?;
        let batch_results: Function<BatchResultsArgs, Unknown> =
            exports.get_named_property("batchResults")?;
        let support = JsSupport {
            error_class: error_class.create_ref()?,
            each_message: each_message.create_ref()?,
            each_batch: each_batch.create_ref()?,
            settlement_loop: settlement_loop.create_ref()?,
            batch_results: batch_results.create_ref()?,
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

    /// Wraps an `eachMessage` handler in a loop over a batch.
    pub fn each_message<'e>(&self, env: &'e Env, handler: Function<'e>) -> Result<Function<'e>> {
        self.each_message.borrow_back(env)?.call(handler)
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

    /// Wraps an `eachBatch` handler.
    pub fn each_batch<'e>(&self, env: &'e Env, handler: Function<'e>) -> Result<Function<'e>> {
        self.each_batch.borrow_back(env)?.call(handler)
    }
}
