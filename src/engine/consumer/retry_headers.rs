//! The headers a message carries through the retry ladder and into the dead-letter topic, and
//! the message that is republished to the next step.

use crate::engine::consumer::trace_parent::TraceParent;
use crate::engine::message::{ConsumedMessage, OutgoingMessage};

/// Topic the message was first consumed from.
pub const ORIGINAL_TOPIC: &str = "x-original-topic";
/// Its partition there.
pub const ORIGINAL_PARTITION: &str = "x-original-partition";
/// Its offset there.
pub const ORIGINAL_OFFSET: &str = "x-original-offset";
/// Its timestamp there (ms since the epoch).
pub const ORIGINAL_TIMESTAMP: &str = "x-original-timestamp";
/// Its key there (also the key of every republished copy), absent for a keyless message.
pub const ORIGINAL_KEY: &str = "x-original-key";
/// Handler calls that failed so far, in-place retries included.
pub const ATTEMPTS: &str = "x-attempts";
/// When the handler first failed on it (ms since the epoch).
pub const FIRST_FAILURE: &str = "x-first-failure";
/// The code of the last failure: `ERR_HANDLER_FAILED` when the handler failed, else what failed
/// before it could see the message (`ERR_SCHEMA_DECODE`, `ERR_SCHEMA_NOT_FOUND`, ...).
pub const ERROR_CODE: &str = "x-error-code";
/// The last failure's description.
pub const ERROR: &str = "x-error";
/// The group whose handler failed: a retry topic shared by several groups is filtered on it.
pub const GROUP: &str = "x-consumer-group";
/// Earliest time (ms since the epoch) the handler may see the message again.
pub const DUE: &str = "x-retry-due";
/// The W3C traceparent of the failed handler call's span, when the tracing recorded it: the
/// next handling's span links to it. Absent without tracing (never kept from an earlier step).
pub const FAILED_TRACEPARENT: &str = "x-failed-traceparent";

/// Every header the ladder sets, in the order written.
pub const ALL: [&str; 12] = [
    ORIGINAL_TOPIC,
    ORIGINAL_PARTITION,
    ORIGINAL_OFFSET,
    ORIGINAL_TIMESTAMP,
    ORIGINAL_KEY,
    ATTEMPTS,
    FIRST_FAILURE,
    ERROR_CODE,
    ERROR,
    GROUP,
    DUE,
    FAILED_TRACEPARENT,
];

/// A failure to record on the republished message.
pub struct Failure<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub group_id: &'a str,
    /// Handler calls that failed on this message in this step.
    pub attempts: u32,
    pub code: &'a str,
    pub error: &'a str,
    pub now_ms: i64,
    /// When the next step may deliver it; None for the dead-letter topic.
    pub due_ms: Option<i64>,
    /// The failed call's span, when the tracing recorded it.
    pub span: Option<&'a TraceParent>,
}

/// The value of a header as text, the last one when it repeats.
pub fn text<'m>(m: &'m ConsumedMessage, name: &str) -> Option<&'m str> {
    m.headers
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref())
        .and_then(|v| std::str::from_utf8(v).ok())
}

/// A header's value as a number.
pub fn number(m: &ConsumedMessage, name: &str) -> Option<i64> {
    text(m, name).and_then(|t| t.trim().parse().ok())
}

/// Failed handler calls on `m` in all after `attempts` more in this step: its `x-attempts` on
/// the next step.
pub fn attempts_after(m: &ConsumedMessage, attempts: u32) -> u64 {
    number(m, ATTEMPTS).unwrap_or(0).max(0) as u64 + u64::from(attempts)
}

/// The copy of `m` for the next step: its key, value and own headers, the `x-original-*` headers
/// of its first failure (kept from an earlier step, else taken from where it was consumed now),
/// and the attempt count, first failure, error, due time and failed span brought up to date.
/// Keeps the original timestamp.
pub fn forwarded(m: &ConsumedMessage, f: &Failure<'_>) -> OutgoingMessage<Vec<u8>> {
    let first_failure = number(m, FIRST_FAILURE).unwrap_or(f.now_ms);
    let kept = |name: &str, now: String| text(m, name).map(str::to_string).unwrap_or(now);
    let mut headers: Vec<(String, Option<Vec<u8>>)> = m
        .headers
        .iter()
        .filter(|(k, _)| !ALL.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut set = |name: &str, value: String| headers.push((name.into(), Some(value.into_bytes())));
    set(ORIGINAL_TOPIC, kept(ORIGINAL_TOPIC, f.topic.to_string()));
    set(
        ORIGINAL_PARTITION,
        kept(ORIGINAL_PARTITION, f.partition.to_string()),
    );
    set(ORIGINAL_OFFSET, kept(ORIGINAL_OFFSET, m.offset.to_string()));
    let ts = m.timestamp.map(|t| t.to_string()).unwrap_or_default();
    set(ORIGINAL_TIMESTAMP, kept(ORIGINAL_TIMESTAMP, ts));
    set(ATTEMPTS, attempts_after(m, f.attempts).to_string());
    set(FIRST_FAILURE, first_failure.to_string());
    set(ERROR_CODE, f.code.to_string());
    set(ERROR, first_line(f.error));
    set(GROUP, f.group_id.to_string());
    if let Some(due) = f.due_ms {
        set(DUE, due.to_string());
    }
    if let Some(span) = f.span {
        set(FAILED_TRACEPARENT, span.to_string());
    }
    if let Some(key) = &m.key {
        headers.push((ORIGINAL_KEY.into(), Some(key.clone())));
    }
    OutgoingMessage {
        key: m.key.clone(),
        value: m.value.clone(),
        headers,
        partition: None,
        timestamp: m.timestamp.filter(|t| *t >= 0),
    }
}

/// The first line of an error description (a JS stack follows it), at most 1,000 characters.
fn first_line(error: &str) -> String {
    error
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(1_000)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumed(headers: Vec<(&str, &str)>) -> ConsumedMessage {
        ConsumedMessage {
            key: Some(b"k".to_vec()),
            value: Some(b"v".to_vec()),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), Some(v.as_bytes().to_vec())))
                .collect(),
            offset: 42,
            timestamp: Some(1_000),
        }
    }

    fn failure(topic: &str, due: Option<i64>) -> Failure<'_> {
        Failure {
            topic,
            partition: 3,
            group_id: "g",
            attempts: 2,
            code: "ERR_HANDLER_FAILED",
            error: "Error: boom\n    at stack",
            now_ms: 5_000,
            due_ms: due,
            span: None,
        }
    }

    fn header<'a>(m: &'a OutgoingMessage<Vec<u8>>, name: &str) -> Option<&'a str> {
        m.headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn the_first_failure_records_where_the_message_came_from() {
        let m = consumed(vec![("trace", "t1")]);
        let out = forwarded(&m, &failure("orders", Some(6_000)));
        assert_eq!(out.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(out.timestamp, Some(1_000));
        for (name, value) in [
            ("trace", "t1"),
            (ORIGINAL_TOPIC, "orders"),
            (ORIGINAL_PARTITION, "3"),
            (ORIGINAL_OFFSET, "42"),
            (ORIGINAL_TIMESTAMP, "1000"),
            (ORIGINAL_KEY, "k"),
            (ATTEMPTS, "2"),
            (FIRST_FAILURE, "5000"),
            (ERROR_CODE, "ERR_HANDLER_FAILED"),
            (ERROR, "Error: boom"),
            (GROUP, "g"),
            (DUE, "6000"),
        ] {
            assert_eq!(header(&out, name), Some(value), "{name}");
        }
    }

    #[test]
    fn a_later_step_keeps_the_origin_and_counts_on() {
        let m = consumed(vec![
            (ORIGINAL_TOPIC, "orders"),
            (ORIGINAL_PARTITION, "1"),
            (ORIGINAL_OFFSET, "7"),
            (ORIGINAL_TIMESTAMP, "900"),
            (ATTEMPTS, "2"),
            (FIRST_FAILURE, "4000"),
            (DUE, "4500"),
        ]);
        let mut f = failure("g.retry.1", None);
        f.attempts = 1;
        let out = forwarded(&m, &f);
        assert_eq!(header(&out, ORIGINAL_TOPIC), Some("orders"));
        assert_eq!(header(&out, ORIGINAL_OFFSET), Some("7"));
        assert_eq!(header(&out, ATTEMPTS), Some("3"));
        assert_eq!(header(&out, FIRST_FAILURE), Some("4000"));
        assert_eq!(
            header(&out, DUE),
            None,
            "the dead-letter topic has no due time"
        );
        assert_eq!(
            out.headers
                .iter()
                .filter(|(k, _)| k == ORIGINAL_TOPIC)
                .count(),
            1
        );
    }

    #[test]
    fn the_failed_span_is_written_when_given_and_never_kept_from_an_earlier_step() {
        const FAILED: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let earlier = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
        // A copy from an earlier step, or a producer that set the header itself.
        let m = consumed(vec![(FAILED_TRACEPARENT, earlier)]);
        let span = TraceParent::parse(FAILED).unwrap();
        let mut f = failure("orders", Some(6_000));
        f.span = Some(&span);
        let out = forwarded(&m, &f);
        let written: Vec<_> = out
            .headers
            .iter()
            .filter(|(k, _)| k == FAILED_TRACEPARENT)
            .collect();
        assert_eq!(written.len(), 1);
        assert_eq!(header(&out, FAILED_TRACEPARENT), Some(FAILED));
        let untraced = forwarded(&m, &failure("orders", None));
        assert_eq!(header(&untraced, FAILED_TRACEPARENT), None);
    }
}
