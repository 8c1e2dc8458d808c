//! Headers come out of a subscription as they went in, whether a message has none (told without
//! librdkafka's parse, `header_presence`), one, several with the same name, an empty value or
//! no value, in one run of messages taken per librdkafka call, tombstones among them.

use std::sync::{Arc, Mutex};

use futures::FutureExt;

use crate::engine::consumer::handler::HandlerOutcome;
use crate::engine::consumer::options::SubscribeOptions;
use crate::engine::message::{ConsumedMessage, MessageBatch, OutgoingMessage};
use crate::engine::tests::{connected_engine, publish_all, wait_until};

type Headers = Vec<(String, Option<Vec<u8>>)>;

/// Message `i`'s headers: every fourth has none, the others one of several shapes.
fn headers_of(i: usize) -> Headers {
    let h = |name: &str, value: Option<&[u8]>| (name.to_string(), value.map(<[u8]>::to_vec));
    match i % 8 {
        0 | 4 => Vec::new(),
        1 => vec![h("trace", Some(format!("t-{i}").as_bytes()))],
        2 => vec![h("a", Some(b"1")), h("a", Some(b"2")), h("b", Some(b"3"))],
        3 => vec![h("empty", Some(b""))],
        5 => vec![h("absent", None)],
        6 => vec![h("\u{e9}t\u{e9}", Some(&[0, 255, 0]))],
        _ => vec![h("x", Some(&[0]))],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumed_headers_come_out_as_sent_beside_messages_without_any() {
    let (_cluster, engine) = connected_engine(1, "headers", 1).await;
    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..200)
        .map(|i| OutgoingMessage {
            key: Some(format!("k{i}").into_bytes()),
            // Tombstones too: a message without a value and without headers.
            value: (i % 10 != 9).then(|| vec![i as u8; i % 7]),
            headers: headers_of(i),
            partition: Some(0),
            timestamp: None,
        })
        .collect();
    publish_all(&engine, "headers", &messages).await;

    let seen: Arc<Mutex<Vec<ConsumedMessage>>> = Arc::default();
    let recorded = seen.clone();
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        let recorded = recorded.clone();
        async move {
            recorded
                .lock()
                .unwrap()
                .extend(batch.messages.iter().cloned());
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    });
    let mut options = SubscribeOptions::new("g-headers", vec!["headers".into()]);
    options.from_beginning = true;
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    wait_until("every message", || {
        seen.lock().unwrap().len() >= messages.len()
    })
    .await;
    sub.stop().await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), messages.len());
    for (i, m) in seen.iter().enumerate() {
        assert_eq!(m.offset, i as i64);
        assert_eq!(m.headers, headers_of(i), "message {i}");
        assert_eq!(m.value, messages[i].value, "message {i}");
    }
    engine
        .disconnect(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}
