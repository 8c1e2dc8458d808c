//! Configuration validation: brokers and librdkafka properties from arbitrary text validate or
//! fail with ERR_INVALID_CONFIG, never panic. Input: the first line is the brokers list, each
//! further line `key=value`.
#![no_main]

use kafka_native::engine::config::ServiceConfig;
use libfuzzer_sys::fuzz_target;

// Properties that load code or files named by their value: out of the fuzzer's reach.
const SKIPPED: &[&str] = &[
    "plugin.library.paths",
    "ssl.engine.location",
    "ssl.providers",
];

fuzz_target!(|text: &str| {
    let mut lines = text.split('\n');
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(
        lines.next().unwrap_or_default(),
    ));
    for line in lines.take(16) {
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        if k.contains('\0')
            || v.contains('\0')
            || SKIPPED.iter().any(|s| k.trim().eq_ignore_ascii_case(s))
        {
            continue;
        }
        config.librdkafka.push((k.to_string(), v.to_string()));
    }
    if let Err(e) = config.validate() {
        assert_eq!(e.code(), "ERR_INVALID_CONFIG", "{e}");
    }
});
