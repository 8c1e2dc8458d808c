//! A second handle on a partition's librdkafka queue that takes up to N messages in one call
//! (`rd_kafka_consume_batch_queue`). rust-rdkafka's `PartitionQueue::poll` takes one message per
//! call, with an event wrapper, an `Arc` and two clock reads for each: profiled consuming a
//! backlog, 16 % of the poll thread went to `clock_gettime` alone
//! (bench/results/2026-12-02-consume-memory.md). Both handles share one librdkafka queue, so the
//! `PartitionQueue` keeps what it does besides polling (its wake-up callback, holding the consumer).

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::engine::consumer::header_presence::has_no_headers;
use crate::engine::consumer::rebalance::SubscriptionContext;
use crate::engine::message::ConsumedMessage;

const NO_ERROR: rd::rd_kafka_resp_err_t = rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;

/// A handle on one partition's queue, released on drop. It must be dropped before its consumer is
/// closed: the owner keeps it beside the partition's `PartitionQueue`, which holds the consumer.
pub(crate) struct QueueBatch {
    queue: *mut rd::rd_kafka_queue_t,
    /// Reused between calls: the messages of the last call, each destroyed before it returns.
    popped: Vec<*mut rd::rd_kafka_message_t>,
}

// SAFETY: librdkafka's queue handles may be used from any thread; this one is only used under
// the mutex of the partition queues that own it.
unsafe impl Send for QueueBatch {}

impl QueueBatch {
    /// A handle on the queue of `topic`'s `partition`, or None when librdkafka gives none.
    pub fn of(
        consumer: &BaseConsumer<SubscriptionContext>,
        topic: &str,
        partition: i32,
    ) -> Option<Self> {
        let name = CString::new(topic).ok()?;
        // SAFETY: the client handle is alive (borrowed); the queue handle is released in `drop`.
        let queue = unsafe {
            rd::rd_kafka_queue_get_partition(
                consumer.client().native_ptr(),
                name.as_ptr(),
                partition,
            )
        };
        (!queue.is_null()).then(|| QueueBatch {
            queue,
            popped: Vec::new(),
        })
    }

    /// How many messages (and events) the queue holds now.
    pub fn len(&self) -> usize {
        // SAFETY: the queue handle is alive until `drop`.
        unsafe { rd::rd_kafka_queue_length(self.queue) }
    }

    /// Takes at most `max` messages without waiting and hands each (or the error librdkafka
    /// queued in its place) to `each`, in queue order. Each message is released once `each`
    /// returned (all that are left, if it panics).
    pub fn pop(&mut self, max: usize, mut each: impl FnMut(Result<RawMessage<'_>, KafkaError>)) {
        if max == 0 {
            return;
        }
        self.popped.clear();
        self.popped.reserve(max);
        // SAFETY: `popped` has room for `max` pointers; librdkafka writes `n` of them.
        let n = unsafe {
            rd::rd_kafka_consume_batch_queue(self.queue, 0, self.popped.as_mut_ptr(), max)
        };
        if n <= 0 {
            return;
        }
        // SAFETY: librdkafka initialised the first `n` (≤ max) pointers.
        unsafe { self.popped.set_len(n as usize) };
        let mut release = Release {
            popped: &mut self.popped,
            next: 0,
        };
        while release.next < release.popped.len() {
            let m = release.popped[release.next];
            // SAFETY: a message librdkafka handed over and that is not released yet.
            let message = unsafe { &*m };
            if message.err == NO_ERROR {
                each(Ok(RawMessage { message }));
            } else {
                each(Err(error_of(message)));
            }
            release.next += 1;
            // SAFETY: released once, after its last use.
            unsafe { rd::rd_kafka_message_destroy(m) };
        }
    }
}

impl Drop for QueueBatch {
    fn drop(&mut self) {
        // SAFETY: taken in `of`, released once, while the consumer is alive (see the type's doc).
        unsafe { rd::rd_kafka_queue_destroy(self.queue) }
    }
}

/// Releases the messages of a call not handed on yet, should the caller's closure panic.
struct Release<'a> {
    popped: &'a mut Vec<*mut rd::rd_kafka_message_t>,
    next: usize,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        for &m in &self.popped[self.next..] {
            // SAFETY: not released yet (`next` moves past each one released).
            unsafe { rd::rd_kafka_message_destroy(m) };
        }
        self.popped.clear();
    }
}

/// What rust-rdkafka makes of a message that carries an error instead of data.
fn error_of(message: &rd::rd_kafka_message_t) -> KafkaError {
    match message.err {
        rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {
            KafkaError::PartitionEOF(message.partition)
        }
        e => KafkaError::MessageConsumption(RDKafkaErrorCode::from(e)),
    }
}

/// A message taken from a queue, alive until the closure it was handed to returns.
pub(crate) struct RawMessage<'a> {
    message: &'a rd::rd_kafka_message_t,
}

impl RawMessage<'_> {
    pub fn partition(&self) -> i32 {
        self.message.partition
    }

    /// Its topic's name (empty if librdkafka gives none or it is not UTF-8).
    pub fn topic(&self) -> &str {
        // SAFETY: a message's topic handle and its name live as long as the message.
        unsafe {
            let name = rd::rd_kafka_topic_name(self.message.rkt);
            if name.is_null() {
                ""
            } else {
                CStr::from_ptr(name).to_str().unwrap_or("")
            }
        }
    }

    /// Its topic's librdkafka handle: messages with the same handle are of the same topic.
    pub fn topic_handle(&self) -> *const c_void {
        self.message.rkt as *const c_void
    }

    /// The broker it was fetched from.
    pub fn broker(&self) -> i32 {
        // SAFETY: the message is alive.
        unsafe { rd::rd_kafka_message_broker_id(self.message) }
    }

    /// The message, copied out of librdkafka's buffers.
    pub fn to_consumed(&self) -> ConsumedMessage {
        let m = self.message;
        ConsumedMessage {
            // SAFETY: librdkafka's key and payload pointers cover their lengths while the message
            // is alive.
            key: unsafe { bytes(m.key, m.key_len) },
            value: unsafe { bytes(m.payload, m.len) },
            headers: self.headers(),
            offset: m.offset,
            timestamp: self.timestamp(),
        }
    }

    fn timestamp(&self) -> Option<i64> {
        let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: the message is alive.
        let t = unsafe { rd::rd_kafka_message_timestamp(self.message, &mut kind) };
        (t != -1 && kind != rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
            .then_some(t)
    }

    fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        // SAFETY: a consumed message, alive.
        if unsafe { has_no_headers(self.message) } {
            return Vec::new();
        }
        let mut headers: *mut rd::rd_kafka_headers_t = ptr::null_mut();
        // SAFETY: the message is alive; its headers belong to it (not to be destroyed here).
        if unsafe { rd::rd_kafka_message_headers(self.message, &mut headers) } != NO_ERROR
            || headers.is_null()
        {
            return Vec::new();
        }
        // SAFETY: as above.
        let count = unsafe { rd::rd_kafka_header_cnt(headers) };
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let mut name: *const c_char = ptr::null();
            let mut value: *const c_void = ptr::null();
            let mut size = 0usize;
            // SAFETY: `i` < count; name, value and size are written by librdkafka.
            if unsafe { rd::rd_kafka_header_get_all(headers, i, &mut name, &mut value, &mut size) }
                != NO_ERROR
            {
                break;
            }
            // SAFETY: a header's name is a NUL-terminated string and its value covers `size`
            // bytes, both alive with the message.
            let name = unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned();
            out.push((name, unsafe { bytes(value, size) }));
        }
        out
    }
}

/// A copy of `len` bytes at `data`, or None for a null pointer (no key, a tombstone).
///
/// # Safety
/// `data` is null or points to `len` readable bytes.
unsafe fn bytes(data: *const c_void, len: usize) -> Option<Vec<u8>> {
    if data.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(data as *const u8, len).to_vec())
    }
}
