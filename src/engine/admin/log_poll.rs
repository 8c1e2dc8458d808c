//! Serves an admin client's log lines. rdkafka's `AdminClient` polls only the queue of its own
//! results, so the lines librdkafka forwards to the client's main queue (`log.queue`) would wait
//! there unread. A client that reports its network requests reads them from those lines, so it
//! gets a thread that serves the main queue until the client is gone.

use std::ffi::CStr;
use std::os::raw::c_char;
use std::sync::{Arc, Weak};

use rdkafka::bindings as rd;
use rdkafka::config::RDKafkaLogLevel;

use super::{AdminContext, Client};

/// How long one wait for a line lasts; also how long a closed client's thread lingers.
const POLL_MS: i32 = 100;

/// Starts serving `client`'s main queue, for as long as the client lives.
pub(super) fn serve_logs(client: &Arc<Client>) {
    let weak: Weak<Client> = Arc::downgrade(client);
    // Without the thread the reports stop and lines pile up; the client itself still works.
    let _ = std::thread::Builder::new()
        .name("kafka-native-admin-logs".into())
        .spawn(move || {
            while let Some(client) = weak.upgrade() {
                serve_once(&client);
            }
        });
}

/// Waits up to `POLL_MS` for an event of the main queue and hands a log line to the context.
fn serve_once(client: &Client) {
    let rk = client.inner().native_ptr();
    // SAFETY: `rk` is alive while `client` is; the queue reference and the event are released
    // here before the client can be dropped.
    unsafe {
        let queue = rd::rd_kafka_queue_get_main(rk);
        if queue.is_null() {
            return;
        }
        let event = rd::rd_kafka_queue_poll(queue, POLL_MS);
        if !event.is_null() {
            if rd::rd_kafka_event_type(event) == rd::RD_KAFKA_EVENT_LOG {
                log_event(client.inner().context(), event);
            }
            rd::rd_kafka_event_destroy(event);
        }
        rd::rd_kafka_queue_destroy(queue);
    }
}

/// # Safety
/// `event` must be a live log event.
unsafe fn log_event(context: &AdminContext, event: *mut rd::rd_kafka_event_t) {
    let mut facility: *const c_char = std::ptr::null();
    let mut message: *const c_char = std::ptr::null();
    let mut level: i32 = 0;
    if rd::rd_kafka_event_log(event, &mut facility, &mut message, &mut level) != 0
        || facility.is_null()
        || message.is_null()
    {
        return;
    }
    let facility = CStr::from_ptr(facility).to_string_lossy();
    let message = CStr::from_ptr(message).to_string_lossy();
    context
        .events
        .on_log(log_level(level), facility.trim(), message.trim());
}

/// librdkafka's syslog level as rdkafka's enum.
fn log_level(level: i32) -> RDKafkaLogLevel {
    match level {
        i32::MIN..=0 => RDKafkaLogLevel::Emerg,
        1 => RDKafkaLogLevel::Alert,
        2 => RDKafkaLogLevel::Critical,
        3 => RDKafkaLogLevel::Error,
        4 => RDKafkaLogLevel::Warning,
        5 => RDKafkaLogLevel::Notice,
        6 => RDKafkaLogLevel::Info,
        _ => RDKafkaLogLevel::Debug,
    }
}
