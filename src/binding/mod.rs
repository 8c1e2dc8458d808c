//! The napi-rs layer: JS values in, engine calls, JS values and `KafkaNativeError`s out.
//!
//! Names. A JS value shape (`#[napi(object)]`: options, results, records) is `Js<Name>` in Rust
//! with `js_name = "<Name>"`: index.d.ts knows it as `<Name>`, and the engine's types keep their
//! own names here (`TopicSpec` is the engine's, `JsTopicSpec` the JS object), never renamed on
//! import. A class (`#[napi]` struct with methods: `KafkaService`, `Subscription`, ...) keeps its
//! JS name in Rust too, since napi-rs would also export the Rust name of a renamed class; where
//! the engine has a type of the same name, the binding names that one by its module
//! (`consumer::Subscription`, `transaction::Transaction`). Other `Js*` items are the JS side of
//! an engine concept: the handler behind the engine's `BatchHandler` (`JsBatchHandler`), the JS
//! support module (`JsSupport`).
//!
//! A field (or a return type) whose type is a `Js*` shape declared further down the expansion
//! order (a later module, or later in the same file) carries `ts_type` (`ts_return_type`) with
//! the TypeScript name: napi-rs learns a shape's `js_name` only when it expands the shape, so it
//! would otherwise write the Rust name (`JsLatency`) into index.d.ts, which `tsc` then refuses.
//!
//! Conversions. Engine to JS and JS to engine are `From` impls, or `TryFrom` (error
//! `EngineError`, `ERR_INVALID_ARG` / `ERR_INVALID_CONFIG`) where JS input can be refused. Each
//! sits beside its JS shape, in the file that declares it (`groups.rs` converts group
//! shapes, `stats.rs` the `stats()` figures, ...): a shape and its conversions change together,
//! and each file keeps one concern. A conversion that needs more than the value (the group id of
//! a retry ladder, the span of a failure's fate) is a named function there instead.

pub mod admin;
mod admin_maintenance;
mod args;
mod batch_layout;
pub mod config;
mod consumed_batch;
pub mod error;
pub mod figures;
pub mod groups;
pub mod health;
mod js_support;
mod lane_call;
pub mod logger;
pub mod message;
pub mod mock_cluster;
pub mod network_reports;
mod packed;
mod promise;
pub mod replay;
pub mod retry;
mod schema_publish;
pub mod schema_registry;
pub mod service;
mod service_admin;
mod service_transform;
mod settlement;
pub mod stats;
pub mod subscription;
pub mod subscription_reports;
pub mod tenants;
pub mod topics;
pub mod transaction;

use napi::bindgen_prelude::*;
use napi::Env;

/// Adds `KafkaNativeError` (defined in ts/native/js-support.ts) and `drainOnSignals`
/// (ts/native/shutdown.ts, emitted as `shutdown.js` by scripts/js-support.js) to
/// the module's exports, and wraps `KafkaService`'s publishing methods with OpenTelemetry producer spans (`tracing.js`; inert
/// while no tracer provider is registered).
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    let support = js_support::JsSupport::get(&env)?;
    exports.set("KafkaNativeError", support.error_class(&env)?)?;
    // A class is a function: read it untyped, then as the object it also is.
    let class: Unknown = exports.get_named_property("KafkaService")?;
    let class = unsafe { Object::from_napi_value(env.raw(), class.raw())? };
    support.instrument(&env, class.get_named_property("prototype")?)?;
    let drain: Unknown = env.run_script(include_str!("shutdown.js"))?;
    exports.set("drainOnSignals", drain)?;
    Ok(())
}
