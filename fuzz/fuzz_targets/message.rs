//! Message checks before queueing: any partition, timestamp and header names give Ok or
//! ERR_INVALID_ARG, and Ok only for what Kafka accepts.
#![no_main]

use kafka_native::engine::message::OutgoingMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (
    Option<i32>,
    Option<i64>,
    Vec<(String, Option<Vec<u8>>)>,
    Option<Vec<u8>>,
    Option<Vec<u8>>
)| {
    let (partition, timestamp, headers, key, value) = input;
    let m = OutgoingMessage {
        key,
        value,
        headers,
        partition,
        timestamp,
    };
    let _ = m.size();
    match m.validate() {
        Ok(()) => {
            assert!(partition.is_none_or(|p| p >= 0));
            assert!(timestamp.is_none_or(|t| t >= 0));
            assert!(m.headers.iter().all(|(n, _)| !n.contains('\0')));
        }
        Err(e) => assert_eq!(e.code(), "ERR_INVALID_ARG"),
    }
});
