//! A subscription's commit and poll-round reports, against librdkafka's mock cluster.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{
    BatchHandler, CommitReport, CommittedOffset, FetchReport, HandlerOutcome, HeartbeatReport,
    SubscribeOptions,
};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;
use crate::engine::tests::wait_until;

/// An engine whose members heartbeat every 200 ms, with statistics every 100 ms.
fn engine_for(cluster: &MockKafkaCluster) -> KafkaEngine {
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.statistics_interval_ms = 100;
    config
        .librdkafka
        .push(("heartbeat.interval.ms".into(), "200".into()));
    KafkaEngine::new(config, None).unwrap()
}

fn counting_handler(processed: Arc<AtomicUsize>) -> Arc<dyn BatchHandler> {
    Arc::new(move |batch: Arc<MessageBatch>| {
        let processed = processed.clone();
        async move {
            processed.fetch_add(batch.messages.len(), Ordering::SeqCst);
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    })
}

type Commits = Arc<Mutex<Vec<CommitReport>>>;

/// Options of a group consuming `reported` from the start, its commits recorded.
fn recorded(group: &str, commits: &Commits) -> SubscribeOptions {
    let mut options = SubscribeOptions::new(group, vec!["reported".into()]);
    options.from_beginning = true;
    options.session_timeout_ms = Some(6_000);
    let seen = commits.clone();
    options.reports.commits = Some(Arc::new(move |r| seen.lock().unwrap().push(r)));
    options
}

fn committed(commits: &Commits) -> Vec<CommittedOffset> {
    let commits = commits.lock().unwrap();
    commits.iter().flat_map(|r| r.offsets.clone()).collect()
}

/// The commit past the 10 messages of `reported`'s only partition.
fn is_ten(o: &CommittedOffset) -> bool {
    o.topic == "reported" && o.partition == 0 && o.offset == 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_and_poll_rounds_are_reported_to_who_asked() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("reported", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..10)
        .map(|i| OutgoingMessage::value(format!("{i}").into_bytes()))
        .collect();
    engine
        .send_batch(messages.iter().map(|m| ("reported", m)))
        .unwrap()
        .wait()
        .await;

    // librdkafka's auto-commit (its interval), the poll rounds that handed the messages on, and
    // the heartbeats.
    let commits: Commits = Arc::default();
    let rounds: Arc<Mutex<Vec<FetchReport>>> = Arc::default();
    let heartbeats: Arc<Mutex<Vec<HeartbeatReport>>> = Arc::default();
    let mut options = recorded("g-auto", &commits);
    let seen_rounds = rounds.clone();
    options.reports.fetches = Some(Arc::new(move |r| seen_rounds.lock().unwrap().extend(r)));
    let seen_heartbeats = heartbeats.clone();
    options.reports.heartbeats = Some(Arc::new(move |r| seen_heartbeats.lock().unwrap().push(r)));
    let processed = Arc::new(AtomicUsize::new(0));
    let sub = engine
        .subscribe(options, counting_handler(processed.clone()), None)
        .await
        .unwrap();
    wait_until("the auto-commit of the 10 messages", || {
        committed(&commits).iter().any(is_ten)
    })
    .await;
    let first = commits.lock().unwrap()[0].clone();
    assert_eq!(first.group_id, "g-auto");
    assert!(!first.member_id.is_empty(), "the member id is known");
    assert!(first.generation_id >= 1, "{first:?}");
    let rounds = rounds.lock().unwrap().clone();
    let handed_on: usize = rounds.iter().map(|r| r.batches).sum();
    assert!(handed_on >= 1, "{rounds:?}");
    // Messages came from the only broker, 1; a round with nothing (after 5 s of it) names none.
    assert!(
        rounds
            .iter()
            .all(|r| (r.batches > 0 && r.node_id == 1) || (r.batches == 0 && r.node_id == -1)),
        "{rounds:?}"
    );
    wait_until("3 heartbeats", || {
        heartbeats
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.count)
            .sum::<u64>()
            >= 3
    })
    .await;
    let last = heartbeats.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (
            last.group_id.as_str(),
            last.member_id.as_str(),
            last.generation_id
        ),
        ("g-auto", first.member_id.as_str(), first.generation_id)
    );
    sub.stop().await;

    // The engine's own commit, asked for: reported by the time it resolves.
    let commits: Commits = Arc::default();
    let mut options = recorded("g-manual", &commits);
    options.auto_commit = false;
    let processed = Arc::new(AtomicUsize::new(0));
    let sub = engine
        .subscribe(options, counting_handler(processed.clone()), None)
        .await
        .unwrap();
    wait_until("10 messages handled", || {
        processed.load(Ordering::SeqCst) >= 10
    })
    .await;
    assert!(commits.lock().unwrap().is_empty(), "no commit yet");
    sub.commit().await.unwrap();
    assert!(committed(&commits).iter().any(is_ten), "{commits:?}");
    let reports = commits.lock().unwrap().len();
    sub.commit().await.unwrap();
    assert_eq!(
        commits.lock().unwrap().len(),
        reports,
        "a commit with nothing new is not reported"
    );
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
