//! Promises of the binding: engine futures run on the tokio runtime, and their outcome is turned
//! into JS on the JS thread; engine errors reject with `KafkaNativeError`.

use std::future::Future;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::error::to_napi_error;
use crate::engine::error::{EngineError, EngineResult};

/// Runs `work` on the runtime, then `to_js` on the JS thread with its value.
pub fn settle<'e, T, V, F, C>(env: &'e Env, work: F, to_js: C) -> Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = EngineResult<T>> + Send + 'static,
    C: FnOnce(&'e Env, T) -> Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(work.await) },
        move |env, outcome| match outcome {
            Ok(value) => to_js(env, value),
            Err(e) => Err(to_napi_error(env, &e)),
        },
    )
}

/// A promise already rejected with this error (for arguments refused before any work starts).
pub fn rejected<'e, V: ToNapiValue + 'static>(
    env: &'e Env,
    e: EngineError,
) -> Result<PromiseRaw<'e, V>> {
    settle(env, async move { Err::<(), _>(e) }, |_, ()| -> Result<V> {
        Err(Error::from_reason("rejected"))
    })
}
