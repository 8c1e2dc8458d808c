//! Parses librdkafka's protocol log lines (debug context `protocol`, rdkafka_broker.c) and its
//! request-timeout notices into typed lines:
//!
//! - `SEND`: `[thrd:…]: <broker>: Sent <Api>Request (v<version>, <n> bytes @ <offset>, CorrId <id>)`
//! - `RECV`: `[thrd:…]: <broker>: Received <Api>Response (v<version>, <n> bytes, CorrId <id>, rtt <ms>ms)`
//! - `REQTMOUT`: `[thrd:…]: <broker>: Timed out <Api>Request in flight (after <ms>ms, timeout #<n>)…`
//!
//! `<broker>` is librdkafka's broker name (`127.0.0.1:9092/1`, `…/bootstrap`). Anything else
//! (a partial send, the per-scan timeout summary) is not a request line.

/// One request event of a broker connection.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestLine<'a> {
    /// A request written to the connection in full.
    Sent {
        broker: &'a str,
        api: &'a str,
        version: i32,
        correlation_id: i32,
    },
    /// The response to a request.
    Received {
        broker: &'a str,
        api: &'a str,
        version: i32,
        size: u64,
        correlation_id: i32,
        rtt_ms: f64,
    },
    /// A request in flight that timed out, `after_ms` after it was sent.
    TimedOut {
        broker: &'a str,
        api: &'a str,
        after_ms: u64,
    },
}

/// The request line in a librdkafka log record, if it is one.
pub fn parse_request_line<'a>(facility: &str, message: &'a str) -> Option<RequestLine<'a>> {
    let (_, rest) = message.split_once("]: ")?;
    let (broker, text) = rest.split_once(": ")?;
    match facility {
        "SEND" => sent(broker, text),
        "RECV" => received(broker, text),
        "REQTMOUT" => timed_out(broker, text),
        _ => None,
    }
}

fn sent<'a>(broker: &'a str, text: &'a str) -> Option<RequestLine<'a>> {
    let (api, args) = text.strip_prefix("Sent ")?.split_once("Request (")?;
    if api.starts_with("partial ") {
        return None;
    }
    let mut args = args.strip_suffix(')')?.split(", ");
    let version = args.next()?.strip_prefix('v')?.parse().ok()?;
    args.next()?; // "<n> bytes @ <offset>": kafkajs' size is the response's
    let correlation_id = args.next()?.strip_prefix("CorrId ")?.parse().ok()?;
    Some(RequestLine::Sent {
        broker,
        api,
        version,
        correlation_id,
    })
}

fn received<'a>(broker: &'a str, text: &'a str) -> Option<RequestLine<'a>> {
    let (api, args) = text.strip_prefix("Received ")?.split_once("Response (")?;
    let mut args = args.strip_suffix(')')?.split(", ");
    let version = args.next()?.strip_prefix('v')?.parse().ok()?;
    let size = args.next()?.strip_suffix(" bytes")?.parse().ok()?;
    let correlation_id = args.next()?.strip_prefix("CorrId ")?.parse().ok()?;
    let rtt_ms = args
        .next()?
        .strip_prefix("rtt ")?
        .strip_suffix("ms")?
        .parse()
        .ok()?;
    Some(RequestLine::Received {
        broker,
        api,
        version,
        size,
        correlation_id,
        rtt_ms,
    })
}

fn timed_out<'a>(broker: &'a str, text: &'a str) -> Option<RequestLine<'a>> {
    let (api, rest) = text.strip_prefix("Timed out ")?.split_once("Request ")?;
    let (after, _) = rest.strip_prefix("in flight (after ")?.split_once("ms, ")?;
    Some(RequestLine::TimedOut {
        broker,
        api,
        after_ms: after.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as librdkafka 2.12.1 printed them, against its mock cluster.
    const SENT: &str = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Sent MetadataRequest (v12, 25 bytes @ 0, CorrId 4)";
    const RECEIVED: &str = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Received MetadataResponse (v12, 105 bytes, CorrId 4, rtt 0.59ms)";
    const BOOTSTRAP: &str = "[thrd:127.0.0.1:35779/bootstrap]: 127.0.0.1:35779/bootstrap: Received ApiVersionResponse (v0, 132 bytes, CorrId 2, rtt 0.09ms)";

    #[test]
    fn sent_lines_name_the_request() {
        assert_eq!(
            parse_request_line("SEND", SENT),
            Some(RequestLine::Sent {
                broker: "127.0.0.1:35779/1",
                api: "Metadata",
                version: 12,
                correlation_id: 4
            })
        );
    }

    #[test]
    fn received_lines_give_size_and_rtt() {
        assert_eq!(
            parse_request_line("RECV", RECEIVED),
            Some(RequestLine::Received {
                broker: "127.0.0.1:35779/1",
                api: "Metadata",
                version: 12,
                size: 105,
                correlation_id: 4,
                rtt_ms: 0.59
            })
        );
        assert!(matches!(
            parse_request_line("RECV", BOOTSTRAP),
            Some(RequestLine::Received {
                broker: "127.0.0.1:35779/bootstrap",
                api: "ApiVersion",
                size: 132,
                ..
            })
        ));
    }

    #[test]
    fn timeouts_give_the_elapsed_time() {
        let line = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Timed out MetadataRequest in flight (after 1004ms, timeout #0)";
        assert_eq!(
            parse_request_line("REQTMOUT", line),
            Some(RequestLine::TimedOut {
                broker: "127.0.0.1:35779/1",
                api: "Metadata",
                after_ms: 1004
            })
        );
        let summary = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Timed out 1 in-flight, 0 retry-queued, 0 out-queue, 0 partially-sent requests";
        assert_eq!(parse_request_line("REQTMOUT", summary), None);
    }

    #[test]
    fn other_lines_are_not_requests() {
        let partial = "[thrd:h:1/1]: h:1/1: Sent partial ProduceRequest (v9, 0+16384/1048576 bytes, CorrId 7)";
        assert_eq!(parse_request_line("SEND", partial), None);
        let connected = "[thrd:127.0.0.1:35779/1]: 127.0.0.1:35779/1: Connected (#1)";
        assert_eq!(parse_request_line("CONNECTED", connected), None);
        assert_eq!(parse_request_line("RECV", "garbled"), None);
        assert_eq!(
            parse_request_line(
                "RECV",
                "[thrd:a]: b: Received XResponse (vX, 1 bytes, CorrId 1, rtt 1ms)"
            ),
            None
        );
    }
}
