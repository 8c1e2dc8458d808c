//! The admin surface of `KafkaService`: `admin()` and `health()`, built from the service's own
//! configuration. A separate `#[napi] impl` block of the same class (napi-rs merges them).

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::admin::KafkaAdmin;
use crate::binding::error::to_napi_error;
use crate::binding::health::{health_timeout, JsHealthReport};
use crate::binding::promise::{rejected, settle};
use crate::binding::service::KafkaService;
use crate::engine::admin::Admin;
use crate::engine::error::EngineError;
use crate::engine::service::ConnectionState;

#[napi]
impl KafkaService {
    /// A `KafkaAdmin` with this service's configuration and logger. It has a connection of its
    /// own, which the service's `disconnect()` leaves alone: `disconnect()` it when done.
    /// Throws `ERR_DISCONNECTED` once the service is disconnected.
    #[napi]
    pub fn admin(&self, env: Env) -> Result<KafkaAdmin> {
        let engine = &self.engine;
        if engine.state() == ConnectionState::Disconnected {
            return Err(to_napi_error(&env, &EngineError::Disconnected));
        }
        KafkaAdmin::with_config(&env, engine.config().clone(), engine.logger().clone())
    }

    /// The cluster's health in one bounded call (default 10000 ms), through a short-lived admin
    /// client of this service's configuration, so it sees what a new connection would:
    /// `{healthy, latencyMs, clusterId, controller, brokers: [{id, host, port, up}], topics:
    /// {underReplicated, offline}}`. A broker is `up` when it answered a request sent to it on
    /// its own connection. Resolves with `healthy: false` and `error` when no broker answers;
    /// rejects only with `ERR_DISCONNECTED` or `ERR_INVALID_ARG`.
    #[napi(
        ts_args_type = "options?: HealthOptions",
        ts_return_type = "Promise<HealthReport>"
    )]
    pub fn health<'e>(
        &self,
        env: &'e Env,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, JsHealthReport>> {
        let timeout = match health_timeout(env, options) {
            Ok(t) => t,
            Err(e) => return rejected(env, e),
        };
        if self.engine.state() == ConnectionState::Disconnected {
            return rejected(env, EngineError::Disconnected);
        }
        let (config, logger) = (self.engine.config().clone(), self.engine.logger().clone());
        settle(
            env,
            async move {
                let admin = Admin::new(config, logger)?;
                let report = admin.health(timeout).await;
                admin.close().await;
                report
            },
            |_, h| Ok(JsHealthReport::from(h)),
        )
    }
}
