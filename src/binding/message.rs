//! Messages across the boundary: published messages read from JS objects without copying their
//! Buffers, delivery results and consumed batches built as JS objects.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::{sys, Env, JsValue, ValueType};

use crate::binding::batch_layout as layout;
use crate::binding::consumed_batch::PackedMessages;
use crate::binding::error::{invalid_arg, to_js_error};
use crate::binding::js_support::JsSupport;
use crate::engine::consumer::HandlerFailure;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::{DeliveryReport, MessageBatch, OutgoingMessage};
use crate::engine::schema::codec::Decoded;

/// The headers of a message to publish, by name (its TypeScript type is written out on each field).
pub(crate) type HeaderValues =
    std::collections::HashMap<String, Either3<Buffer, String, Vec<Either<Buffer, String>>>>;

/// A message to publish.
#[allow(dead_code)] // a TypeScript declaration: the binding reads and builds these by hand
#[napi(
    object,
    js_name = "PublishMessage",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsPublishMessage {
    /// Messages with the same key go to the same partition, in order.
    pub key: Option<Either<Buffer, String>>,
    /// The payload; `null` for a tombstone. Required.
    pub value: Either3<Buffer, String, Null>,
    /// Header values; an array gives a header several values.
    #[napi(ts_type = "Record<string, Buffer | string | Array<Buffer | string>>")]
    pub headers: Option<HeaderValues>,
    /// Explicit partition, instead of the partitioner's choice.
    pub partition: Option<i32>,
    /// Milliseconds since the epoch (number, digit string or Date). Default: now.
    #[napi(ts_type = "number | string | Date")]
    pub timestamp: Option<Unknown<'static>>,
}

/// A message with its topic, for `publishBatch(records)`.
#[allow(dead_code)] // a TypeScript declaration: the binding reads and builds these by hand
#[napi(
    object,
    js_name = "PublishRecord",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsPublishRecord {
    pub topic: String,
    pub key: Option<Either<Buffer, String>>,
    pub value: Either3<Buffer, String, Null>,
    #[napi(ts_type = "Record<string, Buffer | string | Array<Buffer | string>>")]
    pub headers: Option<HeaderValues>,
    pub partition: Option<i32>,
    #[napi(ts_type = "number | string | Date")]
    pub timestamp: Option<Unknown<'static>>,
}

/// Where a published message was stored.
#[napi(object, js_name = "PublishResult")]
pub struct JsPublishResult {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The stored timestamp, ms since the epoch.
    pub timestamp: Option<i64>,
}

/// One slot of `publishBatch`'s result: the delivery, or the error of that message alone.
#[allow(dead_code)] // a TypeScript declaration: the binding reads and builds these by hand
#[napi(
    object,
    js_name = "BatchPublishResult",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsBatchPublishResult {
    pub topic: String,
    /// -1 when the message failed before a partition was chosen.
    pub partition: i32,
    /// -1 when the message failed.
    pub offset: i64,
    pub timestamp: Option<i64>,
    #[napi(ts_type = "KafkaNativeError")]
    pub error: Option<Unknown<'static>>,
}

/// A consumed message, shaped as kafkajs' `KafkaMessage` (offset and timestamp are strings).
#[allow(dead_code)] // a TypeScript declaration: the binding reads and builds these by hand
#[napi(
    object,
    js_name = "ConsumedMessage",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsConsumedMessage {
    /// `null` for a message without a key.
    pub key: Either<Buffer, Null>,
    /// `null` for a tombstone.
    pub value: Either<Buffer, Null>,
    /// A header seen once maps to its value; one seen several times to an array of values.
    #[napi(ts_type = "Record<string, Buffer | Buffer[]>")]
    pub headers: Object<'static>,
    pub offset: String,
    pub timestamp: String,
    pub size: u32,
    pub attributes: u32,
    /// With `decode`: the decoded value (`null` for a tombstone).
    #[napi(ts_type = "unknown")]
    pub decoded: Option<()>,
    /// With `decode`: the registry id of the value's writer schema.
    pub schema_id: Option<u32>,
}

/// The argument of an `eachMessage` handler, shaped as kafkajs' `EachMessagePayload`.
#[allow(dead_code)] // a TypeScript declaration: built by ts/native/js-support.ts
#[napi(
    object,
    js_name = "EachMessagePayload",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsEachMessagePayload {
    pub topic: String,
    pub partition: i32,
    pub message: JsConsumedMessage,
    #[napi(ts_type = "() => Promise<void>")]
    pub heartbeat: (),
}

/// Consecutive messages of one partition, as an `eachBatch` handler receives them.
#[allow(dead_code)] // a TypeScript declaration: built by ts/native/js-support.ts
#[napi(
    object,
    js_name = "Batch",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsBatch {
    pub topic: String,
    pub partition: i32,
    pub messages: Vec<JsConsumedMessage>,
    /// Which assignment of the partition the batch came from: give it with the batch's offsets
    /// to a transaction's `sendOffsets`, which then refuses them once the partition was revoked.
    pub assignment: f64,
    #[napi(ts_type = "() => string | null")]
    pub first_offset: (),
    #[napi(ts_type = "() => string | null")]
    pub last_offset: (),
    #[napi(ts_type = "() => boolean")]
    pub is_empty: (),
}

/// The argument of an `eachBatch` handler, shaped as kafkajs' `EachBatchPayload`. If the
/// handler throws after `resolveOffset(o)`, messages up to `o` count as processed.
#[allow(dead_code)] // a TypeScript declaration: built by ts/native/js-support.ts
#[napi(
    object,
    js_name = "EachBatchPayload",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsEachBatchPayload {
    pub batch: JsBatch,
    #[napi(ts_type = "(offset: string) => void")]
    pub resolve_offset: (),
    #[napi(ts_type = "() => Promise<void>")]
    pub heartbeat: (),
    #[napi(ts_type = "() => boolean")]
    pub is_running: (),
    #[napi(ts_type = "() => boolean")]
    pub is_stale: (),
}

/// Bytes of a published message: a borrowed Buffer (copied once, by librdkafka) or a string.
pub enum Payload<'e> {
    Buffer(BufferSlice<'e>),
    Text(String),
    /// Bytes of a packed call's one Buffer (see packed.rs).
    Bytes(&'e [u8]),
}

impl AsRef<[u8]> for Payload<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            Payload::Buffer(b) => b,
            Payload::Text(s) => s.as_bytes(),
            Payload::Bytes(b) => b,
        }
    }
}

/// `headers.<name>`, the label of a header value in errors: formatted only when one is reported.
#[derive(Clone, Copy)]
struct HeaderLabel<'a>(&'a str);

impl std::fmt::Display for HeaderLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "headers.{}", self.0)
    }
}

/// `what` is a `Display` so that a header's label is built only on the error path.
fn payload<'e>(
    env: &'e Env,
    v: Unknown<'e>,
    what: impl std::fmt::Display,
) -> EngineResult<Option<Payload<'e>>> {
    let bad = |detail: &dyn std::fmt::Display| invalid_arg(&what.to_string(), detail);
    let kind = v.get_type().map_err(|e| bad(&e))?;
    match kind {
        ValueType::Null | ValueType::Undefined => Ok(None),
        ValueType::String => {
            let s: String =
                unsafe { String::from_napi_value(env.raw(), v.raw()) }.map_err(|e| bad(&e))?;
            Ok(Some(Payload::Text(s)))
        }
        ValueType::Object
            if v.is_buffer().unwrap_or(false) || v.is_typedarray().unwrap_or(false) =>
        {
            let b =
                unsafe { BufferSlice::from_napi_value(env.raw(), v.raw()) }.map_err(|e| bad(&e))?;
            Ok(Some(Payload::Buffer(b)))
        }
        other => Err(bad(&format_args!(
            "expected a Buffer, a string or null, got {other:?}"
        ))),
    }
}

fn timestamp(v: Unknown<'_>) -> EngineResult<Option<i64>> {
    let what = "timestamp";
    let ms: f64 = match v.get_type().map_err(|e| invalid_arg(what, e))? {
        ValueType::Null | ValueType::Undefined => return Ok(None),
        ValueType::Number => unsafe { f64::from_napi_value(v.value().env, v.raw()) }
            .map_err(|e| invalid_arg(what, e))?,
        ValueType::String => {
            let s: String = unsafe { String::from_napi_value(v.value().env, v.raw()) }
                .map_err(|e| invalid_arg(what, e))?;
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid_arg(what, format!("'{s}' is not a number of ms")))?
                as f64
        }
        ValueType::Object if v.is_date().unwrap_or(false) => {
            let d = unsafe { Date::from_napi_value(v.value().env, v.raw()) }
                .map_err(|e| invalid_arg(what, e))?;
            d.value_of().map_err(|e| invalid_arg(what, e))?
        }
        other => {
            return Err(invalid_arg(
                what,
                format!("expected ms since the epoch, got {other:?}"),
            ))
        }
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(invalid_arg(what, "must be a non-negative number of ms"));
    }
    Ok(Some(ms as i64))
}

fn partition(v: Unknown<'_>) -> EngineResult<Option<i32>> {
    match v.get_type().map_err(|e| invalid_arg("partition", e))? {
        ValueType::Null | ValueType::Undefined => Ok(None),
        ValueType::Number => {
            let n = unsafe { f64::from_napi_value(v.value().env, v.raw()) }
                .map_err(|e| invalid_arg("partition", e))?;
            if n.fract() != 0.0 || !(0.0..=i32::MAX as f64).contains(&n) {
                return Err(invalid_arg(
                    "partition",
                    format!("must be a whole number >= 0, got {n}"),
                ));
            }
            Ok(Some(n as i32))
        }
        other => Err(invalid_arg(
            "partition",
            format!("expected a number, got {other:?}"),
        )),
    }
}

/// The property names of a message, as JS strings made once per call: looking a property up by a
/// C string re-interns the name every time, which was a sixth of a publish's cost.
pub struct MessageFields {
    key: sys::napi_value,
    value: sys::napi_value,
    headers: sys::napi_value,
    partition: sys::napi_value,
    timestamp: sys::napi_value,
    topic: sys::napi_value,
}

impl MessageFields {
    /// The names, for use within the current call.
    pub fn new(env: &Env) -> Result<Self> {
        let name = |s: &str| env.create_string(s).map(|v| v.raw());
        Ok(MessageFields {
            key: name("key")?,
            value: name("value")?,
            headers: name("headers")?,
            partition: name("partition")?,
            timestamp: name("timestamp")?,
            topic: name("topic")?,
        })
    }

    fn get<'e>(
        &self,
        env: &'e Env,
        obj: sys::napi_value,
        name: sys::napi_value,
        what: &str,
    ) -> EngineResult<Unknown<'e>> {
        let mut out = std::ptr::null_mut();
        let status = unsafe { sys::napi_get_property(env.raw(), obj, name, &mut out) };
        if status != sys::Status::napi_ok {
            return Err(invalid_arg(what, "cannot be read"));
        }
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), out) })
    }

    fn has(&self, env: &Env, obj: sys::napi_value, name: sys::napi_value) -> bool {
        let mut found = false;
        let status = unsafe { sys::napi_has_property(env.raw(), obj, name, &mut found) };
        status == sys::Status::napi_ok && found
    }

    /// The `topic` of an object (a `publishBatch(records)` entry).
    pub fn topic<'e>(&self, env: &'e Env, obj: Unknown<'e>) -> EngineResult<Unknown<'e>> {
        self.get(env, obj.raw(), self.topic, "topic")
    }
}

/// Reads `{key, value, headers, partition, timestamp}`. `value` must be present (it may be null).
pub fn read_message<'e>(
    env: &'e Env,
    v: Unknown<'e>,
    fields: &MessageFields,
) -> EngineResult<OutgoingMessage<Payload<'e>>> {
    read_message_parts(env, v, fields, true)
}

/// Reads a message whose value is encoded elsewhere (a schema'd publish): the message without
/// its value, and the value as given.
pub fn read_message_envelope<'e>(
    env: &'e Env,
    v: Unknown<'e>,
    fields: &MessageFields,
) -> EngineResult<(OutgoingMessage<Payload<'e>>, Unknown<'e>)> {
    let message = read_message_parts(env, v, fields, false)?;
    Ok((message, fields.get(env, v.raw(), fields.value, "value")?))
}

fn read_message_parts<'e>(
    env: &'e Env,
    v: Unknown<'e>,
    fields: &MessageFields,
    with_value: bool,
) -> EngineResult<OutgoingMessage<Payload<'e>>> {
    if v.get_type().map_err(|e| invalid_arg("message", e))? != ValueType::Object
        || v.is_array().unwrap_or(false)
    {
        return Err(invalid_arg("message", "expected an object with a value"));
    }
    let raw = v.raw();
    if !fields.has(env, raw, fields.value) {
        return Err(invalid_arg(
            "message.value",
            "is required (use null for a tombstone)",
        ));
    }
    let mut headers = Vec::new();
    let h = fields.get(env, raw, fields.headers, "headers")?;
    match h.get_type().map_err(|e| invalid_arg("headers", e))? {
        ValueType::Null | ValueType::Undefined => {}
        ValueType::Object if !h.is_array().unwrap_or(false) => {
            let hobj = unsafe { Object::from_napi_value(env.raw(), h.raw()) }
                .map_err(|e| invalid_arg("headers", e))?;
            for name in Object::keys(&hobj).map_err(|e| invalid_arg("headers", e))? {
                let value: Unknown = hobj
                    .get_named_property(&name)
                    .map_err(|e| invalid_arg("headers", e))?;
                let what = HeaderLabel(&name);
                if value.is_array().unwrap_or(false) {
                    let arr = unsafe { Array::from_napi_value(env.raw(), value.raw()) }
                        .map_err(|e| invalid_arg(&what.to_string(), e))?;
                    for i in 0..arr.len() {
                        let item: Unknown = arr
                            .get(i)
                            .map_err(|e| invalid_arg(&what.to_string(), e))?
                            .ok_or_else(|| invalid_arg(&what.to_string(), "hole in array"))?;
                        headers.push((name.clone(), payload(env, item, what)?));
                    }
                } else {
                    let value = payload(env, value, what)?;
                    headers.push((name, value));
                }
            }
        }
        other => {
            return Err(invalid_arg(
                "headers",
                format!("expected an object of Buffers or strings, got {other:?}"),
            ))
        }
    }
    Ok(OutgoingMessage {
        key: payload(env, fields.get(env, raw, fields.key, "key")?, "key")?,
        value: if with_value {
            payload(env, fields.get(env, raw, fields.value, "value")?, "value")?
        } else {
            None
        },
        headers,
        partition: partition(fields.get(env, raw, fields.partition, "partition")?)?,
        timestamp: timestamp(fields.get(env, raw, fields.timestamp, "timestamp")?)?,
    })
}

/// Reads the `topic` of a `publishBatch(records)` entry.
pub fn read_record_topic(
    env: &Env,
    item: Unknown<'_>,
    fields: &MessageFields,
) -> EngineResult<String> {
    if item.get_type().map_err(|e| invalid_arg("record", e))? != ValueType::Object {
        return Err(invalid_arg("record", "expected {topic, value, ...}"));
    }
    read_topic(env, fields.topic(env, item)?, "record.topic")
}

/// Reads a topic name.
pub fn read_topic(env: &Env, v: Unknown<'_>, what: &str) -> EngineResult<String> {
    if v.get_type().map_err(|e| invalid_arg(what, e))? != ValueType::String {
        return Err(invalid_arg(what, "expected a topic name (string)"));
    }
    unsafe { String::from_napi_value(env.raw(), v.raw()) }.map_err(|e| invalid_arg(what, e))
}

/// `publishBatch`'s result: one `{topic, partition, offset, timestamp, error?}` per message, in
/// order. The numbers cross as one Float64Array and the objects are built in JS; only failed
/// slots carry an error object (`partition` -1 unless known, `offset` -1, `timestamp` null).
pub fn batch_results<'e, 'a>(
    env: &'e Env,
    topics: &'a [String],
    outcomes: &'a [EngineResult<DeliveryReport>],
) -> Result<Unknown<'e>> {
    // Topic names in first-seen order; `seen` finds a name's index without a scan, and the
    // last-hit name is checked first (a batch is mostly one topic).
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashMap<&'a str, f64> = HashMap::new();
    let mut last: Option<(&'a str, f64)> = None;
    let mut index_of = |name: &'a str| -> f64 {
        if let Some((n, i)) = last {
            if n == name {
                return i;
            }
        }
        let i = *seen.entry(name).or_insert_with(|| {
            names.push(name.to_string());
            (names.len() - 1) as f64
        });
        last = Some((name, i));
        i
    };
    let mut numbers = Vec::with_capacity(outcomes.len() * layout::RESULT_FIELDS);
    let mut error_index = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in outcomes.iter().enumerate() {
        let mut slot = [0.0; layout::RESULT_FIELDS];
        match r {
            Ok(d) => {
                slot[layout::RESULT_TOPIC] = index_of(&d.topic);
                slot[layout::RESULT_PARTITION] = d.partition as f64;
                slot[layout::RESULT_OFFSET] = d.offset as f64;
                slot[layout::RESULT_TIMESTAMP] = d.timestamp.map_or(f64::NAN, |t| t as f64);
            }
            Err(e) => {
                let topic = e
                    .topic()
                    .unwrap_or_else(|| topics.get(i).map_or("", String::as_str));
                slot[layout::RESULT_TOPIC] = index_of(topic);
                slot[layout::RESULT_PARTITION] = e.partition().unwrap_or(-1) as f64;
                slot[layout::RESULT_OFFSET] = -1.0;
                slot[layout::RESULT_TIMESTAMP] = f64::NAN;
                error_index.push(i as i32);
                errors.push(to_js_error(env, e)?);
            }
        }
        numbers.extend_from_slice(&slot);
    }
    // SAFETY: the error values are used within this call, on the JS thread that made them.
    let errors: Vec<Unknown<'static>> = errors
        .into_iter()
        .map(|e| unsafe { std::mem::transmute::<Unknown<'_>, Unknown<'static>>(e) })
        .collect();
    JsSupport::get(env)?.batch_results(
        env,
        FnArgs::from((
            names,
            Float64Array::new(numbers),
            Int32Array::new(error_index),
            errors,
        )),
    )
}

/// A batch for a handler, packed so that it crosses into JS as a few values however many
/// messages it holds: `{topic, partition, assignment, data, meta, headerNames, headerMeta}`.
/// `data` is every key, value and header value back to back and `meta` and `headerMeta` the
/// numbers of batch_layout.rs, as `packed` (made off the JS thread) has them, handed over without
/// a copy; `jsSupport` (ts/native/js-support.ts) turns it into kafkajs-shaped messages whose
/// Buffers are views of `data`.
pub fn batch_to_js<'e>(
    env: &'e Env,
    batch: &MessageBatch,
    packed: PackedMessages,
    decoded: Option<PackedValues>,
) -> Result<Object<'e>> {
    let header_names: Vec<&str> = batch
        .messages
        .iter()
        .flat_map(|m| m.headers.iter().map(|(name, _)| name.as_str()))
        .collect();
    let mut b = Object::new(env)?;
    b.set("topic", batch.topic.as_str())?;
    b.set("partition", batch.partition)?;
    b.set("assignment", batch.assignment as f64)?;
    b.set("data", Buffer::from(packed.data))?;
    b.set("meta", Float64Array::new(packed.meta))?;
    b.set("headerNames", header_names)?;
    b.set("headerMeta", Float64Array::new(packed.header_meta))?;
    if let Some(decoded) = decoded {
        set_decoded(env, &mut b, decoded)?;
    }
    Ok(b)
}

/// A batch's decoded values packed for JS, off the JS thread: one JSON array text (its items
/// `null` for a tombstone or a failure), so that JS parses the batch's values in one call; the
/// writer schema ids (-1 for none); the decoding errors by index.
pub struct PackedValues {
    json: String,
    schema_ids: Vec<f64>,
    errors: Vec<(usize, EngineError)>,
}

impl PackedValues {
    /// Packs the decoded values of a batch's messages, in order (`None` for a tombstone).
    pub fn pack(values: Vec<Option<EngineResult<Decoded>>>) -> Self {
        let size: usize = values
            .iter()
            .map(|v| match v {
                Some(Ok(d)) => d.json.len() + 1,
                _ => 5,
            })
            .sum();
        let mut json = String::with_capacity(size + 2);
        let mut schema_ids = Vec::with_capacity(values.len());
        let mut errors = Vec::new();
        json.push('[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            match v {
                Some(Ok(d)) => {
                    json.push_str(&d.json);
                    schema_ids.push(f64::from(d.schema_id));
                }
                Some(Err(e)) => {
                    json.push_str("null");
                    schema_ids.push(-1.0);
                    errors.push((i, e));
                }
                None => {
                    json.push_str("null");
                    schema_ids.push(-1.0);
                }
            }
        }
        json.push(']');
        PackedValues {
            json,
            schema_ids,
            errors,
        }
    }

    /// The first message that could not be decoded, and why.
    pub fn first_failure(&self) -> Option<(usize, HandlerFailure)> {
        self.errors
            .first()
            .map(|(i, e)| (*i, HandlerFailure::engine(e)))
    }
}

/// Adds a decoded batch's values, writer schema ids and decoding errors (`KafkaNativeError`s, a
/// sparse array) to its packed form; `jsSupport` attaches them to the messages.
fn set_decoded(env: &Env, b: &mut Object<'_>, values: PackedValues) -> Result<()> {
    let mut errors = env.create_array(values.schema_ids.len() as u32)?;
    for (i, e) in &values.errors {
        errors.set(*i as u32, to_js_error(env, e)?)?;
    }
    b.set("decoded", values.json.as_str())?;
    b.set("schemaIds", Float64Array::new(values.schema_ids))?;
    b.set("decodeErrors", errors)?;
    Ok(())
}
