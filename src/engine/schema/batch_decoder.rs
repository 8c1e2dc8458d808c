//! Decoding a subscription's batches through a registry, ahead of its handler. A partition's
//! worker hands its next batch to the handler only after the current one is done; decoding a
//! batch only when its turn comes would leave the handler idle while the engine decodes, and the
//! engine idle while the handler runs. So while a batch is handled, the messages that most likely
//! make the partition's next batch (a copy of the front of its buffer) are decoded on the runtime,
//! and the next batch takes those results for the messages they match.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::engine::error::EngineResult;
use crate::engine::message::{ConsumedMessage, MessageBatch};
use crate::engine::schema::codec::{CompiledSchema, Decoded, SchemaCodec};

/// The decoded values of a batch's messages, in order (`None` for a tombstone).
pub type DecodedValues = Vec<Option<EngineResult<Decoded>>>;

/// Decodes decoded ahead per partition at most: the batch being handled and the next one.
const AHEAD_PER_PARTITION: usize = 2;

/// A decode started ahead: the offsets of its messages and the task decoding them. Dropping it
/// abandons the task.
struct Ahead {
    offsets: Vec<i64>,
    task: JoinHandle<DecodedValues>,
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Decodes a subscription's values with one codec, resolving Avro values to a reader schema when
/// given, with each partition's next batch decoded ahead.
pub struct BatchDecoder {
    codec: Arc<SchemaCodec>,
    reader: Option<Arc<CompiledSchema>>,
    ahead: Mutex<HashMap<(String, i32), VecDeque<Ahead>>>,
}

impl std::fmt::Debug for BatchDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchDecoder").finish_non_exhaustive()
    }
}

impl BatchDecoder {
    /// A decoder over `codec`, resolving Avro values to `reader` when given.
    pub fn new(codec: Arc<SchemaCodec>, reader: Option<Arc<CompiledSchema>>) -> Self {
        BatchDecoder {
            codec,
            reader,
            ahead: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i32), VecDeque<Ahead>>> {
        self.ahead.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts decoding `next` (the likely next batch of `partition`) on the current tokio runtime,
    /// unless it is already under way; `None` forgets what the partition had decoded ahead (its
    /// worker ended). Keeps at most two decodes per partition, so what is decoded ahead stays
    /// within two batches of the partition's buffer. Outside a runtime, does nothing.
    pub fn look_ahead(&self, partition: (&str, i32), next: Option<MessageBatch>) {
        let key = (partition.0.to_string(), partition.1);
        let Some(next) = next.filter(|b| !b.messages.is_empty()) else {
            self.lock().remove(&key);
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let first = next.messages[0].offset;
        let mut table = self.lock();
        let queue = table.entry(key).or_default();
        // Already decoding from there (the same messages, or the front of them).
        if queue.iter().any(|a| a.offsets.contains(&first)) {
            return;
        }
        let offsets = next.messages.iter().map(|m| m.offset).collect();
        let codec = self.codec.clone();
        let reader = self.reader.clone();
        let task = runtime.spawn(async move {
            codec
                .decode_all(&values_of(&next.messages), reader.as_deref())
                .await
        });
        queue.push_back(Ahead { offsets, task });
        while queue.len() > AHEAD_PER_PARTITION {
            queue.pop_front();
        }
    }

    /// The decoded values of `batch`'s messages, in order: what was decoded ahead for the same
    /// messages, the rest decoded now. A registry failure decoded ahead (one that may pass later)
    /// is not reused: those values are decoded again.
    pub async fn decode(&self, batch: &MessageBatch) -> DecodedValues {
        let mut values = match self.take_ahead(batch) {
            Some(ahead) => reuse(ahead, batch).await,
            None => Vec::new(),
        };
        if values.len() < batch.messages.len() {
            let rest = values_of(&batch.messages[values.len()..]);
            values.extend(self.codec.decode_all(&rest, self.reader.as_deref()).await);
        }
        values
    }

    /// The decode started ahead for the messages `batch` starts with; drops those for messages
    /// before it (delivered or skipped), keeps those after it (after a seek back, they come again).
    fn take_ahead(&self, batch: &MessageBatch) -> Option<Ahead> {
        let first = batch.messages.first()?.offset;
        let mut table = self.lock();
        let queue = table.get_mut(&(batch.topic.clone(), batch.partition))?;
        let found = queue
            .iter()
            .position(|a| a.offsets.first() == Some(&first))
            .and_then(|i| queue.remove(i));
        queue.retain(|a| a.offsets.first().is_some_and(|&o| o > first));
        found
    }
}

fn values_of(messages: &[ConsumedMessage]) -> Vec<Option<&[u8]>> {
    messages.iter().map(|m| m.value.as_deref()).collect()
}

/// The leading values of `batch` that `ahead` decoded: as many as it decoded for the same
/// offsets, none when its task failed or a registry failure among them may pass on a new try.
async fn reuse(mut ahead: Ahead, batch: &MessageBatch) -> DecodedValues {
    let offsets = std::mem::take(&mut ahead.offsets);
    let Ok(mut values) = (&mut ahead.task).await else {
        return Vec::new();
    };
    let same = offsets
        .iter()
        .zip(&batch.messages)
        .take_while(|(o, m)| **o == m.offset)
        .count();
    values.truncate(same);
    let retry = values
        .iter()
        .any(|v| matches!(v, Some(Err(e)) if e.retriable()));
    if retry {
        values.clear();
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::registry::{
        RegisteredSchema, RegistryClient, RegistryConfig, SchemaType,
    };
    use crate::engine::schema::wire;
    use std::time::Duration;

    const SCHEMA: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;

    /// A codec that knows schema 7 without asking its (unreachable) registry.
    async fn codec() -> Arc<SchemaCodec> {
        let client = RegistryClient::new(&RegistryConfig {
            url: "http://127.0.0.1:9".into(),
            retries: Some(0),
            ..Default::default()
        })
        .unwrap();
        let codec = SchemaCodec::new(client, Duration::from_secs(1));
        codec
            .remember(&RegisteredSchema {
                id: 7,
                subject: None,
                version: None,
                schema: SCHEMA.into(),
                schema_type: SchemaType::Avro,
            })
            .await
            .unwrap();
        Arc::new(codec)
    }

    fn message(offset: i64, a: Option<i64>) -> ConsumedMessage {
        let schema = CompiledSchema::compile(SCHEMA, SchemaType::Avro).unwrap();
        ConsumedMessage {
            key: None,
            value: a.map(|a| schema.encode(7, &format!(r#"{{"a":{a}}}"#)).unwrap()),
            headers: Vec::new(),
            offset,
            timestamp: None,
        }
    }

    fn batch(offsets: std::ops::Range<i64>) -> MessageBatch {
        MessageBatch {
            topic: "t".into(),
            partition: 0,
            messages: offsets.map(|o| message(o, Some(o))).collect(),
            assignment: 0,
        }
    }

    fn texts(values: &DecodedValues) -> Vec<String> {
        values
            .iter()
            .map(|v| match v {
                Some(Ok(d)) => d.json.clone(),
                Some(Err(e)) => e.code().to_string(),
                None => "null".into(),
            })
            .collect()
    }

    fn expected(offsets: std::ops::Range<i64>) -> Vec<String> {
        offsets.map(|o| format!(r#"{{"a":{o}}}"#)).collect()
    }

    #[tokio::test]
    async fn decodes_ahead_and_in_order() {
        let d = BatchDecoder::new(codec().await, None);
        // The worker tells the next batch before the current one is handled.
        d.look_ahead(("t", 0), Some(batch(0..3)));
        d.look_ahead(("t", 0), Some(batch(3..6)));
        assert_eq!(texts(&d.decode(&batch(0..3)).await), expected(0..3));
        // A batch longer than what was decoded ahead: the rest is decoded now.
        assert_eq!(texts(&d.decode(&batch(3..8)).await), expected(3..8));
        assert!(d.lock()[&("t".to_string(), 0)].is_empty());
    }

    #[tokio::test]
    async fn other_messages_are_decoded_now() {
        let d = BatchDecoder::new(codec().await, None);
        d.look_ahead(("t", 0), Some(batch(0..3)));
        d.look_ahead(("t", 0), Some(batch(10..12)));
        // After a seek: neither is used, the later one is kept for its batch.
        assert_eq!(texts(&d.decode(&batch(5..7)).await), expected(5..7));
        assert_eq!(d.lock()[&("t".to_string(), 0)].len(), 1);
        // After a seek back, a decode ahead behind one for later messages is still found.
        d.look_ahead(("t", 0), Some(batch(8..9)));
        assert_eq!(texts(&d.decode(&batch(8..9)).await), expected(8..9));
        assert_eq!(d.lock()[&("t".to_string(), 0)].len(), 1);
        // Same first offset, different messages after it (a compacted gap): only the match.
        let mut gap = batch(10..11);
        gap.messages.push(message(13, Some(13)));
        assert_eq!(
            texts(&d.decode(&gap).await),
            vec![r#"{"a":10}"#.to_string(), r#"{"a":13}"#.to_string()]
        );
        d.look_ahead(("t", 0), Some(batch(20..21)));
        d.look_ahead(("t", 0), None);
        assert!(d.lock().is_empty());
    }

    #[tokio::test]
    async fn failures_and_tombstones_keep_their_place() {
        let d = BatchDecoder::new(codec().await, None);
        let mut b = batch(0..4);
        b.messages[1].value = None;
        b.messages[2].value = Some(vec![0, 0, 0, 0, 7, 0xff]);
        b.messages[3].value = Some(wire::begin(99, 1));
        d.look_ahead(("t", 0), Some(b.clone()));
        let got = d.decode(&b).await;
        assert_eq!(
            texts(&got),
            vec![
                r#"{"a":0}"#.to_string(),
                "null".into(),
                "ERR_SCHEMA_DECODE".into(),
                "ERR_SCHEMA_REGISTRY".into()
            ]
        );
        // The registry failure was decoded again rather than reused: the same typed error.
        assert!(matches!(&got[3], Some(Err(e)) if e.retriable()));
    }

    #[tokio::test]
    async fn ahead_is_bounded_per_partition() {
        let d = BatchDecoder::new(codec().await, None);
        for start in [0, 3, 6, 9] {
            d.look_ahead(("t", 0), Some(batch(start..start + 3)));
        }
        d.look_ahead(("t", 0), Some(batch(9..12)));
        let queue_len = d.lock()[&("t".to_string(), 0)].len();
        assert_eq!(queue_len, AHEAD_PER_PARTITION);
        assert_eq!(texts(&d.decode(&batch(6..9)).await), expected(6..9));
    }
}
