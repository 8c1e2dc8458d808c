//! The napi-rs layer: JS values in, engine calls, JS values and `KafkaNativeError`s out.

pub mod admin;
mod admin_maintenance;
mod args;
mod batch_layout;
pub mod config;
pub mod error;
pub mod figures;
pub mod groups;
pub mod health;
mod js_support;
pub mod logger;
pub mod message;
pub mod mock_cluster;
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

/// Adds `KafkaNativeError` (defined in ts/native/js-support.ts) and `drainOnSignals` (`shutdown.js`) to
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
