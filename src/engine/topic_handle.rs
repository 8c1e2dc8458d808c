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

    /// The librdkafka handle, alive as long as this.
    pub fn as_ptr(&self) -> *mut rd::rd_kafka_topic_t {
        self.0.as_ptr()
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
pub(crate) const PARTITION_UNASSIGNED: i32 = -1;

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
    Err(refusal(err))
}

/// The error of a message librdkafka refused to queue with `err`.
pub(crate) fn refusal(err: rd::rd_kafka_resp_err_t) -> EngineError {
    EngineError::from(KafkaError::MessageProduction(RDKafkaErrorCode::from(err)))
}

/// A pointer and length for librdkafka (null for none).
pub(crate) fn bytes(b: Option<&[u8]>) -> (*mut c_void, usize) {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::engine::message::OutgoingMessage;
    use crate::engine::tests::connected_engine;

    /// Messages librdkafka refuses as they are queued (a partition the topic does not have, a value
    /// over `message.max.bytes`), with headers and without, fail in their own slots with
    /// librdkafka's code; the rest of the batch is delivered, and the refused ones are not counted
    /// as sent.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_refused_when_queued_fail_alone_and_are_not_counted() {
        let (_cluster, engine) = connected_engine(1, "refusals", 2).await;
        let fine = OutgoingMessage::value(b"fine".to_vec()).with_header("h", b"v".to_vec());
        // The topic's partitions known first, so a missing one is refused when queued.
        engine.publish("refusals", &fine).await.unwrap();

        let mut missing = OutgoingMessage::value(b"x".to_vec()).with_header("h", b"v".to_vec());
        missing.partition = Some(7);
        let mut bare_missing = OutgoingMessage::value(b"x".to_vec());
        bare_missing.partition = Some(7);
        let huge = OutgoingMessage::value(vec![0u8; 2_000_000]).with_header("h", b"v".to_vec());
        let batch = [fine.clone(), missing, huge, bare_missing, fine];
        let results = engine
            .send_batch(batch.iter().map(|m| ("refusals", m)))
            .unwrap()
            .wait()
            .await;
        let codes: Vec<String> = results
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok".into()))
            .collect();
        assert_eq!(
            codes,
            [
                "ok",
                "ERR__UNKNOWN_PARTITION",
                "ERR_MSG_SIZE_TOO_LARGE",
                "ERR__UNKNOWN_PARTITION",
                "ok"
            ]
        );
        let stats = engine.stats().producer;
        assert_eq!((stats.sent, stats.acknowledged, stats.failed), (3, 3, 0));
        assert_eq!(stats.per_topic["refusals"].sent, 3);
        engine.disconnect(Duration::from_secs(5)).await.unwrap();
    }
}
