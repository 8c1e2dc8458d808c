//! Reading loosely typed JS arguments into typed values, refusing what does not fit with
//! `ERR_INVALID_ARG` (a `KafkaNativeError`) rather than napi's generic errors.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::error::invalid_arg;
use crate::engine::admin::DEFAULT_ADMIN_TIMEOUT;
use crate::engine::error::{EngineError, EngineResult};

/// Options every admin call takes.
#[napi(object, js_name = "AdminCallOptions")]
pub struct JsAdminCallOptions {
    /// Bound on the whole call; it rejects with `ERR__TIMED_OUT` (retriable) after it. Default 10000.
    pub timeout_ms: Option<u32>,
}

/// `v` as a `T`, or `ERR_INVALID_ARG` naming `what`.
pub fn read<T: FromNapiValue>(env: &Env, v: Unknown<'_>, what: &str) -> EngineResult<T> {
    // SAFETY: `v` is a live value of this env's current scope.
    unsafe { T::from_napi_value(env.raw(), v.raw()) }
        .map_err(|e| invalid_arg(what, e.reason.clone()))
}

/// Like `read`, with `undefined` and `null` read as `None`.
pub fn read_optional<T: FromNapiValue>(
    env: &Env,
    v: Option<Unknown<'_>>,
    what: &str,
) -> EngineResult<Option<T>> {
    match v {
        None => Ok(None),
        Some(v) => match v.get_type().map_err(|e| invalid_arg(what, e))? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            _ => read(env, v, what).map(Some),
        },
    }
}

/// An array of strings (topic names, ...).
pub fn read_strings(env: &Env, v: Unknown<'_>, what: &str) -> EngineResult<Vec<String>> {
    if !v.is_array().unwrap_or(false) {
        return Err(invalid_arg(what, "expected an array of strings"));
    }
    read(env, v, what)
}

/// A timeout in ms; absent means the admin default.
pub fn timeout_of(ms: Option<u32>) -> EngineResult<Duration> {
    match ms {
        None => Ok(DEFAULT_ADMIN_TIMEOUT),
        Some(0) => Err(EngineError::InvalidArg("timeoutMs must be positive".into())),
        Some(ms) => Ok(Duration::from_millis(ms as u64)),
    }
}

/// The timeout of an optional `{timeoutMs}` argument.
pub fn call_timeout(env: &Env, options: Option<Unknown<'_>>) -> EngineResult<Duration> {
    let options: Option<JsAdminCallOptions> = read_optional(env, options, "options")?;
    timeout_of(options.and_then(|o| o.timeout_ms))
}

/// A time as ms since the epoch, from a number or a `Date`.
pub fn read_time(v: &Either<f64, Date<'_>>, what: &str) -> EngineResult<i64> {
    let ms = match v {
        Either::A(ms) => *ms,
        Either::B(d) => d.value_of().map_err(|e| invalid_arg(what, e))?,
    };
    if ms.is_finite() && ms >= 0.0 {
        Ok(ms as i64)
    } else {
        Err(invalid_arg(
            what,
            "expected a time in ms since the epoch, or a Date",
        ))
    }
}
