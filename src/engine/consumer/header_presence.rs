//! Whether a fetched message has headers, told without librdkafka parsing them. For a record
//! with none, `rd_kafka_message_headers` still allocates a parse buffer (`rd_kafka_buf_t`), reads
//! the header count (0), frees the buffer and answers "none", on every call: profiled consuming
//! a backlog without headers (callgrind, 2026-12-04), a third of the poll thread's instructions.
//!
//! The record's unparsed header bytes are kept in librdkafka's message, in an internal struct
//! (`rd_kafka_msg_t`, rdkafka_msg.h). `MessagePrefix` mirrors its start for the one librdkafka
//! release it was written against, the one rdkafka-sys builds and links statically: with any
//! other release the answer is always "maybe", and librdkafka is asked.

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

use rdkafka::bindings as rd;

/// The librdkafka release whose `rd_kafka_msg_t` `MessagePrefix` mirrors (2.12.1, as
/// `rd_kafka_version()` gives it).
const MIRRORED_RELEASE: i32 = 0x020c_01ff;

/// librdkafka's `rd_kafkap_bytes_t`: Kafka bytes (length -1 for null).
#[repr(C)]
struct KafkaBytes {
    len: i32,
    data: *const u8,
}

/// The start of librdkafka 2.12.1's `rd_kafka_msg_t`, for a consumed message, up to its unparsed
/// headers (`rkm_u.consumer.binhdrs`).
#[repr(C)]
struct MessagePrefix {
    message: rd::rd_kafka_message_t,
    /// `TAILQ_ENTRY(rd_kafka_msg_s) rkm_link`.
    link: [*mut c_void; 2],
    flags: c_int,
    /// `rd_kafka_timestamp_type_t`.
    timestamp_type: c_int,
    timestamp: i64,
    /// Headers parsed by an earlier call, if any.
    headers: *mut rd::rd_kafka_headers_t,
    /// `rd_kafka_msg_status_t`.
    status: c_int,
    broker_id: i32,
    /// The record's header section as fetched: the header count (a zig-zag varint) and the
    /// headers.
    binary_headers: KafkaBytes,
}

/// Whether the librdkafka linked in is the release `MessagePrefix` mirrors.
fn layout_is_mirrored() -> bool {
    static MIRRORED: OnceLock<bool> = OnceLock::new();
    *MIRRORED.get_or_init(|| rdkafka::util::get_rdkafka_version().0 == MIRRORED_RELEASE)
}

/// True when `message`, a message a consumer fetched, certainly has no headers: its record's
/// header section is empty or only a header count of 0. False means it may have some (ask
/// `rd_kafka_message_headers`).
///
/// # Safety
/// `message` is a live message taken from a consumer's queue (not a producer's message, not an
/// error).
pub(crate) unsafe fn has_no_headers(message: &rd::rd_kafka_message_t) -> bool {
    if !layout_is_mirrored() {
        return false;
    }
    // SAFETY: a consumed message is the first field of librdkafka's `rd_kafka_msg_t`, whose start
    // `MessagePrefix` mirrors for this release (checked above).
    let m = &*(message as *const rd::rd_kafka_message_t as *const MessagePrefix);
    if !m.headers.is_null() {
        return false;
    }
    let section = &m.binary_headers;
    // SAFETY: a section of length 1 points to its one byte in the fetched buffer, alive with the
    // message.
    section.len == 0 || (section.len == 1 && !section.data.is_null() && *section.data == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets of rdkafka_msg.h's fields on the 64-bit targets the package is built for.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_mirror_has_librdkafkas_field_offsets() {
        assert_eq!(std::mem::size_of::<rd::rd_kafka_message_t>(), 72);
        assert_eq!(std::mem::offset_of!(MessagePrefix, flags), 88);
        assert_eq!(std::mem::offset_of!(MessagePrefix, timestamp), 96);
        assert_eq!(std::mem::offset_of!(MessagePrefix, headers), 104);
        assert_eq!(std::mem::offset_of!(MessagePrefix, binary_headers), 120);
    }

    /// The release built is the one mirrored: a librdkafka update fails here, so that the mirror
    /// is checked against the new rdkafka_msg.h (until then it is not used).
    #[test]
    fn the_linked_librdkafka_is_the_mirrored_release() {
        assert!(
            layout_is_mirrored(),
            "librdkafka {:x}: check MessagePrefix against its rdkafka_msg.h",
            rdkafka::util::get_rdkafka_version().0
        );
    }
}
