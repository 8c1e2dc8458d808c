//! Topic-name validation: never panics, and accepts exactly Kafka's legal names.
#![no_main]

use kafka_native::engine::message::validate_topic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|name: &str| {
    let legal = !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    match validate_topic(name) {
        Ok(()) => assert!(legal, "accepted {name:?}"),
        Err(e) => {
            assert!(!legal, "refused {name:?}");
            assert_eq!(e.code(), "ERR_TOPIC_EXCEPTION");
        }
    }
});
