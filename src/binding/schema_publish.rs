//! `publish` / `publishBatch` with `{schema}`: values are `JSON.stringify`-ed on the JS thread,
//! then encoded (and their schema fetched, once) on the tokio runtime before they are queued.
//! The schema-less publish path does not go through here.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::args;
use crate::binding::error::invalid_arg;
use crate::binding::message::{read_message_envelope, MessageFields, Payload};
use crate::binding::schema_registry::{stringify, JsSchemaReference};
use crate::binding::settlement::Settler;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::BatchOutcome;
use crate::engine::schema::codec::{SchemaCodec, SchemaRef};
use crate::engine::service::KafkaEngine;

/// Options of `publish` and `publishBatch`.
#[napi(object, js_name = "PublishOptions")]
pub struct JsPublishOptions {
    /// Encode each message's `value` (any JSON-able value) with this registered schema, through
    /// the registry given to `useSchemaRegistry()`.
    #[napi(ts_type = "SchemaReference")]
    pub schema: Option<JsSchemaReference>,
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

/// The schema a publish call asks for, if any: `None` for no options or no `schema`.
pub fn requested_schema(
    env: &Env,
    options: Option<Unknown<'_>>,
) -> EngineResult<Option<SchemaRef>> {
    let Some(options) = options else {
        return Ok(None);
    };
    match options.get_type().map_err(|e| invalid_arg("options", e))? {
        ValueType::Undefined | ValueType::Null => return Ok(None),
        ValueType::Object if !options.is_array().unwrap_or(false) => {}
        _ => return Err(invalid_arg("options", "expected {schema}")),
    }
    let o: JsPublishOptions = args::read(env, options, "options")?;
    o.schema.as_ref().map(SchemaRef::try_from).transpose()
}

/// A message read for a schema'd publish: owned (it crosses to the runtime) with its value as
/// JSON text.
struct Pending {
    topic: String,
    message: OutgoingMessage<Vec<u8>>,
    text: String,
}

fn owned(p: Option<Payload<'_>>) -> Option<Vec<u8>> {
    p.map(|p| p.as_ref().to_vec())
}

fn read_pending(
    env: &Env,
    topic: String,
    item: Unknown<'_>,
    fields: &MessageFields,
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
        text,
    })
}

/// Reads the messages (a failed read fails its slot only), then on the runtime encodes them and
/// queues the encoded ones; `settle` gets one outcome per message, in order.
pub fn publish_encoded(
    env: &Env,
    engine: Arc<KafkaEngine>,
    codec: Arc<SchemaCodec>,
    reference: SchemaRef,
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
    let read: Vec<EngineResult<Pending>> = items
        .into_iter()
        .map(|(topic, item)| topic.and_then(|t| read_pending(env, t, item, &fields)))
        .collect();
    napi::bindgen_prelude::spawn(async move {
        let texts: Vec<String> = read
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|p| p.text.clone()))
            .collect();
        let mut encoded = codec.encode_all(&reference, &texts).await.into_iter();
        let mut slots: Vec<Option<EngineResult<_>>> = Vec::with_capacity(read.len());
        let mut ready: Vec<(usize, Pending)> = Vec::with_capacity(read.len());
        for (i, p) in read.into_iter().enumerate() {
            let outcome = p.and_then(|mut p| {
                let bytes = encoded
                    .next()
                    .unwrap_or_else(|| Err(EngineError::InvalidArg("value not encoded".into())))
                    .map_err(|e| e.about(&p.topic, p.message.partition))?;
                p.message.value = Some(bytes);
                Ok(p)
            });
            match outcome {
                Ok(p) => {
                    slots.push(None);
                    ready.push((i, p));
                }
                Err(e) => slots.push(Some(Err(e))),
            }
        }
        let delivery = engine.send_batch(ready.iter().map(|(_, p)| (p.topic.as_str(), &p.message)));
        let indices: Vec<usize> = ready.iter().map(|(i, _)| *i).collect();
        let place = move |results: BatchOutcome| {
            for (i, r) in indices.into_iter().zip(results) {
                slots[i] = Some(r);
            }
            settle(
                slots
                    .into_iter()
                    .map(|s| {
                        s.unwrap_or_else(|| {
                            Err(EngineError::InvalidArg("no delivery report".into()))
                        })
                    })
                    .collect(),
            )
        };
        match delivery {
            Ok(d) => d.on_complete(place),
            Err(e) => {
                let failed = ready.iter().map(|_| Err(e.clone())).collect();
                place(failed)
            }
        }
    });
}

/// `publish(topic, message, {schema})`: resolves like `publish`, or rejects with the encoding
/// error (`ERR_SCHEMA_VALIDATION`, `ERR_SCHEMA_NOT_FOUND`, `ERR_SCHEMA_REGISTRY`, ...).
pub fn publish_one<'e>(
    env: &'e Env,
    engine: Arc<KafkaEngine>,
    settler: &Settler,
    codec: Arc<SchemaCodec>,
    reference: SchemaRef,
    topic: String,
    message: Unknown<'e>,
) -> EngineResult<Unknown<'e>> {
    let (promise, settle_one) = settler.one(env).map_err(|e| invalid_arg("publish", e))?;
    publish_encoded(
        env,
        engine,
        codec,
        reference,
        vec![(Ok(topic), message)],
        settle_one,
    );
    Ok(promise)
}
