//! What a client learnt about its connection attempts: the failures that make waiting for the
//! cluster pointless (bad credentials, an untrusted or expired certificate, a plaintext client on
//! a TLS port), so `connect()` can report them at once instead of timing out.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use rdkafka::types::RDKafkaErrorCode;

use crate::engine::error::EngineError;

/// How many connections closed by the broker during the first request (ApiVersions) make a
/// protocol mismatch certain enough to stop waiting. A broker that is merely restarting refuses
/// connections instead of accepting and closing them.
const HANDSHAKE_CLOSES_CONCLUSIVE: usize = 2;

#[derive(Debug, Clone)]
struct Failure {
    code: RDKafkaErrorCode,
    reason: String,
    at: Instant,
}

impl Failure {
    /// The failure as an error, its message starting with `prefix`.
    fn to_error(&self, prefix: &str) -> EngineError {
        let what = match self.code {
            RDKafkaErrorCode::Authentication => "authentication failed",
            RDKafkaErrorCode::SSL => "TLS handshake failed",
            _ => "the client failed",
        };
        EngineError::Kafka {
            code: self.code,
            message: format!("{prefix}{what}: {}", self.reason),
            topic: None,
            partition: None,
        }
    }
}

/// The cluster refused this client (its credentials or certificates): no retry will pass.
pub fn is_refusal(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SSL
    )
}

#[derive(Default)]
struct State {
    /// Authentication, TLS and fatal errors: waiting longer cannot help.
    conclusive: Option<Failure>,
    /// The latest transport failure, for the message of a timeout.
    last: Option<Failure>,
    /// When connections were closed by the broker during the ApiVersions handshake.
    handshake_closes: VecDeque<(Instant, String)>,
}

/// Connection failures of one librdkafka client, fed by its context's error and log callbacks.
#[derive(Default)]
pub struct ConnectionWatch {
    state: Mutex<State>,
}

impl ConnectionWatch {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A client-level error from librdkafka's error callback.
    pub fn on_error(&self, code: RDKafkaErrorCode, reason: &str) {
        // The broker answered the TLS handshake with an alert (no or a refused client
        // certificate), or closed it (a plaintext port): librdkafka calls it a transport
        // failure, but no retry will pass.
        let tls_refused = reason.contains("SSL alert") || reason.contains("SSL handshake failed");
        let code = if code == RDKafkaErrorCode::BrokerTransportFailure && tls_refused {
            RDKafkaErrorCode::SSL
        } else {
            code
        };
        let failure = Failure {
            code,
            reason: reason.to_string(),
            at: Instant::now(),
        };
        let mut s = self.state();
        match code {
            RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SSL | RDKafkaErrorCode::Fatal => {
                s.conclusive = Some(failure.clone());
                s.last = Some(failure);
            }
            RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown => {
                s.last = Some(failure)
            }
            _ => {}
        }
    }

    /// A librdkafka log line. A connection the broker accepted and then closed while librdkafka
    /// waited for its ApiVersions answer is logged (at info level) but not reported as an error:
    /// it is what a plaintext client sees on a TLS port.
    pub fn on_log(&self, facility: &str, message: &str) {
        if facility != "FAIL"
            || !message.contains("in state APIVERSION_QUERY")
            || !message.contains("closed")
        {
            return;
        }
        let mut s = self.state();
        let now = Instant::now();
        s.handshake_closes.push_back((now, message.to_string()));
        while s.handshake_closes.len() > HANDSHAKE_CLOSES_CONCLUSIVE {
            s.handshake_closes.pop_front();
        }
        s.last = Some(Failure {
            code: RDKafkaErrorCode::BrokerTransportFailure,
            reason: message.to_string(),
            at: now,
        });
    }

    /// An error that ends a wait for the cluster that started at `since`, if one happened since.
    pub fn conclusive_since(&self, since: Instant) -> Option<EngineError> {
        let s = self.state();
        if let Some(f) = s.conclusive.as_ref().filter(|f| f.at >= since) {
            return Some(f.to_error(""));
        }
        let closes: Vec<_> = s
            .handshake_closes
            .iter()
            .filter(|(at, _)| *at >= since)
            .collect();
        if closes.len() >= HANDSHAKE_CLOSES_CONCLUSIVE {
            let reason = closes.last().map(|(_, m)| m.as_str()).unwrap_or_default();
            return Some(EngineError::Kafka {
                code: RDKafkaErrorCode::BrokerTransportFailure,
                message: format!(
                    "the broker closed every connection before answering its first request; is it a TLS or SASL port \
                     (check the ssl and sasl settings)? {reason}"
                ),
                topic: None,
                partition: None,
            });
        }
        None
    }

    /// The authentication or TLS failure that happened since `since`, if one did: why a message
    /// queued then was not delivered.
    pub fn refused_since(&self, since: Instant) -> Option<EngineError> {
        let s = self.state();
        s.conclusive
            .as_ref()
            .filter(|f| f.at >= since && is_refusal(f.code))
            .map(|f| f.to_error("not delivered: "))
    }

    /// The latest transport failure since `since`, to explain a timeout.
    pub fn last_failure_since(&self, since: Instant) -> Option<String> {
        self.state()
            .last
            .as_ref()
            .filter(|f| f.at >= since)
            .map(|f| f.reason.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_and_tls_errors_end_the_wait() {
        let w = ConnectionWatch::default();
        let start = Instant::now();
        assert!(w.conclusive_since(start).is_none());
        w.on_error(
            RDKafkaErrorCode::BrokerTransportFailure,
            "Connection refused",
        );
        assert!(w.conclusive_since(start).is_none());
        assert_eq!(
            w.last_failure_since(start).as_deref(),
            Some("Connection refused")
        );
        w.on_error(
            RDKafkaErrorCode::Authentication,
            "SASL authentication error",
        );
        let e = w.conclusive_since(start).unwrap();
        assert_eq!(e.code(), "ERR__AUTHENTICATION");
        assert!(!e.retriable());
        w.on_error(RDKafkaErrorCode::SSL, "certificate verify failed");
        assert_eq!(w.conclusive_since(start).unwrap().code(), "ERR__SSL");

        let w = ConnectionWatch::default();
        w.on_error(
            RDKafkaErrorCode::BrokerTransportFailure,
            "Receive failed: ssl3_read_bytes error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42",
        );
        assert_eq!(w.conclusive_since(start).unwrap().code(), "ERR__SSL");
    }

    #[test]
    fn only_a_refusal_after_a_message_was_queued_explains_its_failure() {
        let w = ConnectionWatch::default();
        w.on_error(RDKafkaErrorCode::Authentication, "old");
        let queued = Instant::now();
        assert!(w.refused_since(queued).is_none());
        w.on_error(
            RDKafkaErrorCode::BrokerTransportFailure,
            "Connection refused",
        );
        assert!(w.refused_since(queued).is_none());
        w.on_error(RDKafkaErrorCode::SSL, "certificate verify failed");
        let e = w.refused_since(queued).unwrap();
        assert_eq!(e.code(), "ERR__SSL");
        assert!(e
            .to_string()
            .starts_with("not delivered: TLS handshake failed"));
    }

    #[test]
    fn failures_before_the_wait_do_not_count() {
        let w = ConnectionWatch::default();
        w.on_error(RDKafkaErrorCode::Authentication, "old");
        let start = Instant::now();
        assert!(w.conclusive_since(start).is_none());
        assert!(w.last_failure_since(start).is_none());
    }

    #[test]
    fn repeated_handshake_closes_mean_a_protocol_mismatch() {
        let w = ConnectionWatch::default();
        let start = Instant::now();
        let line = "b/bootstrap: Disconnected: connection closed by peer: receive 0 after POLLIN (after 0ms in state APIVERSION_QUERY)";
        w.on_log(
            "FAIL",
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)",
        );
        w.on_log("FAIL", line);
        assert!(w.conclusive_since(start).is_none());
        w.on_log("FAIL", line);
        let e = w.conclusive_since(start).unwrap();
        assert_eq!(e.code(), "ERR__TRANSPORT");
        assert!(e.retriable());
    }
}
