//! `publish` / `publishBatch` with `{schema}`: values are `JSON.stringify`-ed on the JS thread,
//! then encoded (and their schema fetched, once) on the tokio runtime before they are queued.
//! The schema-less publish path does not go through here.

use std::ops::Range;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::args;
use crate::binding::error::invalid_arg;
use crate::binding::message::{read_message_envelope, MessageFields, Payload};
use crate::binding::schema_registry::{stringify, JsSchemaReference};
use crate::binding::settlement::Settler;
use crate::engine::catalogs::PartitionStrategy;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::keying::strategy_key;
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::{BatchOutcome, Keying};
use crate::engine::schema::codec::{SchemaCodec, SchemaRef};
use crate::engine::schema::json_array::array_elements;
use crate::engine::schema::publish_order::Turn;
use crate::engine::service::KafkaEngine;

/// Options of `publish` and `publishBatch`.
#[napi(object, js_name = "PublishOptions")]
pub struct JsPublishOptions {
    /// Encode each message's `value` (any JSON-able value) with this registered schema, through
    /// the registry given to `useSchemaRegistry()`.
    #[napi(ts_type = "SchemaReference")]
    pub schema: Option<JsSchemaReference>,
    /// Key each message that has no `key` by this partition strategy (seed 002): its field
    /// (`conversationId`, `userId`, `tenantId`) is read from the message's header of that name,
    /// else from the top-level property of that name when the value is a JSON object (for
    /// `{schema}`, the value before encoding); `random` gives no key. The key maps to a
    /// partition as the Java client does, the same as `key: partitionKey(strategy, fields)`. A
    /// message without the field fails (its own slot in `publishBatch`) with `ERR_INVALID_ARG`,
    /// not retriable; an unknown name rejects the call with `ERR_INVALID_ARG`. Precedence: a
    /// message's `key`, then this, then the strategy of the `tenantTemplates` template its topic
    /// comes from.
    #[napi(ts_type = "'conversation_id' | 'user_id' | 'tenant_id' | 'random'")]
    pub strategy: Option<String>,
}

/// How a schema'd publish encodes and keys its messages.
pub struct SchemaPublish {
    pub codec: Arc<SchemaCodec>,
    pub reference: SchemaRef,
    /// The partition strategy the publish names, if any.
    pub strategy: Option<PartitionStrategy>,
    /// This call's place among the producer's schema'd publishes: its messages are queued after
    /// those of every earlier call (a key's messages stay in call order).
    pub turn: Turn,
}

/// What the options of a publish call ask for.
#[derive(Default)]
pub struct PublishRequest {
    pub schema: Option<SchemaRef>,
    pub strategy: Option<PartitionStrategy>,
}

/// A message to publish with `{schema}`: as `PublishMessage`, with any JSON-able `value`.
#[allow(dead_code)] // a TypeScript declaration: the binding reads these by hand
#[napi(
    object,
    js_name = "SchemaMessage",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsSchemaMessage {
    pub key: Option<Either<Buffer, String>>,
    /// The value to encode (an object matching the schema; `JSON.stringify`-able).
    #[napi(ts_type = "unknown")]
    pub value: (),
    #[napi(ts_type = "Record<string, Buffer | string | Array<Buffer | string>>")]
    pub headers: Option<crate::binding::message::HeaderValues>,
    pub partition: Option<i32>,
    #[napi(ts_type = "number | string | Date")]
    pub timestamp: Option<Unknown<'static>>,
}

/// A `SchemaMessage` with its topic, for `publishBatch(records, {schema})`.
#[allow(dead_code)] // a TypeScript declaration: the binding reads these by hand
#[napi(
    object,
    js_name = "SchemaRecord",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsSchemaRecord {
    pub topic: String,
    pub key: Option<Either<Buffer, String>>,
    #[napi(ts_type = "unknown")]
    pub value: (),
    #[napi(ts_type = "Record<string, Buffer | string | Array<Buffer | string>>")]
    pub headers: Option<crate::binding::message::HeaderValues>,
    pub partition: Option<i32>,
    #[napi(ts_type = "number | string | Date")]
    pub timestamp: Option<Unknown<'static>>,
}

/// What a publish call's options ask for: nothing for no options (`undefined`, `null`).
pub fn read_publish_options(
    env: &Env,
    options: Option<Unknown<'_>>,
) -> EngineResult<PublishRequest> {
    let Some(options) = options else {
        return Ok(PublishRequest::default());
    };
    match options.get_type().map_err(|e| invalid_arg("options", e))? {
        ValueType::Undefined | ValueType::Null => return Ok(PublishRequest::default()),
        ValueType::Object if !options.is_array().unwrap_or(false) => {}
        _ => return Err(invalid_arg("options", "expected {schema, strategy}")),
    }
    let o: JsPublishOptions = args::read(env, options, "options")?;
    Ok(PublishRequest {
        schema: o.schema.as_ref().map(SchemaRef::try_from).transpose()?,
        strategy: o
            .strategy
            .as_deref()
            .map(PartitionStrategy::parse)
            .transpose()?,
    })
}

/// The JSON texts of one schema'd call's values, back to back in one buffer (one copy on the JS
/// thread, no allocation per message): the messages' own texts, and the call's JSON array text,
/// whose elements are, in slot order, the texts of the messages read without one.
#[derive(Default)]
pub struct CallTexts {
    bytes: Vec<u8>,
    /// Where the array text is in `bytes`.
    array: Option<Range<usize>>,
}

impl CallTexts {
    /// Appends a message's own text; where it is.
    pub fn push(&mut self, text: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(text);
        start..self.bytes.len()
    }

    /// Appends the call's JSON array text.
    pub fn push_array(&mut self, text: &[u8]) {
        self.array = Some(self.push(text));
    }
}

/// A message read for a schema'd publish: owned (it crosses to the runtime) with its value as
/// JSON text in its call's [`CallTexts`].
pub struct Pending {
    /// Shared by the messages of a call to one topic.
    topic: Arc<str>,
    message: OutgoingMessage<Vec<u8>>,
    /// Where the text is in the call's texts; `None` while it is the next element of the call's
    /// JSON array text, still to be found.
    text: Option<Range<usize>>,
}

impl Pending {
    /// A message of `topic` without headers or timestamp whose value is the JSON text at `text`
    /// in its call's texts, or with `None` the next element of the call's JSON array text (see
    /// [`send_encoded`]).
    pub fn new(
        topic: Arc<str>,
        key: Option<Vec<u8>>,
        partition: Option<i32>,
        text: Option<Range<usize>>,
    ) -> Self {
        Pending {
            topic,
            message: OutgoingMessage {
                key,
                value: None,
                headers: Vec::new(),
                partition,
                timestamp: None,
            },
            text,
        }
    }

    /// The value's JSON text in its call's `texts` (empty while still to be taken from the
    /// call's array text, which [`send_encoded`] does first).
    fn text<'t>(&self, texts: &'t str) -> &'t str {
        self.text
            .clone()
            .and_then(|r| texts.get(r))
            .unwrap_or_default()
    }
}

/// Gives each message whose value is an element of the call's JSON array text (at `array` in
/// the call's `texts`: the `JSON.stringify` of those values, in slot order) its element's place.
/// When there is no such text, or it does not hold one element per such message, each of them
/// fails with `ERR_INVALID_ARG`: no message is left waiting for its text.
fn take_from_array(read: &mut [EngineResult<Pending>], texts: &str, array: Option<Range<usize>>) {
    let wanted = read
        .iter()
        .filter(|p| matches!(p, Ok(Pending { text: None, .. })))
        .count();
    if wanted == 0 {
        return;
    }
    let elements = array
        .and_then(|a| Some((a.start, array_elements(texts.get(a)?)?)))
        .filter(|(_, e)| e.len() == wanted);
    let mut elements =
        elements.map(|(start, e)| e.into_iter().map(move |r| start + r.start..start + r.end));
    for slot in read.iter_mut() {
        let Ok(Pending {
            text: text @ None, ..
        }) = slot
        else {
            continue;
        };
        match elements.as_mut().and_then(Iterator::next) {
            Some(e) => *text = Some(e),
            None => {
                *slot = Err(invalid_arg(
                    "value",
                    "packed JSON array text does not match its messages",
                ))
            }
        }
    }
}

fn owned(p: Option<Payload<'_>>) -> Option<Vec<u8>> {
    p.map(|p| p.as_ref().to_vec())
}

/// Reads a message object of a schema'd publish, its `value` through `JSON.stringify` into the
/// call's `texts`.
pub fn read_pending(
    env: &Env,
    topic: Arc<str>,
    item: Unknown<'_>,
    fields: &MessageFields,
    texts: &mut CallTexts,
) -> EngineResult<Pending> {
    let (m, value) = read_message_envelope(env, item, fields)?;
    let text = stringify(env, value, "message.value")?;
    Ok(Pending {
        topic,
        message: OutgoingMessage {
            key: owned(m.key),
            value: None,
            headers: m.headers.into_iter().map(|(k, v)| (k, owned(v))).collect(),
            partition: m.partition,
            timestamp: m.timestamp,
        },
        text: Some(texts.push(text.as_bytes())),
    })
}

/// Reads the messages (a failed read fails its slot only), then sends them as [`send_encoded`]
/// does.
pub fn publish_encoded(
    env: &Env,
    engine: Arc<KafkaEngine>,
    how: SchemaPublish,
    items: Vec<(EngineResult<String>, Unknown<'_>)>,
    settle: impl FnOnce(BatchOutcome) + Send + 'static,
) {
    let fields = match MessageFields::new(env) {
        Ok(f) => f,
        Err(e) => {
            let e = invalid_arg("message", e);
            return settle(items.iter().map(|_| Err(e.clone())).collect());
        }
    };
    let mut texts = CallTexts::default();
    let read: Vec<EngineResult<Pending>> = items
        .into_iter()
        .map(|(topic, item)| {
            topic.and_then(|t| read_pending(env, Arc::from(t), item, &fields, &mut texts))
        })
        .collect();
    send_encoded(engine, how, read, texts, settle);
}

/// On the runtime, encodes the messages read, keys those without a key by `strategy` (else
/// their topic's template's) from their headers or JSON text, and queues them after those of
/// the earlier schema'd calls; `settle` gets one outcome per message, in order. `texts`: the
/// call's JSON texts that the messages read point into.
pub fn send_encoded(
    engine: Arc<KafkaEngine>,
    how: SchemaPublish,
    mut read: Vec<EngineResult<Pending>>,
    texts: CallTexts,
    settle: impl FnOnce(BatchOutcome) + Send + 'static,
) {
    napi::bindgen_prelude::spawn(async move {
        let CallTexts { bytes, array } = texts;
        // Never so from publish.js, whose `Buffer.write` writes UTF-8 only.
        let texts = String::from_utf8(bytes).unwrap_or_else(|_| {
            for slot in read.iter_mut().filter(|s| s.is_ok()) {
                *slot = Err(invalid_arg("value", "packed JSON text is not UTF-8"));
            }
            String::new()
        });
        take_from_array(&mut read, &texts, array);
        let values: Vec<&str> = read
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|p| p.text(&texts)))
            .collect();
        let SchemaPublish {
            codec,
            reference,
            strategy,
            mut turn,
        } = how;
        let encoded = codec.encode_all(&reference, &values).await;
        drop(values);
        let mut encoded = encoded.into_iter();
        turn.wait().await;
        let slots: Vec<EngineResult<Pending>> = read
            .into_iter()
            .map(|p| {
                p.and_then(|mut p| {
                    let bytes = encoded
                        .next()
                        .unwrap_or_else(|| Err(EngineError::InvalidArg("value not encoded".into())))
                        .map_err(|e| e.about(&p.topic, p.message.partition))?;
                    p.message.value = Some(bytes);
                    if p.message.key.is_none() {
                        if let Some(s) = engine.strategy_for(&p.topic, strategy)? {
                            p.message.key = strategy_key(
                                s,
                                &p.message.headers,
                                Some(p.text(&texts).as_bytes()),
                            )
                            .map_err(|e| e.about(&p.topic, p.message.partition))?;
                        }
                    }
                    Ok(p)
                })
            })
            .collect();
        // Keyed above, from the JSON text: the encoded value may not be JSON.
        let delivery = engine.send_slots(
            slots.iter().map(|p| {
                p.as_ref()
                    .map(|p| (&*p.topic, &p.message))
                    .map_err(Clone::clone)
            }),
            Keying::AsGiven,
        );
        // Queued: the next call's messages may follow.
        drop(turn);
        match delivery {
            Ok(d) => d.on_complete(settle),
            // A slot refused before sending keeps its own error.
            Err(e) => settle(
                slots
                    .into_iter()
                    .map(|p| p.and_then(|_| Err(e.clone())))
                    .collect(),
            ),
        }
    });
}

/// `publish(topic, message, {schema})`: resolves like `publish`, or rejects with the encoding
/// error (`ERR_SCHEMA_VALIDATION`, `ERR_SCHEMA_NOT_FOUND`, `ERR_SCHEMA_REGISTRY`, ...).
pub fn publish_one<'e>(
    env: &'e Env,
    engine: Arc<KafkaEngine>,
    settler: &Settler,
    how: SchemaPublish,
    topic: String,
    message: Unknown<'e>,
) -> EngineResult<Unknown<'e>> {
    let (promise, settle_one) = settler.one(env).map_err(|e| invalid_arg("publish", e))?;
    publish_encoded(env, engine, how, vec![(Ok(topic), message)], settle_one);
    Ok(promise)
}
