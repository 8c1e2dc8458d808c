//! What connect() learns from librdkafka's log lines and error reasons: any text, any code,
//! never a panic; a conclusive failure is always one of the documented codes.
#![no_main]

use std::time::Instant;

use kafka_native::engine::connection::ConnectionWatch;
use libfuzzer_sys::fuzz_target;
use rdkafka::types::RDKafkaErrorCode;

const CODES: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::Authentication,
    RDKafkaErrorCode::SSL,
    RDKafkaErrorCode::Fatal,
    RDKafkaErrorCode::BrokerTransportFailure,
    RDKafkaErrorCode::AllBrokersDown,
    RDKafkaErrorCode::OperationTimedOut,
    RDKafkaErrorCode::MessageTimedOut,
    RDKafkaErrorCode::Fail,
];

fuzz_target!(|events: Vec<(bool, u8, String, String)>| {
    let start = Instant::now();
    let watch = ConnectionWatch::default();
    for (is_log, code, facility, text) in events.iter().take(64) {
        if *is_log {
            watch.on_log(facility, text);
        } else {
            watch.on_error(CODES[*code as usize % CODES.len()], text);
        }
    }
    if let Some(e) = watch.conclusive_since(start) {
        assert!(
            [
                "ERR__AUTHENTICATION",
                "ERR__SSL",
                "ERR__FATAL",
                "ERR__TRANSPORT"
            ]
            .contains(&e.code().as_str()),
            "{}",
            e.code()
        );
    }
    let _ = watch.last_failure_since(start);
});
