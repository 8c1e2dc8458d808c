//! librdkafka's statistics JSON (`statistics.interval.ms`), parsed once per document into what
//! the engine reports: brokers (state, RTT) and consumer lag for `stats()`, and the queue figures
//! that `metrics()` exposes (the client's message queue, each broker's request queues and error
//! counts, each partition's fetch queue).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::stats::BrokerSnapshot;

/// One broker's request queues and counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerQueues {
    pub id: i32,
    /// Requests waiting to be sent.
    pub outbuf: i64,
    /// Requests sent, waiting for a response.
    pub waitresp: i64,
    /// Transmission and reception errors since the client started.
    pub tx_errors: u64,
    pub rx_errors: u64,
    /// Connection attempts since the client started.
    pub connects: u64,
    pub disconnects: u64,
}

/// A client's queue figures as of its latest statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientQueues {
    /// Messages in the producer queue (not yet sent or not yet acknowledged).
    pub messages: i64,
    /// Their total size in bytes.
    pub bytes: i64,
    /// Operations (delivery reports, events) waiting to be served to the application.
    pub reply_queue: i64,
    pub brokers: Vec<BrokerQueues>,
    /// Messages fetched and not yet handed over, per partition being fetched.
    pub fetch_queues: Vec<((String, i32), i64)>,
}

/// What one statistics document says that the engine reports.
#[derive(Debug, Default, PartialEq)]
pub struct Statistics {
    /// Brokers known by id (bootstrap-only entries, node id -1, are left out).
    pub brokers: Vec<BrokerSnapshot>,
    /// Lag of partitions this client is fetching, where librdkafka knows it.
    pub lag: Vec<((String, i32), i64)>,
    pub queues: ClientQueues,
    /// Group heartbeat requests (classic `Heartbeat` and KIP-848 `ConsumerGroupHeartbeat`) the
    /// client has sent since it started, over all its broker connections.
    pub heartbeats_sent: u64,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    msg_cnt: i64,
    #[serde(default)]
    msg_size: i64,
    #[serde(default)]
    replyq: i64,
    #[serde(default)]
    brokers: BTreeMap<String, RawBroker>,
    #[serde(default)]
    topics: BTreeMap<String, RawTopic>,
}

#[derive(Deserialize)]
struct RawBroker {
    nodeid: i32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    rtt: Option<RawWindow>,
    #[serde(default)]
    outbuf_cnt: i64,
    #[serde(default)]
    waitresp_cnt: i64,
    #[serde(default)]
    txerrs: u64,
    #[serde(default)]
    rxerrs: u64,
    #[serde(default)]
    connects: u64,
    #[serde(default)]
    disconnects: u64,
    #[serde(default)]
    req: RawRequests,
}

/// The request counters the engine reads of a broker's `req` (requests fully sent, by type).
#[derive(Deserialize, Default)]
struct RawRequests {
    #[serde(rename = "Heartbeat", default)]
    heartbeat: u64,
    #[serde(rename = "ConsumerGroupHeartbeat", default)]
    consumer_group_heartbeat: u64,
}

#[derive(Deserialize)]
struct RawWindow {
    avg: i64,
    p99: i64,
}

#[derive(Deserialize)]
struct RawTopic {
    #[serde(default)]
    partitions: BTreeMap<String, RawPartition>,
}

#[derive(Deserialize)]
struct RawPartition {
    partition: i32,
    #[serde(default)]
    fetchq_cnt: i64,
    #[serde(default)]
    consumer_lag_stored: i64,
    #[serde(default)]
    fetch_state: String,
}

/// Parses a statistics document; `None` when it is not one.
pub fn parse_statistics(json: &[u8]) -> Option<Statistics> {
    let raw: Raw = serde_json::from_slice(json).ok()?;
    let mut lag = Vec::new();
    let mut fetch_queues = Vec::new();
    for (topic, t) in raw.topics {
        for p in t.partitions.into_values() {
            if p.partition < 0 || p.fetch_state != "active" {
                continue;
            }
            let key = (topic.clone(), p.partition);
            if p.consumer_lag_stored >= 0 {
                lag.push((key.clone(), p.consumer_lag_stored));
            }
            fetch_queues.push((key, p.fetchq_cnt.max(0)));
        }
    }
    // Logical brokers (the group coordinator's connection, node id -1) send the heartbeats.
    let heartbeats_sent = raw
        .brokers
        .values()
        .map(|b| b.req.heartbeat + b.req.consumer_group_heartbeat)
        .sum();
    let mut brokers = Vec::new();
    let mut broker_queues = Vec::new();
    for b in raw.brokers.into_values().filter(|b| b.nodeid >= 0) {
        broker_queues.push(BrokerQueues {
            id: b.nodeid,
            outbuf: b.outbuf_cnt,
            waitresp: b.waitresp_cnt,
            tx_errors: b.txerrs,
            rx_errors: b.rxerrs,
            connects: b.connects,
            disconnects: b.disconnects,
        });
        brokers.push(BrokerSnapshot {
            id: b.nodeid,
            rtt_avg_ms: b.rtt.as_ref().map_or(0.0, |r| r.avg as f64 / 1000.0),
            rtt_p99_ms: b.rtt.as_ref().map_or(0.0, |r| r.p99 as f64 / 1000.0),
            name: b.name,
            state: b.state,
        });
    }
    Some(Statistics {
        brokers,
        lag,
        queues: ClientQueues {
            messages: raw.msg_cnt,
            bytes: raw.msg_size,
            reply_queue: raw.replyq,
            brokers: broker_queues,
            fetch_queues,
        },
        heartbeats_sent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parse_gives_brokers_lag_and_queues() {
        let json = br#"{"msg_cnt":3,"msg_size":300,"replyq":1,"brokers":{
              "127.0.0.1:9092/bootstrap":{"name":"127.0.0.1:9092/bootstrap","nodeid":-1,"state":"UP"},
              "127.0.0.1:9092/1":{"name":"127.0.0.1:9092/1","nodeid":1,"state":"UP","rtt":{"avg":1500,"p99":4000},
                                  "outbuf_cnt":2,"waitresp_cnt":1,"txerrs":4,"connects":1}},
            "topics":{"t":{"partitions":{
              "0":{"partition":0,"consumer_lag_stored":7,"fetchq_cnt":12,"fetch_state":"active"},
              "1":{"partition":1,"consumer_lag_stored":-1,"fetchq_cnt":3,"fetch_state":"active"},
              "2":{"partition":2,"consumer_lag_stored":4,"fetchq_cnt":5,"fetch_state":"none"},
              "-1":{"partition":-1,"consumer_lag_stored":-1,"fetch_state":"none"}}}}}"#;
        let s = parse_statistics(json).unwrap();
        assert_eq!(s.brokers.len(), 1);
        assert_eq!((s.brokers[0].id, s.brokers[0].state.as_str()), (1, "UP"));
        assert_eq!(
            (s.brokers[0].rtt_avg_ms, s.brokers[0].rtt_p99_ms),
            (1.5, 4.0)
        );
        assert_eq!(s.lag, vec![(("t".to_string(), 0), 7)]);
        let q = &s.queues;
        assert_eq!((q.messages, q.bytes, q.reply_queue), (3, 300, 1));
        assert_eq!(q.brokers.len(), 1);
        assert_eq!((q.brokers[0].outbuf, q.brokers[0].tx_errors), (2, 4));
        assert_eq!(
            q.fetch_queues,
            vec![(("t".to_string(), 0), 12), (("t".to_string(), 1), 3)]
        );
    }

    #[test]
    fn heartbeats_sent_are_summed_over_every_connection() {
        let json = br#"{"brokers":{
              "GroupCoordinator":{"nodeid":-1,"req":{"Heartbeat":3,"Fetch":0}},
              "127.0.0.1:9092/1":{"nodeid":1,"req":{"Heartbeat":1,"ConsumerGroupHeartbeat":2,"Fetch":9}},
              "127.0.0.1:9092/2":{"nodeid":2}}}"#;
        assert_eq!(parse_statistics(json).unwrap().heartbeats_sent, 6);
    }

    #[test]
    fn a_broker_without_name_or_rtt_still_parses() {
        let s = parse_statistics(br#"{"brokers":{"b/2":{"nodeid":2}}}"#).unwrap();
        assert_eq!(s.brokers[0].id, 2);
        assert_eq!(s.brokers[0].rtt_avg_ms, 0.0);
        assert_eq!(s.queues.brokers[0].id, 2);
    }

    #[test]
    fn what_is_not_a_statistics_document_is_none() {
        assert!(parse_statistics(b"not json").is_none());
        assert!(parse_statistics(b"{").is_none());
    }
}
