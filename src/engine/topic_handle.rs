//! Queuing a message into librdkafka through a topic handle the producer keeps. rust-rdkafka's
//! `BaseProducer::send` names the topic: it copies the name into a C string, and librdkafka looks
//! the topic up under its client lock, for every message. Here the handle is made once per topic
//! and each message is queued with it (`rd_kafka_producev` with `RD_KAFKA_VTYPE_RKT`).

use std::ffi::{c_void, CString};
use std::ptr::NonNull;

use rdkafka::bindings as rd;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::IntoOpaque;

use crate::engine::error::{EngineError, EngineResult};

/// A librdkafka topic handle (`rd_kafka_topic_t`). It must be dropped before the client it was
/// made from.
pub struct TopicHandle(NonNull<rd::rd_kafka_topic_t>);

// SAFETY: librdkafka's topic handles may be used and destroyed from any thread.
unsafe impl Send for TopicHandle {}
unsafe impl Sync for TopicHandle {}

impl TopicHandle {
    /// The handle of `name` (a valid topic name, see `validate_topic`) on the client `rk`, with
    /// the client's default topic configuration.
    ///
    /// # Safety
    /// `rk` must be a live client that outlives the handle.
    pub unsafe fn new(rk: *mut rd::rd_kafka_t, name: &str) -> EngineResult<Self> {
        let name = CString::new(name)
            .map_err(|_| EngineError::InvalidArg("a topic name contains a NUL character".into()))?;
        let handle = unsafe { rd::rd_kafka_topic_new(rk, name.as_ptr(), std::ptr::null_mut()) };
        NonNull::new(handle)
            .map(TopicHandle)
            .ok_or_else(|| EngineError::from_code(unsafe { rd::rd_kafka_last_error() }.into()))
    }
}

impl Drop for TopicHandle {
    fn drop(&mut self) {
        // SAFETY: made by `rd_kafka_topic_new`, destroyed once; queued messages hold their own
        // references to the topic.
        unsafe { rd::rd_kafka_topic_destroy(self.0.as_ptr()) };
    }
}

/// librdkafka's `RD_KAFKA_PARTITION_UA`: the partitioner chooses.
const PARTITION_UNASSIGNED: i32 = -1;

/// One message as librdkafka takes it: copied (`RD_KAFKA_MSG_F_COPY`) before `produce` returns.
pub struct Produce<'a, H> {
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// Milliseconds since the epoch; `None` for the time of queuing.
    pub timestamp: Option<i64>,
    /// Header names and values (`None`: a header without a value).
    pub headers: &'a [(String, Option<H>)],
}

/// Queues `message` on `rk` for the topic of `topic`, with `opaque` for its delivery report
/// (dropped here when librdkafka refuses the message: a full queue, an unknown partition, a
/// message too large).
///
/// # Safety
/// `rk` must be the live client `topic` was made from, whose delivery reports take `O` back
/// with `IntoOpaque::from_ptr` (rust-rdkafka's producer context with `DeliveryOpaque = O`).
pub unsafe fn produce<O: IntoOpaque, H: AsRef<[u8]>>(
    rk: *mut rd::rd_kafka_t,
    topic: &TopicHandle,
    message: &Produce<'_, H>,
    opaque: O,
) -> EngineResult<()> {
    let headers = headers(message.headers)?;
    let (value, value_len) = bytes(message.value);
    let (key, key_len) = bytes(message.key);
    let opaque = opaque.into_ptr();
    // SAFETY: every pointer is valid for the call; librdkafka copies the key and value
    // (MSG_F_COPY), takes the headers on success and the opaque until the delivery report.
    let err = unsafe {
        rd::rd_kafka_producev(
            rk,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_RKT,
            topic.0.as_ptr(),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION,
            message.partition.unwrap_or(PARTITION_UNASSIGNED),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS,
            rd::RD_KAFKA_MSG_F_COPY,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE,
            value,
            value_len,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_KEY,
            key,
            key_len,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_OPAQUE,
            opaque,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_TIMESTAMP,
            message.timestamp.unwrap_or(0),
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADERS,
            headers,
            rd::rd_kafka_vtype_t::RD_KAFKA_VTYPE_END,
        )
    };
    if err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: librdkafka refused the message and kept neither the opaque nor the headers.
    drop(unsafe { O::from_ptr(opaque) });
    if !headers.is_null() {
        unsafe { rd::rd_kafka_headers_destroy(headers) };
    }
    Err(EngineError::from(KafkaError::MessageProduction(
        RDKafkaErrorCode::from(err),
    )))
}

/// A pointer and length for librdkafka (null for none).
fn bytes(b: Option<&[u8]>) -> (*mut c_void, usize) {
    b.map_or((std::ptr::null_mut(), 0), |b| {
        (b.as_ptr() as *mut c_void, b.len())
    })
}

/// The headers as librdkafka takes them; null for none.
fn headers<H: AsRef<[u8]>>(
    headers: &[(String, Option<H>)],
) -> EngineResult<*mut rd::rd_kafka_headers_t> {
    if headers.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    // SAFETY: a new list, filled below and destroyed unless librdkafka takes it.
    let list = unsafe { rd::rd_kafka_headers_new(headers.len()) };
    for (name, value) in headers {
        let (v, v_len) = value.as_ref().map_or((std::ptr::null(), 0), |v| {
            let v = v.as_ref();
            (v.as_ptr() as *const c_void, v.len() as isize)
        });
        // SAFETY: librdkafka copies the name and value.
        let err = unsafe {
            rd::rd_kafka_header_add(list, name.as_ptr().cast(), name.len() as isize, v, v_len)
        };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            unsafe { rd::rd_kafka_headers_destroy(list) };
            return Err(EngineError::from_code(err.into()));
        }
    }
    Ok(list)
}
