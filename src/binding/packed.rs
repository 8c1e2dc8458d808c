//! Published messages packed by `publish.js` (emitted from ts/native/publish.ts): the layout both
//! sides share (defined here, handed to the script when it is compiled, `PackedLayout` there), `publishPacked`, the one call that queues a turn's
//! single publishes or a `publishBatch`, and `publishSingle`, a lone single publish crossed at
//! once. Their outcomes are settled through the resolvers that `publish.js` holds, by sequence
//! number (`Settler::by_seq`).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::error::{invalid_arg, to_napi_error};
use crate::binding::lane_call::{takes_lane, LaneCall, LaneSlot};
use crate::binding::message::{read_message, read_record_topic, MessageFields, Payload};
use crate::binding::schema_publish::{
    read_pending, read_publish_options, send_encoded, CallTexts, Pending, SchemaPublish,
};
use crate::binding::service::KafkaService;
use crate::engine::error::EngineResult;
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::Keying;

/// Numbers per message in `meta`, and the index of each.
pub const FIELDS: usize = 7;
/// Index into the call's topic names, or `NO_TOPIC` / `RECORD_TOPIC`.
const TOPIC: usize = 0;
/// Index into the call's objects when the message crosses as itself, else -1.
const OBJECT: usize = 1;
const KEY_START: usize = 2;
/// -1 for no key.
const KEY_LENGTH: usize = 3;
const VALUE_START: usize = 4;
/// -1 for a null value (a tombstone).
const VALUE_LENGTH: usize = 5;
/// -1 to let the partitioner choose.
const PARTITION: usize = 6;
/// The topic given was not a string.
const NO_TOPIC: f64 = -1.0;
/// The topic is the `topic` of the object (a `publishBatch(records)` entry that crosses as
/// itself).
const RECORD_TOPIC: f64 = -2.0;
/// The value length of a schema'd publish's slot whose JSON text is an element of the call's
/// JSON array text.
const IN_ARRAY: f64 = -2.0;
/// Numbers per message in a settlement round's results, and the index of each.
pub const RESULT_FIELDS: usize = 3;
/// -1 when the message failed before a partition was chosen.
pub const RESULT_PARTITION: usize = 0;
/// -1 for a failed message.
pub const RESULT_OFFSET: usize = 1;
/// NaN for none.
pub const RESULT_TIMESTAMP: usize = 2;

/// The layout as the JS object `publish.js` is compiled with.
pub fn layout(env: &Env) -> Result<Object<'_>> {
    let mut o = Object::new(env)?;
    o.set("fields", FIELDS as u32)?;
    o.set("topic", TOPIC as u32)?;
    o.set("object", OBJECT as u32)?;
    o.set("keyStart", KEY_START as u32)?;
    o.set("keyLength", KEY_LENGTH as u32)?;
    o.set("valueStart", VALUE_START as u32)?;
    o.set("valueLength", VALUE_LENGTH as u32)?;
    o.set("partition", PARTITION as u32)?;
    o.set("noTopic", NO_TOPIC)?;
    o.set("recordTopic", RECORD_TOPIC)?;
    o.set("inArray", IN_ARRAY)?;
    o.set("resultFields", RESULT_FIELDS as u32)?;
    o.set("resultPartition", RESULT_PARTITION as u32)?;
    o.set("resultOffset", RESULT_OFFSET as u32)?;
    o.set("resultTimestamp", RESULT_TIMESTAMP as u32)?;
    Ok(o)
}

/// One call's packed messages.
struct Packed<'a> {
    env: &'a Env,
    names: &'a [String],
    data: &'a [u8],
    meta: &'a [f64],
    objects: &'a Array<'a>,
    fields: Option<MessageFields>,
    /// A schema'd call's JSON texts (its slots point into them).
    texts: CallTexts,
    /// The topic the last schema'd slot named (its index and name), which the next slots to
    /// name it share.
    shared_topic: Option<(usize, Arc<str>)>,
}

impl<'e> Packed<'e> {
    /// The `count` messages of one call; `ERR_INVALID_ARG` when `meta` is too short for them.
    fn new(
        env: &'e Env,
        (names, data, meta, objects): (&'e [String], &'e [u8], &'e [f64], &'e Array<'e>),
        count: usize,
    ) -> EngineResult<Self> {
        if meta.len() < count * FIELDS {
            return Err(invalid_arg("publish", "packed messages out of range"));
        }
        Ok(Packed {
            env,
            names,
            data,
            meta,
            objects,
            fields: None,
            texts: CallTexts::default(),
            shared_topic: None,
        })
    }

    /// Each of the first `count` slots read with `read`; a slot that fails (a getter that threw)
    /// fails alone, its exception cleared.
    fn read_all<T>(
        &mut self,
        count: usize,
        mut read: impl FnMut(&mut Self, usize) -> EngineResult<T>,
    ) -> Vec<EngineResult<T>> {
        (0..count)
            .map(|i| {
                let slot = read(self, i);
                if slot.is_err() {
                    clear_exception(self.env);
                }
                slot
            })
            .collect()
    }

    /// Bytes at `meta[at]` (start) and `meta[at + 1]` (length, negative for none).
    fn bytes(&self, slot: &[f64], at: usize, what: &str) -> EngineResult<Option<Payload<'e>>> {
        bytes(self.data, slot[at], slot[at + 1], what)
    }

    /// The topic and message of slot `i`.
    fn message(&mut self, i: usize) -> EngineResult<(Cow<'e, str>, OutgoingMessage<Payload<'e>>)> {
        let meta = self.meta;
        let slot = &meta[i * FIELDS..(i + 1) * FIELDS];
        if slot[OBJECT] >= 0.0 {
            return self.object(slot, |env, topic, item, fields| {
                Ok((topic, read_message(env, item, fields)?))
            });
        }
        let topic = self.topic(slot[TOPIC])?;
        let partition = slot[PARTITION];
        Ok((
            topic,
            OutgoingMessage {
                key: self.bytes(slot, KEY_START, "key")?,
                value: self.bytes(slot, VALUE_START, "value")?,
                headers: Vec::new(),
                partition: (partition >= 0.0).then_some(partition as i32),
                timestamp: None,
            },
        ))
    }

    /// The bytes of `data` the first `count` slots name (up to the end of the last), those
    /// that cross as objects left out.
    fn used_bytes(&self, count: usize) -> usize {
        let end = |slot: &[f64], at: usize| {
            if slot[at + 1] >= 0.0 {
                slot[at] + slot[at + 1]
            } else {
                0.0
            }
        };
        let used = self
            .meta
            .chunks_exact(FIELDS)
            .take(count)
            .filter(|slot| slot[OBJECT] < 0.0)
            .fold(0.0, |used: f64, slot| {
                used.max(end(slot, KEY_START)).max(end(slot, VALUE_START))
            });
        (used as usize).min(self.data.len())
    }

    /// Slot `i` as the lane takes it: a packed slot as places in the call's bytes, a message
    /// that crosses as itself read (and copied) now.
    fn lane_slot(&mut self, i: usize) -> EngineResult<LaneSlot> {
        let meta = self.meta;
        let slot = &meta[i * FIELDS..(i + 1) * FIELDS];
        if slot[OBJECT] >= 0.0 {
            return self.object(slot, |env, topic, item, fields| {
                let message = read_message(env, item, fields)?;
                Ok(LaneSlot::Object(
                    topic.into_owned(),
                    message.to_owned_bytes(),
                ))
            });
        }
        self.topic(slot[TOPIC])?;
        let partition = slot[PARTITION];
        Ok(LaneSlot::Packed {
            topic: slot[TOPIC] as usize,
            key: range(self.data, slot[KEY_START], slot[KEY_LENGTH], "key")?,
            value: range(self.data, slot[VALUE_START], slot[VALUE_LENGTH], "value")?,
            partition: (partition >= 0.0).then_some(partition as i32),
        })
    }

    /// Slot `i` of a schema'd publish: a packed value is the JSON text `publish.js` wrote (its
    /// own, or an element of the call's array text), an object's value is `JSON.stringify`-ed
    /// here.
    fn pending(&mut self, i: usize) -> EngineResult<Pending> {
        let meta = self.meta;
        let slot = &meta[i * FIELDS..(i + 1) * FIELDS];
        if slot[OBJECT] >= 0.0 {
            let mut texts = std::mem::take(&mut self.texts);
            let read = self.object(slot, |env, topic, item, fields| {
                read_pending(env, Arc::from(&*topic), item, fields, &mut texts)
            });
            self.texts = texts;
            return read;
        }
        let topic = self.shared_topic(slot[TOPIC])?;
        let key = self
            .bytes(slot, KEY_START, "key")?
            .map(|k| k.as_ref().to_vec());
        let text = match self.bytes(slot, VALUE_START, "value")? {
            Some(v) => Some(self.texts.push(v.as_ref())),
            None if slot[VALUE_LENGTH] == IN_ARRAY => None,
            None => return Err(invalid_arg("value", "packed JSON text missing")),
        };
        let partition = slot[PARTITION];
        Ok(Pending::new(
            topic,
            key,
            (partition >= 0.0).then_some(partition as i32),
            text,
        ))
    }

    /// Reads the message object of `slot` (which crosses as itself) with `read`, given its topic.
    fn object<T>(
        &mut self,
        slot: &[f64],
        read: impl FnOnce(&'e Env, Cow<'e, str>, Unknown<'e>, &MessageFields) -> EngineResult<T>,
    ) -> EngineResult<T> {
        let env = self.env;
        let item: Unknown = self
            .objects
            .get(slot[OBJECT] as u32)
            .map_err(|e| invalid_arg("message", e))?
            .ok_or_else(|| invalid_arg("message", "missing"))?;
        if self.fields.is_none() {
            self.fields = Some(MessageFields::new(env).map_err(|e| invalid_arg("message", e))?);
        }
        let Some(fields) = self.fields.as_ref() else {
            return Err(invalid_arg("message", "cannot be read"));
        };
        let topic = if slot[TOPIC] == RECORD_TOPIC {
            Cow::Owned(read_record_topic(env, item, fields)?)
        } else {
            self.topic(slot[TOPIC])?
        };
        read(env, topic, item, fields)
    }

    /// The call's topic name at `index`, as one `Arc<str>` for a run of slots that name it.
    fn shared_topic(&mut self, index: f64) -> EngineResult<Arc<str>> {
        let name = self.topic(index)?;
        let index = index as usize;
        if let Some((last, topic)) = &self.shared_topic {
            if *last == index {
                return Ok(topic.clone());
            }
        }
        let topic: Arc<str> = Arc::from(&*name);
        self.shared_topic = Some((index, topic.clone()));
        Ok(topic)
    }

    /// The call's topic name at `index`, borrowed (a batch names its topic once).
    fn topic(&self, index: f64) -> EngineResult<Cow<'e, str>> {
        if index < 0.0 {
            return Err(invalid_arg("topic", "expected a topic name (string)"));
        }
        self.names
            .get(index as usize)
            .map(|name| Cow::Borrowed(name.as_str()))
            .ok_or_else(|| invalid_arg("topic", "packed topic out of range"))
    }
}

#[napi]
impl KafkaService {
    /// The packed publish of `publish.js` (removed from the prototype there). Queues `count`
    /// messages: with `each`, the single publishes `seq`, `seq + 1`, …, each settled on its own;
    /// else one `publishBatch`, settled as `seq` once every message is. A message that cannot be
    /// read fails alone; throws `KafkaNativeError` (`ERR_DISCONNECTED`) when nothing can be sent.
    #[napi(skip_typescript)]
    #[allow(clippy::too_many_arguments)] // the packed form's parts, as publish.js hands them over
    pub fn publish_packed(
        &self,
        env: &Env,
        names: Vec<String>,
        data: BufferSlice<'_>,
        meta: Float64ArraySlice<'_>,
        count: u32,
        objects: Array<'_>,
        seq: f64,
        each: bool,
    ) -> Result<()> {
        let count = count as usize;
        let mut packed = Packed::new(env, (&names, &data, &meta, &objects), count)
            .map_err(|e| to_napi_error(env, &e))?;
        let producer = self.engine.producer().map_err(|e| to_napi_error(env, &e))?;
        let lane = (!each)
            .then(|| {
                takes_lane(count, producer.stats().in_flight(), || {
                    packed.used_bytes(count)
                })
            })
            .flatten();
        if let Some(used) = lane {
            let slots = packed.read_all(count, |p, i| p.lane_slot(i));
            let call = LaneCall::new(names, &data[..used], slots, &self.lane_blocks);
            self.settler.expect(env, 1)?;
            let done = self.settler.by_seq(seq);
            within_runtime_if_available(|| {
                producer
                    .send_later(count, Keying::Strategy(None), move |send| call.send(send))
                    .on_complete(done)
            });
            return Ok(());
        }
        // Every message read from `data` is copied (by librdkafka, or for a full queue by the
        // engine) before the call returns: publish.js reuses the Buffer.
        let slots = packed.read_all(count, |p, i| p.message(i));
        let slots = slots.iter().map(|s| {
            s.as_ref()
                .map(|(t, m)| (t.as_ref(), m))
                .map_err(Clone::clone)
        });
        if each {
            self.settler.expect(env, count)?;
            // Within the runtime: a send the adaptive linger holds starts the lane's task.
            within_runtime_if_available(|| {
                producer
                    .send_each(slots, self.settler.each_by_seq(seq))
                    .finish()
            });
            return Ok(());
        }
        let delivery =
            within_runtime_if_available(|| producer.send_slots(slots, Keying::Strategy(None)));
        self.settler.expect(env, 1)?;
        let done = self.settler.by_seq(seq);
        within_runtime_if_available(|| delivery.on_complete(done));
        Ok(())
    }

    /// The packed schema'd publish of `publish.js`: `count` messages whose values `publish.js`
    /// wrote as JSON text (or that cross as objects), each its own text or, for the slots whose
    /// value length is `IN_ARRAY`, in turn the elements of one JSON array text (`data`'s bytes at
    /// `array_start`, `array_length` of them; a negative length for none), encoded with
    /// `options.schema` and keyed by
    /// `options.strategy` as `publishBatch(…, {schema})` does, queued after the earlier schema'd
    /// calls, and settled as `seq` once every message is (`publish()` and `publishBatch` alike:
    /// `publish.js` knows which). Throws `KafkaNativeError` for bad options or no registry.
    #[napi(skip_typescript)]
    #[allow(clippy::too_many_arguments)] // the packed form's parts, as publish.js hands them over
    pub fn publish_packed_schema(
        &self,
        env: &Env,
        names: Vec<String>,
        data: BufferSlice<'_>,
        meta: Float64ArraySlice<'_>,
        count: u32,
        objects: Array<'_>,
        seq: f64,
        options: Unknown<'_>,
        array_start: f64,
        array_length: f64,
    ) -> Result<()> {
        let count = count as usize;
        let mut packed = Packed::new(env, (&names, &data, &meta, &objects), count)
            .map_err(|e| to_napi_error(env, &e))?;
        // Copied now, with the slots' own texts: `data` is reused by the next call.
        if let Some(array) =
            bytes(&data, array_start, array_length, "value").map_err(|e| to_napi_error(env, &e))?
        {
            packed.texts.push_array(array.as_ref());
        }
        let how = read_publish_options(env, Some(options))
            .and_then(|request| {
                let reference = request
                    .schema
                    .ok_or_else(|| invalid_arg("options", "expected {schema}"))?;
                Ok(SchemaPublish {
                    codec: self.codec()?,
                    reference,
                    strategy: request.strategy,
                    turn: self.schema_order.next_turn(),
                })
            })
            .map_err(|e| to_napi_error(env, &e))?;
        let read = packed.read_all(count, |p, i| p.pending(i));
        self.settler.expect(env, 1)?;
        send_encoded(
            self.engine.clone(),
            how,
            read,
            packed.texts,
            self.settler.by_seq(seq),
        );
        Ok(())
    }

    /// The lone single publish of `publish.js`: one message, crossed at once without the packing
    /// of `publishPacked` (its key and value are `data`'s bytes at the starts and lengths given,
    /// a negative length for none; `partition` -1 lets the partitioner choose). Settled as the
    /// single publish `seq`; throws `KafkaNativeError` (`ERR_DISCONNECTED`) when it cannot be
    /// sent.
    #[napi(skip_typescript)]
    #[allow(clippy::too_many_arguments)] // one message's parts, as publish.js hands them over
    pub fn publish_single(
        &self,
        env: &Env,
        topic: String,
        data: BufferSlice<'_>,
        key_start: f64,
        key_length: f64,
        value_start: f64,
        value_length: f64,
        partition: f64,
        seq: f64,
    ) -> Result<()> {
        let producer = self.engine.producer().map_err(|e| to_napi_error(env, &e))?;
        self.settler.expect(env, 1)?;
        let done = self.settler.by_seq(seq);
        let message = bytes(&data, key_start, key_length, "key").and_then(|key| {
            Ok(OutgoingMessage {
                key,
                value: bytes(&data, value_start, value_length, "value")?,
                headers: Vec::new(),
                partition: (partition >= 0.0).then_some(partition as i32),
                timestamp: None,
            })
        });
        match message {
            Ok(message) => {
                // The bytes are copied (by librdkafka, or for a full queue by the engine) before
                // `send_keyed` returns: publish.js reuses `data`.
                within_runtime_if_available(|| {
                    producer
                        .send_keyed(std::iter::once((topic.as_str(), &message)), None)
                        .on_complete(done)
                });
            }
            Err(e) => done(vec![Err(e)]),
        }
        Ok(())
    }
}

/// The `len` bytes of `data` from `start` (`None` for a negative length).
fn bytes<'e>(
    data: &'e [u8],
    start: f64,
    len: f64,
    what: &str,
) -> EngineResult<Option<Payload<'e>>> {
    Ok(range(data, start, len, what)?.map(|r| Payload::Bytes(&data[r])))
}

/// The place of the `len` bytes of `data` from `start` (`None` for a negative length).
pub(crate) fn range(
    data: &[u8],
    start: f64,
    len: f64,
    what: &str,
) -> EngineResult<Option<Range<usize>>> {
    if len < 0.0 {
        return Ok(None);
    }
    let end = start + len;
    if !(start >= 0.0 && end <= data.len() as f64) {
        return Err(invalid_arg(what, "packed bytes out of range"));
    }
    Ok(Some(start as usize..end as usize))
}

/// Drops the exception a message's getter or proxy threw while it was read: that message fails
/// alone (`ERR_INVALID_ARG`), and the rest of the call goes on.
fn clear_exception(env: &Env) {
    let mut pending = false;
    let status = unsafe { napi::sys::napi_is_exception_pending(env.raw(), &mut pending) };
    if status == napi::sys::Status::napi_ok && pending {
        let mut exception = std::ptr::null_mut();
        unsafe { napi::sys::napi_get_and_clear_last_exception(env.raw(), &mut exception) };
    }
}
