//! One librdkafka client's request tracking: turns its protocol log lines into request and
//! timeout reports (pairing a timeout with the request it was), and its statistics into queue
//! size reports.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    api_key, broker_address, parse_request_line, NetworkReport, NetworkReporting, QueueSizeReport,
    RequestLine, RequestReport, TimeoutReport,
};
use crate::engine::metrics::librdkafka::ClientQueues;
use crate::engine::stats::BrokerSnapshot;

/// Requests remembered while they wait for a response; past it the oldest is forgotten (a
/// connection that failed leaves its requests unanswered).
const MAX_PENDING: usize = 4096;

/// A request sent and not yet answered, by (broker name, correlation id): the broker name
/// keeps connections apart (each numbers its requests from 1).
struct Pending {
    api_key: i32,
    api_version: i32,
    sent_at_ms: f64,
}

/// Tracks one client's requests for its `NetworkReporting`.
pub struct RequestTracker {
    reporting: NetworkReporting,
    pending: Mutex<HashMap<(String, i32), Pending>>,
}

impl RequestTracker {
    /// A tracker that sends what `reporting` asks for.
    pub fn new(reporting: NetworkReporting) -> Self {
        RequestTracker {
            reporting,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Takes in a librdkafka log line as it arrives. Returns whether it was a protocol line that
    /// this tracker consumed (it must then not be logged).
    pub fn on_log(&self, facility: &str, message: &str) -> bool {
        if !self.reporting.requests {
            return false;
        }
        self.on_log_at(facility, message, now_ms())
    }

    fn on_log_at(&self, facility: &str, message: &str, now_ms: f64) -> bool {
        let consumed = matches!(facility, "SEND" | "RECV");
        let Some(line) = parse_request_line(facility, message) else {
            return consumed;
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match line {
            RequestLine::Sent {
                broker,
                api,
                version,
                correlation_id,
            } => {
                if pending.len() >= MAX_PENDING {
                    forget_oldest(&mut pending);
                }
                pending.insert(
                    (broker.to_string(), correlation_id),
                    Pending {
                        api_key: api_key(api).0,
                        api_version: version,
                        sent_at_ms: now_ms,
                    },
                );
            }
            RequestLine::Received {
                broker,
                api,
                version,
                size,
                correlation_id,
                rtt_ms,
            } => {
                pending.remove(&(broker.to_string(), correlation_id));
                drop(pending);
                let (api_key, api_name) = api_key(api);
                (self.reporting.sink)(NetworkReport::Request(RequestReport {
                    broker: broker_address(broker).to_string(),
                    correlation_id,
                    api_key,
                    api_name: api_name.to_string(),
                    api_version: version,
                    size,
                    sent_at_ms: (now_ms - rtt_ms).round(),
                    duration_ms: rtt_ms,
                }));
            }
            RequestLine::TimedOut {
                broker,
                api,
                after_ms,
            } => {
                let (api_key, api_name) = api_key(api);
                let sent_at_ms = now_ms - after_ms as f64;
                let matched = pending
                    .iter()
                    .filter(|((b, _), p)| b == broker && p.api_key == api_key)
                    .min_by(|(_, a), (_, b)| {
                        (a.sent_at_ms - sent_at_ms)
                            .abs()
                            .total_cmp(&(b.sent_at_ms - sent_at_ms).abs())
                    })
                    .map(|(key, p)| (key.clone(), p.api_version));
                let (correlation_id, api_version) = match matched {
                    Some((key, version)) => {
                        pending.remove(&key);
                        (key.1, version)
                    }
                    None => (-1, -1),
                };
                drop(pending);
                (self.reporting.sink)(NetworkReport::Timeout(TimeoutReport {
                    broker: broker_address(broker).to_string(),
                    correlation_id,
                    api_key,
                    api_name: api_name.to_string(),
                    api_version,
                    sent_at_ms: sent_at_ms.round(),
                }));
            }
        }
        consumed
    }

    /// Takes in a statistics document's brokers and queues: one queue size report per broker.
    pub fn on_statistics(&self, brokers: &[BrokerSnapshot], queues: &ClientQueues) {
        if !self.reporting.queue_sizes {
            return;
        }
        for q in &queues.brokers {
            let Some(b) = brokers.iter().find(|b| b.id == q.id) else {
                continue;
            };
            (self.reporting.sink)(NetworkReport::QueueSize(QueueSizeReport {
                broker: broker_address(&b.name).to_string(),
                queue_size: q.outbuf.max(0),
            }));
        }
    }
}

fn forget_oldest(pending: &mut HashMap<(String, i32), Pending>) {
    let oldest = pending
        .iter()
        .min_by(|(_, a), (_, b)| a.sent_at_ms.total_cmp(&b.sent_at_ms))
        .map(|(key, _)| key.clone());
    if let Some(key) = oldest {
        pending.remove(&key);
    }
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::librdkafka::BrokerQueues;
    use std::sync::Arc;

    fn tracker(
        requests: bool,
        queue_sizes: bool,
    ) -> (RequestTracker, Arc<Mutex<Vec<NetworkReport>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let reporting = NetworkReporting {
            sink: Arc::new(move |r| s.lock().unwrap().push(r)),
            requests,
            queue_sizes,
            keep_debug_lines: false,
        };
        (RequestTracker::new(reporting), seen)
    }

    const SENT: &str = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Sent MetadataRequest (v12, 25 bytes @ 0, CorrId 4)";
    const RECEIVED: &str = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Received MetadataResponse (v12, 105 bytes, CorrId 4, rtt 0.59ms)";

    #[test]
    fn a_response_reports_the_request() {
        let (t, seen) = tracker(true, false);
        assert!(t.on_log_at("SEND", SENT, 1_000.0));
        assert!(t.on_log_at("RECV", RECEIVED, 1_010.0));
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [NetworkReport::Request(RequestReport {
                broker: "127.0.0.1:35779".into(),
                correlation_id: 4,
                api_key: 3,
                api_name: "Metadata".into(),
                api_version: 12,
                size: 105,
                sent_at_ms: 1_009.0,
                duration_ms: 0.59,
            })]
        );
        assert!(t.pending.lock().unwrap().is_empty());
    }

    #[test]
    fn a_timeout_names_the_request_sent_then() {
        let (t, seen) = tracker(true, false);
        let other = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Sent MetadataRequest (v12, 25 bytes @ 0, CorrId 9)";
        t.on_log_at("SEND", SENT, 1_000.0);
        t.on_log_at("SEND", other, 1_900.0);
        let timeout = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Timed out MetadataRequest in flight (after 1004ms, timeout #0)";
        // REQTMOUT is a notice: it stays in the log.
        assert!(!t.on_log_at("REQTMOUT", timeout, 2_005.0));
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.as_slice(),
            [NetworkReport::Timeout(TimeoutReport {
                broker: "127.0.0.1:35779".into(),
                correlation_id: 4,
                api_key: 3,
                api_name: "Metadata".into(),
                api_version: 12,
                sent_at_ms: 1_001.0,
            })]
        );
        assert_eq!(t.pending.lock().unwrap().len(), 1);
    }

    #[test]
    fn other_debug_lines_of_the_context_are_not_consumed() {
        let (t, seen) = tracker(true, false);
        let connected = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Connected (#1)";
        assert!(!t.on_log_at("CONNECTED", connected, 1.0));
        let (off, _) = tracker(false, true);
        assert!(!off.on_log("RECV", RECEIVED));
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn unanswered_requests_are_bounded() {
        let (t, _) = tracker(true, false);
        for id in 0..(MAX_PENDING as i32 + 10) {
            let line =
                format!("[thrd:b:1/1]: b:1/1: Sent FetchRequest (v11, 90 bytes @ 0, CorrId {id})");
            t.on_log_at("SEND", &line, f64::from(id));
        }
        let pending = t.pending.lock().unwrap();
        assert_eq!(pending.len(), MAX_PENDING);
        assert!(!pending.contains_key(&("b:1/1".to_string(), 0)));
    }

    #[test]
    fn statistics_report_each_brokers_waiting_requests() {
        let (t, seen) = tracker(false, true);
        let brokers = vec![BrokerSnapshot {
            id: 1,
            name: "127.0.0.1:9092/1".into(),
            state: "UP".into(),
            rtt_avg_ms: 0.0,
            rtt_p99_ms: 0.0,
        }];
        let queues = ClientQueues {
            brokers: vec![BrokerQueues {
                id: 1,
                outbuf: 2,
                ..BrokerQueues::default()
            }],
            ..ClientQueues::default()
        };
        t.on_statistics(&brokers, &queues);
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [NetworkReport::QueueSize(QueueSizeReport {
                broker: "127.0.0.1:9092".into(),
                queue_size: 2
            })]
        );
    }
}
