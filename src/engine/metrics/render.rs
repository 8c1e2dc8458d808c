//! `metrics()`: the service's figures in the Prometheus text format. Names carry the
//! `kafka_native_` prefix and their unit (`_seconds`, `_bytes`, `_messages`); counters end in
//! `_total`; labels are bounded (topic, partition, broker id, error code, kind), never per key.

use crate::engine::metrics::exposition::{Exposition, Family};
use crate::engine::service::{ConnectionState, StatsSnapshot};

macro_rules! families {
    ($($id:ident = $name:literal, $kind:literal, $help:literal;)*) => {
        $(const $id: Family = Family { name: $name, kind: $kind, help: $help };)*
        /// Every family `metrics()` writes, in order.
        pub const FAMILIES: &[Family] = &[$($id),*];
    };
}

families! {
    CONNECTED = "kafka_native_connected", "gauge", "1 while the service is connected, 0 before connect() and after disconnect().";
    SUBSCRIPTIONS = "kafka_native_subscriptions", "gauge", "Running subscriptions.";
    SENT = "kafka_native_messages_sent_total", "counter", "Messages handed to the producer, per topic.";
    SENT_BYTES = "kafka_native_sent_bytes_total", "counter", "Key and value bytes handed to the producer, per topic.";
    ACKNOWLEDGED = "kafka_native_messages_acknowledged_total", "counter", "Messages the broker acknowledged, per topic.";
    PUBLISH_ERRORS = "kafka_native_publish_errors_total", "counter", "Publishes that failed, per topic and error code.";
    ACK_DURATION = "kafka_native_publish_ack_duration_seconds", "histogram", "Time from publish to the broker's acknowledgement, per topic.";
    IN_FLIGHT = "kafka_native_producer_in_flight_messages", "gauge", "Messages published whose outcome is not known yet.";
    PRODUCER_QUEUE = "kafka_native_producer_queue_messages", "gauge", "Messages in librdkafka's producer queue (statistics).";
    PRODUCER_QUEUE_BYTES = "kafka_native_producer_queue_bytes", "gauge", "Bytes in librdkafka's producer queue (statistics).";
    REPLY_QUEUE = "kafka_native_producer_reply_queue_events", "gauge", "Delivery reports and events waiting to be served (statistics).";
    CONSUMED = "kafka_native_messages_consumed_total", "counter", "Messages fetched and handed to handlers.";
    PROCESSED = "kafka_native_messages_processed_total", "counter", "Messages whose handler finished, per topic.";
    HANDLER_FAILURES = "kafka_native_handler_failures_total", "counter", "Handler calls that failed (threw, rejected or timed out), per topic.";
    HANDLER_TIMEOUTS = "kafka_native_handler_timeouts_total", "counter", "Handler calls abandoned after handlerTimeoutMs.";
    HANDLER_DURATION = "kafka_native_handler_duration_seconds", "histogram", "Duration of a handler call (one eachBatch call or one batch of eachMessage calls), per topic.";
    END_TO_END = "kafka_native_end_to_end_duration_seconds", "histogram", "Time from a message's timestamp to the end of its handler call, per topic.";
    LAG = "kafka_native_consumer_lag_messages", "gauge", "Messages between the committed offset and the end of an assigned partition.";
    FETCH_QUEUE = "kafka_native_consumer_fetch_queue_messages", "gauge", "Messages fetched by librdkafka and not yet handed over, per assigned partition.";
    REBALANCES = "kafka_native_rebalances_total", "counter", "Rebalance callbacks, by kind (assign, revoke, error).";
    BROKER_UP = "kafka_native_broker_up", "gauge", "1 when the producer's connection to the broker is UP.";
    BROKER_STATE = "kafka_native_broker_state", "gauge", "1 for the broker connection's current librdkafka state.";
    BROKER_RTT_AVG = "kafka_native_broker_rtt_avg_seconds", "gauge", "Average request round-trip time over the last statistics window.";
    BROKER_RTT_P99 = "kafka_native_broker_rtt_p99_seconds", "gauge", "99th percentile request round-trip time over the last statistics window.";
    BROKER_OUTBUF = "kafka_native_broker_outbuf_requests", "gauge", "Requests waiting to be sent to the broker.";
    BROKER_WAITRESP = "kafka_native_broker_waitresp_requests", "gauge", "Requests sent to the broker and waiting for a response.";
    BROKER_ERRORS = "kafka_native_broker_errors_total", "counter", "Transmission (tx) and reception (rx) errors with the broker.";
    BROKER_CONNECTS = "kafka_native_broker_connects_total", "counter", "Connection attempts to the broker.";
}

/// Renders a snapshot in the Prometheus text exposition format.
pub fn render(s: &StatsSnapshot) -> String {
    let mut e = Exposition::default();
    let p = &s.producer;
    let pf = &s.producer_figures;
    let cf = &s.consumer_figures;

    e.family(&CONNECTED);
    e.sample(
        CONNECTED.name,
        &[],
        (s.state == ConnectionState::Connected) as u8 as f64,
    );
    e.family(&SUBSCRIPTIONS);
    e.sample(SUBSCRIPTIONS.name, &[], s.subscriptions as f64);

    e.family(&SENT);
    for (t, c) in &p.per_topic {
        e.sample(SENT.name, &[("topic", t)], c.sent as f64);
    }
    e.family(&SENT_BYTES);
    for (t, c) in &p.per_topic {
        e.sample(SENT_BYTES.name, &[("topic", t)], c.bytes as f64);
    }
    e.family(&ACKNOWLEDGED);
    for (t, f) in &pf.topics {
        e.sample(ACKNOWLEDGED.name, &[("topic", t)], f.acknowledged as f64);
    }
    e.family(&PUBLISH_ERRORS);
    for (t, f) in &pf.topics {
        for (code, n) in &f.errors {
            e.sample(
                PUBLISH_ERRORS.name,
                &[("topic", t), ("code", code)],
                *n as f64,
            );
        }
    }
    e.family(&ACK_DURATION);
    for (t, f) in &pf.topics {
        e.histogram(ACK_DURATION.name, &[("topic", t)], &f.ack_latency);
    }
    e.family(&IN_FLIGHT);
    e.sample(IN_FLIGHT.name, &[], p.in_flight as f64);
    let q = s.producer_queues.clone().unwrap_or_default();
    e.family(&PRODUCER_QUEUE);
    e.sample(PRODUCER_QUEUE.name, &[], q.messages as f64);
    e.family(&PRODUCER_QUEUE_BYTES);
    e.sample(PRODUCER_QUEUE_BYTES.name, &[], q.bytes as f64);
    e.family(&REPLY_QUEUE);
    e.sample(REPLY_QUEUE.name, &[], q.reply_queue as f64);

    let c = &s.consumer;
    e.family(&CONSUMED);
    e.sample(CONSUMED.name, &[], c.consumed as f64);
    e.family(&PROCESSED);
    for (t, f) in &cf.topics {
        e.sample(PROCESSED.name, &[("topic", t)], f.processed as f64);
    }
    e.family(&HANDLER_FAILURES);
    for (t, f) in &cf.topics {
        e.sample(
            HANDLER_FAILURES.name,
            &[("topic", t)],
            f.handler_failures as f64,
        );
    }
    e.family(&HANDLER_TIMEOUTS);
    e.sample(HANDLER_TIMEOUTS.name, &[], c.handler_timeouts as f64);
    e.family(&HANDLER_DURATION);
    for (t, f) in &cf.topics {
        e.histogram(HANDLER_DURATION.name, &[("topic", t)], &f.handler_latency);
    }
    e.family(&END_TO_END);
    for (t, f) in &cf.topics {
        e.histogram(END_TO_END.name, &[("topic", t)], &f.end_to_end_latency);
    }
    e.family(&LAG);
    for l in &c.lag {
        let partition = l.partition.to_string();
        e.sample(
            LAG.name,
            &[("topic", &l.topic), ("partition", &partition)],
            l.lag as f64,
        );
    }
    e.family(&FETCH_QUEUE);
    for ((topic, partition), n) in &cf.fetch_queues {
        let partition = partition.to_string();
        e.sample(
            FETCH_QUEUE.name,
            &[("topic", topic), ("partition", &partition)],
            *n as f64,
        );
    }
    e.family(&REBALANCES);
    for (kind, n) in &cf.rebalances {
        e.sample(REBALANCES.name, &[("kind", kind)], *n as f64);
    }

    let ids: Vec<String> = s.brokers.iter().map(|b| b.id.to_string()).collect();
    e.family(&BROKER_UP);
    for (b, id) in s.brokers.iter().zip(&ids) {
        e.sample(
            BROKER_UP.name,
            &[("broker", id)],
            (b.state == "UP") as u8 as f64,
        );
    }
    e.family(&BROKER_STATE);
    for (b, id) in s.brokers.iter().zip(&ids) {
        e.sample(
            BROKER_STATE.name,
            &[("broker", id), ("state", &b.state)],
            1.0,
        );
    }
    e.family(&BROKER_RTT_AVG);
    for (b, id) in s.brokers.iter().zip(&ids) {
        e.sample(
            BROKER_RTT_AVG.name,
            &[("broker", id)],
            b.rtt_avg_ms / 1000.0,
        );
    }
    e.family(&BROKER_RTT_P99);
    for (b, id) in s.brokers.iter().zip(&ids) {
        e.sample(
            BROKER_RTT_P99.name,
            &[("broker", id)],
            b.rtt_p99_ms / 1000.0,
        );
    }
    let queue_ids: Vec<String> = q.brokers.iter().map(|b| b.id.to_string()).collect();
    e.family(&BROKER_OUTBUF);
    for (b, id) in q.brokers.iter().zip(&queue_ids) {
        e.sample(BROKER_OUTBUF.name, &[("broker", id)], b.outbuf as f64);
    }
    e.family(&BROKER_WAITRESP);
    for (b, id) in q.brokers.iter().zip(&queue_ids) {
        e.sample(BROKER_WAITRESP.name, &[("broker", id)], b.waitresp as f64);
    }
    e.family(&BROKER_ERRORS);
    for (b, id) in q.brokers.iter().zip(&queue_ids) {
        e.sample(
            BROKER_ERRORS.name,
            &[("broker", id), ("direction", "tx")],
            b.tx_errors as f64,
        );
        e.sample(
            BROKER_ERRORS.name,
            &[("broker", id), ("direction", "rx")],
            b.rx_errors as f64,
        );
    }
    e.family(&BROKER_CONNECTS);
    for (b, id) in q.brokers.iter().zip(&queue_ids) {
        e.sample(BROKER_CONNECTS.name, &[("broker", id)], b.connects as f64);
    }
    e.finish()
}
