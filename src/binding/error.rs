//! The one place engine errors become JS values: `KafkaNativeError` objects with `code`,
//! `retriable`, `fatal`, `topic`, `partition`, and for schema errors `registryCode` and `path`.

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::js_support::JsSupport;
use crate::engine::error::EngineError;

/// A `KafkaNativeError` for an engine error.
pub fn to_js_error<'e>(env: &'e Env, e: &EngineError) -> Result<Unknown<'e>> {
    let class = JsSupport::get(env)?.error_class(env)?;
    class.new_instance(FnArgs::from((
        e.to_string(),
        e.code(),
        e.retriable(),
        e.fatal(),
        e.topic().map(String::from),
        e.partition(),
        e.registry_code(),
        e.field_path().map(String::from),
    )))
}

/// A napi error that, thrown or used to reject, is that `KafkaNativeError` object itself.
pub fn to_napi_error(env: &Env, e: &EngineError) -> Error {
    match to_js_error(env, e) {
        Ok(value) => Error::from(value),
        Err(fallback) => Error::new(fallback.status, format!("{}: {}", e.code(), e)),
    }
}

/// An argument that could not be read as the documented type.
pub fn invalid_arg(what: &str, detail: impl std::fmt::Display) -> EngineError {
    EngineError::InvalidArg(format!("{what}: {detail}"))
}
