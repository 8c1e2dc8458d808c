//! The W3C `traceparent` of a failed handler call's span. The retry ladder writes it into the copy
//! it republishes (`x-failed-traceparent`), so that the tracing of the next handling of that copy
//! links to the handling that failed. It comes from JS (the tracer provider's span context), so
//! it is checked before it goes into a message.

use std::fmt;

/// Length of a version-00 traceparent: `00-` + 32 hex + `-` + 16 hex + `-` + 2 hex.
const LENGTH: usize = 55;

/// A W3C Trace Context `traceparent` of version 00 whose format was checked:
/// `00-<trace id: 32 lowercase hex>-<span id: 16 lowercase hex>-<flags: 2 lowercase hex>`, with
/// neither id all zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent(String);

impl TraceParent {
    /// `text` as a traceparent, or None when it is not a valid version-00 one (the caller drops
    /// it: a link is worth less than a message carrying what it was not meant to).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != LENGTH || !text.starts_with("00-") || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        // Bytes, not &str slices: a multibyte character must not make a slice panic.
        let (trace_id, span_id, flags) = (&b[3..35], &b[36..52], &b[53..55]);
        let valid = |field: &[u8]| field.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        let zero = |field: &[u8]| field.iter().all(|&c| c == b'0');
        if !valid(trace_id) || !valid(span_id) || !valid(flags) || zero(trace_id) || zero(span_id) {
            return None;
        }
        Some(TraceParent(text.to_string()))
    }

    /// The traceparent's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_version_00_traceparent_is_kept_as_it_is() {
        assert_eq!(
            TraceParent::parse(VALID).map(|t| t.to_string()),
            Some(VALID.to_string())
        );
        let unsampled = VALID.replace("-01", "-00");
        assert!(TraceParent::parse(&unsampled).is_some());
    }

    #[test]
    fn anything_else_is_dropped() {
        for bad in [
            "",
            "garbage",
            // upper case, another version, the invalid ids, wrong lengths and separators
            &VALID.to_uppercase(),
            &VALID.replacen("00-", "01-", 1),
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            &VALID[..54],
            &format!("{VALID}-extra"),
            &format!("{VALID}\n"),
            "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",
            // a multibyte character in a field of the right byte length
            "00-0af7651916cd43dd8448eb211c8031é-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033é-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }
}
