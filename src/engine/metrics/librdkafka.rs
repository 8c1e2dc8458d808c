//! Queue figures from librdkafka's statistics JSON that `metrics()` exposes: the client's
//! message queue, each broker's request queues and error counts, each partition's fetch queue.

use std::collections::BTreeMap;

use serde::Deserialize;

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
    fetch_state: String,
}

/// Parses the queue figures out of a statistics document; `None` when it is not one.
pub fn parse_queues(json: &[u8]) -> Option<ClientQueues> {
    let raw: Raw = serde_json::from_slice(json).ok()?;
    let mut fetch_queues = Vec::new();
    for (topic, t) in raw.topics {
        for p in t.partitions.into_values() {
            if p.partition >= 0 && p.fetch_state == "active" {
                fetch_queues.push(((topic.clone(), p.partition), p.fetchq_cnt.max(0)));
            }
        }
    }
    Some(ClientQueues {
        messages: raw.msg_cnt,
        bytes: raw.msg_size,
        reply_queue: raw.replyq,
        brokers: raw
            .brokers
            .into_values()
            .filter(|b| b.nodeid >= 0)
            .map(|b| BrokerQueues {
                id: b.nodeid,
                outbuf: b.outbuf_cnt,
                waitresp: b.waitresp_cnt,
                tx_errors: b.txerrs,
                rx_errors: b.rxerrs,
                connects: b.connects,
                disconnects: b.disconnects,
            })
            .collect(),
        fetch_queues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_queues_of_client_brokers_and_partitions() {
        let json = br#"{"msg_cnt":3,"msg_size":300,"replyq":1,
            "brokers":{"b/-1":{"nodeid":-1},"b/1":{"nodeid":1,"outbuf_cnt":2,"waitresp_cnt":1,"txerrs":4,"connects":1}},
            "topics":{"t":{"partitions":{"0":{"partition":0,"fetchq_cnt":12,"fetch_state":"active"},
                                          "1":{"partition":1,"fetchq_cnt":5,"fetch_state":"none"}}}}}"#;
        let q = parse_queues(json).unwrap();
        assert_eq!((q.messages, q.bytes, q.reply_queue), (3, 300, 1));
        assert_eq!(q.brokers.len(), 1);
        assert_eq!((q.brokers[0].outbuf, q.brokers[0].tx_errors), (2, 4));
        assert_eq!(q.fetch_queues, vec![(("t".to_string(), 0), 12)]);
        assert!(parse_queues(b"{").is_none());
    }
}
