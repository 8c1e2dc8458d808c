//! `KafkaEngine::replay_dead_letters`: dead letters back to their topics, counted.

use crate::engine::consumer::dead_letter_replay::{
    read_dead_letters, replayed, ReplayOptions, ReplayReport,
};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::service::KafkaEngine;

impl KafkaEngine {
    /// Reads `options.topic` from `from_ms` to its current end and republishes each matching dead
    /// letter to its `x-original-topic` (or `to_topic`), without the retry ladder's headers.
    /// Resolves once every republished message was acknowledged or failed, with the counts.
    /// Nothing is removed from the dead-letter topic.
    pub async fn replay_dead_letters(&self, options: ReplayOptions) -> EngineResult<ReplayReport> {
        options.validate()?;
        let producer = self.producer()?;
        let config = self.config().clone();
        let reading = options.clone();
        let letters = tokio::task::spawn_blocking(move || read_dead_letters(&config, &reading))
            .await
            .map_err(|e| EngineError::InvalidArg(format!("replay reader stopped: {e}")))??;
        let mut report = ReplayReport {
            read: letters.len() as u64,
            ..Default::default()
        };
        let mut destinations = Vec::new();
        let mut messages = Vec::new();
        for (partition, m) in &letters {
            match options.destination(m) {
                Some(topic) => {
                    destinations.push(topic);
                    messages.push(replayed(&options.topic, *partition, m));
                }
                None => report.skipped += 1,
            }
        }
        let results = producer
            .send_batch(destinations.iter().map(String::as_str).zip(messages.iter()))
            .wait()
            .await;
        for r in results {
            match r {
                Ok(_) => report.replayed += 1,
                Err(_) => report.failed += 1,
            }
        }
        Ok(report)
    }
}
