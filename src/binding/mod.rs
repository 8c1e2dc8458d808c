//! The napi-rs layer: JS values in, engine calls, JS values and `KafkaNativeError`s out.

pub mod admin;
mod args;
pub mod config;
pub mod error;
pub mod groups;
pub mod health;
mod js_support;
pub mod logger;
pub mod message;
pub mod mock_cluster;
mod promise;
mod schema_publish;
pub mod schema_registry;
pub mod service;
mod service_admin;
mod settlement;
pub mod stats;
pub mod subscription;
pub mod topics;

use napi::bindgen_prelude::*;
use napi::Env;

/// Adds `KafkaNativeError` (defined in `js_support.js`) to the module's exports.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    let support = js_support::JsSupport::get(&env)?;
    exports.set("KafkaNativeError", support.error_class(&env)?)?;
    Ok(())
}
