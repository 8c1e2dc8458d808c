//! Encoding to and decoding from the Confluent wire format through a registry, with the
//! registry's answers cached: compiled schemas by id (ids never change meaning), subject versions
//! by number, and `latest` for a short time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::schema::avro::AvroSchema;
use crate::engine::schema::avro_decoder::AvroDecoder;
use crate::engine::schema::json_schema::JsonSchema;
use crate::engine::schema::json_text::parse_value;
use crate::engine::schema::registry::{RegisteredSchema, RegistryClient, SchemaType, Version};
use crate::engine::schema::wire;

/// A schema ready to encode and decode with.
#[derive(Debug)]
pub enum CompiledSchema {
    /// An Avro schema.
    Avro(Arc<AvroSchema>),
    /// A JSON Schema.
    Json(JsonSchema),
}

impl CompiledSchema {
    /// Compiles registry schema text of `schema_type`; Protobuf is `ERR_SCHEMA_VALIDATION`
    /// (not supported).
    pub fn compile(text: &str, schema_type: SchemaType) -> EngineResult<Self> {
        match schema_type {
            SchemaType::Avro => AvroSchema::parse(text).map(|s| CompiledSchema::Avro(Arc::new(s))),
            SchemaType::Json => JsonSchema::parse(text).map(CompiledSchema::Json),
            SchemaType::Protobuf => Err(EngineError::SchemaValidation {
                path: String::new(),
                message: "Protobuf schemas are not supported for encoding".into(),
            }),
        }
    }

    /// The framed encoding of the JSON `text` for schema `id`. `ERR_SCHEMA_VALIDATION` (with
    /// the offending field's path) when it does not match; `ERR_INVALID_ARG` when it is not JSON.
    pub fn encode(&self, id: u32, text: &str) -> EngineResult<Vec<u8>> {
        match self {
            CompiledSchema::Avro(s) => {
                let mut out = wire::begin(id, text.len() / 2);
                s.encode_text(text, &mut out)?;
                Ok(out)
            }
            CompiledSchema::Json(s) => {
                s.validate(&parse_value(text)?)?;
                let mut out = wire::begin(id, text.len());
                out.extend_from_slice(text.as_bytes());
                Ok(out)
            }
        }
    }

    /// The JSON text of a body written with this schema, resolved to `reader` (Avro only).
    fn decode_body(&self, body: &[u8], reader: Option<&CompiledSchema>) -> EngineResult<String> {
        match self {
            CompiledSchema::Avro(writer) => match reader {
                None => writer.decode(body, None),
                Some(CompiledSchema::Avro(r)) => writer.decode(body, Some(r)),
                Some(CompiledSchema::Json(_)) => Err(EngineError::SchemaDecode(
                    "an Avro value cannot be read with a JSON Schema".into(),
                )),
            },
            CompiledSchema::Json(writer) => {
                let text = std::str::from_utf8(body)
                    .map_err(|e| EngineError::SchemaDecode(format!("JSON body: {e}")))?;
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| EngineError::SchemaDecode(format!("JSON body: {e}")))?;
                let check = match reader {
                    Some(CompiledSchema::Json(r)) => r,
                    Some(CompiledSchema::Avro(_)) => {
                        return Err(EngineError::SchemaDecode(
                            "a JSON value cannot be read with an Avro schema".into(),
                        ))
                    }
                    None => writer,
                };
                check.validate(&value)?;
                Ok(text.to_string())
            }
        }
    }
}

/// Which registered schema to encode with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaRef {
    /// A registry id.
    Id(u32),
    /// A subject's version.
    Subject {
        /// Subject name (`<topic>-value` by Confluent's default naming).
        subject: String,
        /// Version number or latest.
        version: Version,
    },
}

/// A decoded value: the writer schema's id and the value as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Registry id of the schema the value was written with.
    pub schema_id: u32,
    /// The value as JSON text.
    pub json: String,
}

/// Decodes the bodies written with one schema: an Avro decoder built for the pair, or the
/// compiled writer schema (JSON Schema, or a reader of the other language: an error per value).
enum BodyDecoder {
    Avro(Arc<AvroDecoder>),
    Compiled(Arc<CompiledSchema>),
}

impl BodyDecoder {
    fn decode(&self, body: &[u8], reader: Option<&CompiledSchema>) -> EngineResult<String> {
        match self {
            BodyDecoder::Avro(d) => d.decode(body),
            BodyDecoder::Compiled(writer) => writer.decode_body(body, reader),
        }
    }
}

/// Avro decoders by writer id: one per reader schema the id was read as (`None`: the writer's).
type Decoders = HashMap<u32, Vec<Arc<AvroDecoder>>>;

/// Encoder/decoder over one registry. Shared (`Arc`) by every publish and subscription that use
/// it.
#[derive(Debug)]
pub struct SchemaCodec {
    client: RegistryClient,
    by_id: Mutex<HashMap<u32, Arc<OnceCell<Arc<CompiledSchema>>>>>,
    decoders: Mutex<Decoders>,
    by_version: Mutex<HashMap<(String, i32), u32>>,
    latest: Mutex<HashMap<String, (u32, Instant)>>,
    latest_ttl: Duration,
}

/// Locks a cache; a panic elsewhere while it was held leaves a map that is still consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SchemaCodec {
    /// A codec over `client`; `latest_ttl` is how long a subject's `latest` id is reused before
    /// it is asked again.
    pub fn new(client: RegistryClient, latest_ttl: Duration) -> Self {
        SchemaCodec {
            client,
            by_id: Mutex::new(HashMap::new()),
            decoders: Mutex::new(HashMap::new()),
            by_version: Mutex::new(HashMap::new()),
            latest: Mutex::new(HashMap::new()),
            latest_ttl,
        }
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    fn cell(&self, id: u32) -> Arc<OnceCell<Arc<CompiledSchema>>> {
        lock(&self.by_id).entry(id).or_default().clone()
    }

    /// The compiled schema with registry id `id`, fetched once (concurrent callers share the
    /// fetch; a failed fetch is not cached).
    pub async fn schema(&self, id: u32) -> EngineResult<Arc<CompiledSchema>> {
        let cell = self.cell(id);
        let found = cell
            .get_or_try_init(|| async {
                let s = self.client.schema_by_id(id).await?;
                CompiledSchema::compile(&s.schema, s.schema_type).map(Arc::new)
            })
            .await
            .cloned();
        if found.is_err() {
            // Ids from garbage frames must not grow the cache: forget a cell nobody filled.
            let mut cells = lock(&self.by_id);
            if cells.get(&id).is_some_and(|c| c.get().is_none()) {
                cells.remove(&id);
            }
        }
        found
    }

    /// Caches a schema the registry returned for a subject lookup under its id.
    pub(crate) async fn remember(&self, s: &RegisteredSchema) -> EngineResult<Arc<CompiledSchema>> {
        let cell = self.cell(s.id);
        cell.get_or_try_init(|| async {
            CompiledSchema::compile(&s.schema, s.schema_type).map(Arc::new)
        })
        .await
        .cloned()
    }

    /// The id and compiled schema a reference names.
    pub async fn resolve(&self, r: &SchemaRef) -> EngineResult<(u32, Arc<CompiledSchema>)> {
        let (subject, version) = match r {
            SchemaRef::Id(id) => return Ok((*id, self.schema(*id).await?)),
            SchemaRef::Subject { subject, version } => (subject, *version),
        };
        let cached = match version {
            Version::Number(n) => lock(&self.by_version).get(&(subject.clone(), n)).copied(),
            Version::Latest => lock(&self.latest)
                .get(subject)
                .filter(|(_, at)| at.elapsed() < self.latest_ttl)
                .map(|(id, _)| *id),
        };
        if let Some(id) = cached {
            return Ok((id, self.schema(id).await?));
        }
        let found = self.client.version(subject, version).await?;
        let compiled = self.remember(&found).await?;
        match version {
            Version::Number(n) => {
                lock(&self.by_version).insert((subject.clone(), n), found.id);
            }
            Version::Latest => {
                lock(&self.latest).insert(subject.clone(), (found.id, Instant::now()));
            }
        }
        Ok((found.id, compiled))
    }

    /// Encodes JSON texts with the schema `r` names, one result per text (a value that does not
    /// match fails alone). A reference that does not resolve fails every slot with its error.
    pub async fn encode_all(
        &self,
        r: &SchemaRef,
        texts: &[impl AsRef<str>],
    ) -> Vec<EngineResult<Vec<u8>>> {
        match self.resolve(r).await {
            Ok((id, schema)) => texts
                .iter()
                .map(|t| schema.encode(id, t.as_ref()))
                .collect(),
            Err(e) => texts.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    /// Decodes a framed value by the schema id in its header, resolved to `reader` when given.
    /// `ERR_SCHEMA_DECODE` for bytes that are not a framed value of their schema,
    /// `ERR_SCHEMA_NOT_FOUND` for an id the registry does not know.
    pub async fn decode(
        &self,
        bytes: &[u8],
        reader: Option<&CompiledSchema>,
    ) -> EngineResult<Decoded> {
        let (schema_id, body) = wire::split(bytes)?;
        let json = self
            .body_decoder(schema_id, reader)
            .await?
            .decode(body, reader)?;
        Ok(Decoded { schema_id, json })
    }

    /// Decodes a batch's values in order (`None` for a tombstone), each as [`decode`] does. The
    /// writer schema and its decoder are looked up once per run of values with the same id, and a
    /// failed lookup fails the rest of the run without asking the registry again (a registry that
    /// is down costs one wait per batch, not one per message).
    ///
    /// [`decode`]: SchemaCodec::decode
    pub async fn decode_all(
        &self,
        values: &[Option<&[u8]>],
        reader: Option<&CompiledSchema>,
    ) -> Vec<Option<EngineResult<Decoded>>> {
        let mut out = Vec::with_capacity(values.len());
        let mut last: Option<(u32, EngineResult<BodyDecoder>)> = None;
        for v in values {
            let Some(bytes) = *v else {
                out.push(None);
                continue;
            };
            let (schema_id, body) = match wire::split(bytes) {
                Ok(split) => split,
                Err(e) => {
                    out.push(Some(Err(e)));
                    continue;
                }
            };
            let decoder = match last {
                Some((id, ref d)) if id == schema_id => d,
                _ => {
                    &last
                        .insert((schema_id, self.body_decoder(schema_id, reader).await))
                        .1
                }
            };
            out.push(Some(match decoder {
                Ok(d) => d
                    .decode(body, reader)
                    .map(|json| Decoded { schema_id, json }),
                Err(e) => Err(e.clone()),
            }));
        }
        out
    }

    /// What decodes bodies written with schema `id` for `reader`.
    async fn body_decoder(
        &self,
        id: u32,
        reader: Option<&CompiledSchema>,
    ) -> EngineResult<BodyDecoder> {
        let writer = self.schema(id).await?;
        Ok(match (&*writer, reader) {
            (CompiledSchema::Avro(w), None) => BodyDecoder::Avro(self.avro_decoder(id, w, None)?),
            (CompiledSchema::Avro(w), Some(CompiledSchema::Avro(r))) => {
                BodyDecoder::Avro(self.avro_decoder(id, w, Some(r))?)
            }
            _ => BodyDecoder::Compiled(writer),
        })
    }

    /// The decoder from writer `id` to `reader`, built on first use. Reader schemas are told
    /// apart by canonical form, so a reader compiled again per call (`registry.decode` with a
    /// `readerSchema`) reuses the decoder too; the list per id stays as short as the number of
    /// distinct reader schemas.
    fn avro_decoder(
        &self,
        id: u32,
        writer: &Arc<AvroSchema>,
        reader: Option<&Arc<AvroSchema>>,
    ) -> EngineResult<Arc<AvroDecoder>> {
        let found = lock(&self.decoders).get(&id).and_then(|ds| {
            ds.iter()
                .find(|d| d.reads_as(reader.map(|r| &**r)))
                .cloned()
        });
        if let Some(d) = found {
            return Ok(d);
        }
        let built = Arc::new(AvroDecoder::build(writer.clone(), reader.cloned())?);
        lock(&self.decoders)
            .entry(id)
            .or_default()
            .push(built.clone());
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::registry::RegistryConfig;

    #[tokio::test]
    async fn failed_lookups_are_typed_and_not_cached() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = RegistryClient::new(&RegistryConfig {
            url: format!("http://127.0.0.1:{port}"),
            retries: Some(0),
            ..Default::default()
        })
        .unwrap();
        let codec = SchemaCodec::new(client, Duration::from_secs(1));
        for id in 1..20u32 {
            let mut frame = wire::begin(id, 1);
            frame.push(0);
            assert_eq!(
                codec.decode(&frame, None).await.unwrap_err().code(),
                "ERR_SCHEMA_REGISTRY"
            );
        }
        assert!(lock(&codec.by_id).is_empty());
        assert_eq!(
            codec.decode(&[1, 2], None).await.unwrap_err().code(),
            "ERR_SCHEMA_DECODE"
        );
    }

    #[test]
    fn compiled_schemas_frame_and_unframe() {
        let avro = CompiledSchema::compile(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
            SchemaType::Avro,
        )
        .unwrap();
        let framed = avro.encode(7, r#"{"a": 5}"#).unwrap();
        assert_eq!(framed, vec![0, 0, 0, 0, 7, 10]);
        let (id, body) = wire::split(&framed).unwrap();
        assert_eq!(id, 7);
        assert_eq!(avro.decode_body(body, None).unwrap(), r#"{"a":5}"#);
        assert_eq!(avro.encode(7, "{").unwrap_err().code(), "ERR_INVALID_ARG");

        let json =
            CompiledSchema::compile(r#"{"type":"object","required":["a"]}"#, SchemaType::Json)
                .unwrap();
        let framed = json.encode(9, r#"{"a":1}"#).unwrap();
        assert_eq!(&framed[5..], br#"{"a":1}"#);
        assert_eq!(json.decode_body(&framed[5..], None).unwrap(), r#"{"a":1}"#);
        assert_eq!(
            json.encode(9, "{}").unwrap_err().code(),
            "ERR_SCHEMA_VALIDATION"
        );
        assert_eq!(
            json.decode_body(b"\xff", None).unwrap_err().code(),
            "ERR_SCHEMA_DECODE"
        );
        assert_eq!(
            CompiledSchema::compile("syntax = \"proto3\";", SchemaType::Protobuf)
                .unwrap_err()
                .code(),
            "ERR_SCHEMA_VALIDATION"
        );
    }
}
