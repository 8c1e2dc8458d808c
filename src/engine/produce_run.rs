//! A run of a batch's plain messages queued in one librdkafka call (`rd_kafka_produce_batch`):
//! one topic, no headers, no timestamp and no partition of their own. `rd_kafka_producev` takes
//! each message with a variadic argument list, the topic's lock, a reference on the topic and two
//! clock reads; for a run these are taken once. Profiled on a `publishBatch` loop (callgrind,
//! 2026-12-04), `producev` and the locks and clocks around it were ~0.6 of the JS thread's 3,500
//! instructions per message.

use rdkafka::bindings as rd;
use rdkafka::util::IntoOpaque;

use crate::engine::error::EngineError;
use crate::engine::topic_handle::{bytes, refusal, TopicHandle, PARTITION_UNASSIGNED};

/// One message of a run: librdkafka chooses its partition from its key and stamps it with the
/// time of queuing.
pub struct RunMessage<'a, O> {
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// Handed back with the message's delivery report.
    pub opaque: O,
}

/// Queues `messages` for the topic of `topic` in one call, copied (`RD_KAFKA_MSG_F_COPY`) before
/// it returns. Returns the messages librdkafka refused (a full queue, a message too large), by
/// position in the run, with their error; their opaques are dropped here, the others' come back
/// with their delivery reports.
///
/// # Safety
/// `topic` was made from a live client whose delivery reports take `O` back with
/// `IntoOpaque::from_ptr` (rust-rdkafka's producer context with `DeliveryOpaque = O`).
pub unsafe fn produce_run<'a, O: IntoOpaque>(
    topic: &TopicHandle,
    messages: impl ExactSizeIterator<Item = RunMessage<'a, O>>,
) -> Vec<(usize, EngineError)> {
    let mut run: Vec<rd::rd_kafka_message_t> = messages
        .map(|m| {
            let (payload, len) = bytes(m.value);
            let (key, key_len) = bytes(m.key);
            rd::rd_kafka_message_t {
                err: rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
                rkt: std::ptr::null_mut(),
                partition: PARTITION_UNASSIGNED,
                payload,
                len,
                key,
                key_len,
                offset: 0,
                _private: m.opaque.into_ptr(),
            }
        })
        .collect();
    // SAFETY: the topic handle is alive; every key and value pointer covers its length for the
    // call (librdkafka copies them); librdkafka takes each accepted message's opaque.
    let queued = unsafe {
        rd::rd_kafka_produce_batch(
            topic.as_ptr(),
            PARTITION_UNASSIGNED,
            rd::RD_KAFKA_MSG_F_COPY,
            run.as_mut_ptr(),
            run.len() as i32,
        )
    };
    if queued as usize == run.len() {
        return Vec::new();
    }
    run.iter()
        .enumerate()
        .filter(|(_, m)| m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
        .map(|(i, m)| {
            // SAFETY: librdkafka refused the message and kept its opaque.
            drop(unsafe { O::from_ptr(m._private) });
            (i, refusal(m.err))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::engine::config::ServiceConfig;
    use crate::engine::message::OutgoingMessage;
    use crate::engine::mock_cluster::MockKafkaCluster;
    use crate::engine::service::KafkaEngine;
    use crate::engine::tests::{connected_engine, send_all};

    fn codes(
        results: &[crate::engine::error::EngineResult<crate::engine::message::DeliveryReport>],
    ) -> Vec<String> {
        results
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok".into()))
            .collect()
    }

    /// A plain message librdkafka refuses within a run (over `message.max.bytes`) fails alone and
    /// is not counted; the run's other messages, and a message with a header between runs, are
    /// delivered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_refused_within_a_run_fails_alone() {
        let (_cluster, engine) = connected_engine(1, "runs", 2).await;
        let plain = |v: &str| OutgoingMessage::value(v.as_bytes().to_vec()).with_key(b"k".to_vec());
        let huge = OutgoingMessage::value(vec![0u8; 2_000_000]);
        let headed = plain("h").with_header("h", b"v".to_vec());
        let batch = [
            plain("a"),
            huge.clone(),
            plain("b"),
            headed,
            plain("c"),
            huge,
            plain("d"),
        ];
        let results = send_all(&engine, "runs", &batch).await;
        assert_eq!(
            codes(&results),
            [
                "ok",
                "ERR_MSG_SIZE_TOO_LARGE",
                "ok",
                "ok",
                "ok",
                "ERR_MSG_SIZE_TOO_LARGE",
                "ok"
            ]
        );
        // One key, one partition: the delivered messages in the batch's order.
        let offsets: Vec<i64> = results.iter().flatten().map(|r| r.offset).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
        let stats = engine.stats().producer;
        assert_eq!((stats.sent, stats.acknowledged, stats.failed), (5, 5, 0));
        engine.disconnect(Duration::from_secs(5)).await.unwrap();
    }

    /// A run that meets a full librdkafka queue (10 messages here) is queued again as room comes:
    /// every message is delivered, one partition's in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_meets_a_full_queue_is_delivered_whole_and_in_order() {
        let cluster = MockKafkaCluster::start(1).unwrap();
        cluster.create_topic("full", 1, 1).unwrap();
        let mut config =
            ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
        config
            .librdkafka
            .push(("queue.buffering.max.messages".into(), "10".into()));
        let engine = KafkaEngine::new(config, None).unwrap();
        engine.connect().await.unwrap();
        let batch: Vec<OutgoingMessage<Vec<u8>>> = (0..200)
            .map(|i| OutgoingMessage::value(format!("{i}").into_bytes()))
            .collect();
        let results = send_all(&engine, "full", &batch).await;
        assert!(results.iter().all(Result::is_ok), "{:?}", codes(&results));
        let offsets: Vec<i64> = results.iter().flatten().map(|r| r.offset).collect();
        assert_eq!(offsets, (0..200).collect::<Vec<i64>>());
        let stats = engine.stats().producer;
        assert_eq!((stats.sent, stats.acknowledged), (200, 200));
        engine.disconnect(Duration::from_secs(5)).await.unwrap();
    }
}
