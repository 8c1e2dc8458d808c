//! Forwards the engine's log records to a JS `logger` callback, without keeping Node alive.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use crate::engine::logging::{LogRecord, LogSink};

/// One log line, as the `logger` callback receives it.
#[napi(object, js_name = "LogRecord")]
pub struct JsLogRecord {
    #[napi(ts_type = "'error' | 'warn' | 'info' | 'debug' | 'trace'")]
    pub level: String,
    /// `'librdkafka' | 'producer' | 'consumer' | 'service'`.
    pub source: String,
    /// librdkafka's facility (`'FAIL'`, `'REQTMOUT'`) or the engine's event (`'RETRY'`, `'ASSIGN'`).
    pub facility: String,
    pub message: String,
    pub client_id: String,
}

type LoggerFn = ThreadsafeFunction<JsLogRecord, (), JsLogRecord, Status, false, true>;

/// A sink that queues each record to the JS callback (weak: logging never keeps Node alive).
pub fn js_log_sink(callback: &Function<'_, JsLogRecord, ()>) -> Result<LogSink> {
    let tsfn: LoggerFn = callback
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    let tsfn = Arc::new(tsfn);
    Ok(Arc::new(move |r: LogRecord| {
        // The returning variant hands a throw to us instead of crashing Node: a logger that
        // throws loses its record, nothing more.
        let _ = tsfn.call_with_return_value(
            JsLogRecord::from(r),
            ThreadsafeFunctionCallMode::NonBlocking,
            |_, _| Ok(()),
        );
    }))
}

impl From<LogRecord> for JsLogRecord {
    fn from(r: LogRecord) -> Self {
        JsLogRecord {
            level: r.level.as_str().to_string(),
            source: r.source.to_string(),
            facility: r.facility,
            message: r.message,
            client_id: r.client_id,
        }
    }
}
