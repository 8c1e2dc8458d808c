//! The event type of a message, read from the header the user names (`eventTypeHeader`), kept to
//! a bounded set of names so that per-type figures cannot grow without limit.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

/// Most distinct event types tracked; later ones are counted under `OTHER`.
pub const MAX_EVENT_TYPES: usize = 100;
/// The name figures of event types past `MAX_EVENT_TYPES` are kept under.
pub const OTHER: &str = "(other)";
const MAX_NAME_BYTES: usize = 128;

/// Reads event types from messages' headers.
#[derive(Default)]
pub struct EventTypes {
    header: OnceLock<String>,
    names: Mutex<BTreeSet<Arc<str>>>,
}

impl EventTypes {
    /// Names the header that carries the event type. Only the first call counts.
    pub fn set_header(&self, name: &str) {
        let _ = self.header.set(name.to_string());
    }

    /// Whether a header was named: without one, no message is looked at.
    pub fn enabled(&self) -> bool {
        self.header.get().is_some()
    }

    /// The event type of a message with these headers: the first header with the configured
    /// name, as UTF-8 (lossy), at most 128 bytes; `None` when there is no such header.
    pub fn of<B: AsRef<[u8]>>(&self, headers: &[(String, Option<B>)]) -> Option<Arc<str>> {
        let header = self.header.get()?;
        let value = headers
            .iter()
            .find(|(name, _)| name == header)?
            .1
            .as_ref()?
            .as_ref();
        let value = &value[..value.len().min(MAX_NAME_BYTES)];
        let name = String::from_utf8_lossy(value);
        let mut names = self.names.lock().ok()?;
        if let Some(known) = names.get(name.as_ref()) {
            return Some(known.clone());
        }
        let kept: Arc<str> = if names.len() < MAX_EVENT_TYPES {
            Arc::from(name.as_ref())
        } else {
            Arc::from(OTHER)
        };
        names.insert(kept.clone());
        Some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> Vec<(String, Option<Vec<u8>>)> {
        vec![
            ("other".into(), Some(b"x".to_vec())),
            ("event-type".into(), Some(v.as_bytes().to_vec())),
        ]
    }

    #[test]
    fn reads_the_named_header_only_when_configured() {
        let t = EventTypes::default();
        assert!(t.of(&headers("a")).is_none());
        t.set_header("event-type");
        assert_eq!(
            t.of(&headers("job.submitted")).as_deref(),
            Some("job.submitted")
        );
        assert!(t.of::<Vec<u8>>(&[("event-type".into(), None)]).is_none());
    }

    #[test]
    fn bounds_the_number_of_names() {
        let t = EventTypes::default();
        t.set_header("event-type");
        for i in 0..MAX_EVENT_TYPES {
            assert_eq!(
                t.of(&headers(&format!("t{i}"))).as_deref(),
                Some(format!("t{i}").as_str())
            );
        }
        assert_eq!(t.of(&headers("one-too-many")).as_deref(), Some(OTHER));
        assert_eq!(t.of(&headers("t0")).as_deref(), Some("t0"));
    }
}
