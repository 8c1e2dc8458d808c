//! A large packed `publishBatch` handed to the producer's lane (`engine::enqueue_lane`): its
//! messages read on the Node thread as places in the call's bytes, those bytes copied in one
//! block, and librdkafka's queueing done on the lane, away from the Node thread.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use crate::engine::error::EngineResult;
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::{LaneSend, LaneSent};

/// A `publishBatch` of fewer packed messages queues them at once, on the Node thread (one
/// hand-over fewer).
const LANE_MIN: usize = 64;
/// Nor one whose messages' bytes average more than this: the copy would cost more CPU than the
/// lane saves the Node thread (bench/results/2026-12-06-enqueue-lane.md: at 100 B values the
/// lane gave 9 % more messages/s for 6 % less CPU per message; at 1 KiB, before this limit, 4 %
/// fewer for 3-5 % more).
const LANE_MAX_AVERAGE_BYTES: usize = 256;

/// The bytes to copy when a packed `publishBatch` of `count` messages (`used()` bytes in all)
/// queues them on the lane; `None` when it queues them at once. The lane takes a large batch
/// of small messages made while the producer has others in flight (a batch awaited alone would
/// wait for the lane's hand-over, measured 12 % fewer messages/s in
/// `for … await publishBatch(1,000)`; with others in flight that wait is hidden).
pub fn takes_lane(count: usize, in_flight: i64, used: impl FnOnce() -> usize) -> Option<usize> {
    if count < LANE_MIN || in_flight <= 0 {
        return None;
    }
    let used = used();
    (used <= LANE_MAX_AVERAGE_BYTES * count).then_some(used)
}

/// Blocks a service's lane calls copy their bytes into, kept when a call is done so the next
/// copy writes into memory already mapped.
#[derive(Default, Clone)]
pub struct LaneBlocks(Arc<Mutex<Vec<Vec<u8>>>>);

/// Blocks kept at most (a call's block is dropped when that many wait).
const KEPT_BLOCKS: usize = 16;
/// A block larger than this is not kept.
const KEPT_BLOCK_BYTES: usize = 4 << 20;

impl LaneBlocks {
    /// A block holding a copy of `bytes`.
    fn copy_of(&self, bytes: &[u8]) -> Vec<u8> {
        let kept = self.0.lock().ok().and_then(|mut b| b.pop());
        let mut block = kept.unwrap_or_default();
        block.clear();
        block.extend_from_slice(bytes);
        block
    }

    /// Keeps `block` for a later call.
    fn give_back(&self, block: Vec<u8>) {
        if block.capacity() > KEPT_BLOCK_BYTES {
            return;
        }
        if let Ok(mut blocks) = self.0.lock() {
            if blocks.len() < KEPT_BLOCKS {
                blocks.push(block);
            }
        }
    }
}

/// One message of a `LaneCall`.
pub enum LaneSlot {
    /// Its topic (an index into the call's names), and its key and value in the call's bytes.
    Packed {
        topic: usize,
        key: Option<Range<usize>>,
        value: Option<Range<usize>>,
        partition: Option<i32>,
    },
    /// A message that crossed as itself: its topic, and the message copied.
    Object(String, OutgoingMessage<Vec<u8>>),
}

/// A packed `publishBatch`'s messages, owned, to be queued on the producer's lane.
pub struct LaneCall {
    names: Vec<String>,
    data: Vec<u8>,
    slots: Vec<EngineResult<LaneSlot>>,
    blocks: LaneBlocks,
}

impl LaneCall {
    /// The call of `slots`, with a copy of `data` (the bytes they name of publish.js's Buffer,
    /// which the next call reuses).
    pub fn new(
        names: Vec<String>,
        data: &[u8],
        slots: Vec<EngineResult<LaneSlot>>,
        blocks: &LaneBlocks,
    ) -> Self {
        LaneCall {
            names,
            data: blocks.copy_of(data),
            slots,
            blocks: blocks.clone(),
        }
    }

    /// Queues the call's messages, in order (on the lane), then keeps its block.
    pub fn send(mut self, send: LaneSend) -> LaneSent {
        let data = std::mem::take(&mut self.data);
        let sent = {
            let messages = messages(&self.names, &data, &self.slots);
            send.slots(messages.iter().map(as_slot))
        };
        self.blocks.give_back(data);
        sent
    }
}

/// A message of a call, read: its topic and the message, its bytes in the call's.
type CallMessage<'a> = EngineResult<(&'a str, OutgoingMessage<&'a [u8]>)>;

/// The messages of `slots`, their bytes in `data`, their topics in `names`.
fn messages<'a>(
    names: &'a [String],
    data: &'a [u8],
    slots: &'a [EngineResult<LaneSlot>],
) -> Vec<CallMessage<'a>> {
    slots
        .iter()
        .map(|slot| {
            slot.as_ref().map_err(Clone::clone).map(|slot| match slot {
                LaneSlot::Packed {
                    topic,
                    key,
                    value,
                    partition,
                } => (
                    names[*topic].as_str(),
                    OutgoingMessage {
                        key: key.clone().map(|r| &data[r]),
                        value: value.clone().map(|r| &data[r]),
                        headers: Vec::new(),
                        partition: *partition,
                        timestamp: None,
                    },
                ),
                LaneSlot::Object(topic, message) => (topic.as_str(), message.borrowed()),
            })
        })
        .collect()
}

/// One of `messages` as the producer takes a slot.
fn as_slot<'a>(m: &'a CallMessage<'a>) -> EngineResult<(&'a str, &'a OutgoingMessage<&'a [u8]>)> {
    m.as_ref().map(|(t, m)| (*t, m)).map_err(Clone::clone)
}
