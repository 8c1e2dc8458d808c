//! A client's network reports (`onNetwork`), queued as librdkafka's threads produce them and
//! handed to JS in batches: one call takes every report queued since the previous one, so a
//! busy client costs one crossing per event-loop turn, not one per request. The callback is weak
//! (it never keeps Node alive) and a throw from it is caught.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::network::{NetworkReport, NetworkReporting};

/// One network report (`onNetwork`): a request the broker answered (`'request'`), a request in
/// flight that timed out (`'timeout'`), or a broker's queue of requests waiting to be sent
/// (`'queueSize'`).
#[napi(object, js_name = "NetworkReport")]
pub struct JsNetworkReport {
    #[napi(ts_type = "'request' | 'timeout' | 'queueSize'")]
    pub kind: String,
    /// `host:port` of the broker connection.
    pub broker: String,
    /// The request's correlation id on its connection (-1 for a timeout whose request was not
    /// seen being sent). Requests and timeouts only.
    pub correlation_id: Option<i32>,
    /// Kafka API key (-1 for an API this version does not name). Requests and timeouts only.
    pub api_key: Option<i32>,
    /// kafkajs' name of the API (`'Metadata'`, `'Produce'`, `'GroupCoordinator'`).
    pub api_name: Option<String>,
    /// -1 for a timeout whose request was not seen being sent.
    pub api_version: Option<i32>,
    /// Size of the response in bytes. Requests only.
    pub size: Option<f64>,
    /// When the request was sent, in ms since the epoch. Requests and timeouts only.
    pub sent_at: Option<f64>,
    /// Round-trip time librdkafka measured, in ms. Requests only.
    pub duration_ms: Option<f64>,
    /// Requests waiting to be sent to the broker. Queue sizes only.
    pub queue_size: Option<f64>,
}

impl From<NetworkReport> for JsNetworkReport {
    fn from(r: NetworkReport) -> Self {
        let empty = |kind: &str, broker: String| JsNetworkReport {
            kind: kind.to_string(),
            broker,
            correlation_id: None,
            api_key: None,
            api_name: None,
            api_version: None,
            size: None,
            sent_at: None,
            duration_ms: None,
            queue_size: None,
        };
        match r {
            NetworkReport::Request(r) => JsNetworkReport {
                correlation_id: Some(r.correlation_id),
                api_key: Some(r.api_key),
                api_name: Some(r.api_name),
                api_version: Some(r.api_version),
                size: Some(r.size as f64),
                sent_at: Some(r.sent_at_ms),
                duration_ms: Some(r.duration_ms),
                ..empty("request", r.broker)
            },
            NetworkReport::Timeout(r) => JsNetworkReport {
                correlation_id: Some(r.correlation_id),
                api_key: Some(r.api_key),
                api_name: Some(r.api_name),
                api_version: Some(r.api_version),
                sent_at: Some(r.sent_at_ms),
                ..empty("timeout", r.broker)
            },
            NetworkReport::QueueSize(r) => JsNetworkReport {
                queue_size: Some(r.queue_size as f64),
                ..empty("queueSize", r.broker)
            },
        }
    }
}

/// Reports queued at most while JS takes none; later ones are dropped until it does.
const MAX_QUEUED: usize = 65_536;

type BatchFn = ThreadsafeFunction<(), (), Vec<JsNetworkReport>, Status, false, true>;

/// The reports `onNetwork` asks for (`kinds`: `'requests'`, `'queueSizes'`; default both).
/// `ERR_INVALID_CONFIG` for an unknown kind.
pub fn network_reporting(
    callback: &Function<'_, Vec<JsNetworkReport>, ()>,
    kinds: Option<&[String]>,
) -> EngineResult<NetworkReporting> {
    let (mut requests, mut queue_sizes) = (kinds.is_none(), kinds.is_none());
    for kind in kinds.unwrap_or_default() {
        match kind.as_str() {
            "requests" => requests = true,
            "queueSizes" => queue_sizes = true,
            other => {
                return Err(EngineError::InvalidConfig(format!(
                    "networkReports must list 'requests' and/or 'queueSizes' (got '{other}')"
                )))
            }
        }
    }
    let queue: Arc<Mutex<Vec<NetworkReport>>> = Arc::default();
    let scheduled = Arc::new(AtomicBool::new(false));
    let (for_drain, scheduled_drain) = (queue.clone(), scheduled.clone());
    let tsfn: BatchFn = callback
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(move |_| {
            // Cleared before taking, so a report queued meanwhile schedules the next call.
            scheduled_drain.store(false, Ordering::Release);
            let batch = std::mem::take(&mut *for_drain.lock().unwrap_or_else(|p| p.into_inner()));
            Ok(batch.into_iter().map(JsNetworkReport::from).collect())
        })
        .map_err(|e| EngineError::InvalidConfig(format!("onNetwork: {}", e.reason)))?;
    Ok(NetworkReporting {
        sink: Arc::new(move |report| {
            {
                let mut queue = queue.lock().unwrap_or_else(|p| p.into_inner());
                // A JS thread that stopped taking batches (Node exiting) must not make the
                // queue grow without end.
                if queue.len() >= MAX_QUEUED {
                    return;
                }
                queue.push(report);
            }
            if !scheduled.swap(true, Ordering::AcqRel) {
                // The returning variant hands a throw from the callback to us instead of
                // crashing Node.
                let status = tsfn.call_with_return_value(
                    (),
                    ThreadsafeFunctionCallMode::NonBlocking,
                    |_, _| Ok(()),
                );
                if status != Status::Ok {
                    scheduled.store(false, Ordering::Release);
                }
            }
        }),
        requests,
        queue_sizes,
        keep_debug_lines: false,
    })
}
