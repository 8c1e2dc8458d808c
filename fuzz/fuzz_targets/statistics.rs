//! librdkafka's statistics JSON: any bytes parse to figures or to nothing, never a panic.
#![no_main]

use kafka_native::engine::stats::parse_statistics;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|json: &[u8]| {
    if let Some(parsed) = parse_statistics(json) {
        assert!(parsed.brokers.iter().all(|b| b.id >= 0));
        assert!(parsed.lag.iter().all(|((_, p), lag)| *p >= 0 && *lag >= 0));
    }
});
