//! `SchemaRegistry`: the engine's registry client and codec for JS. Every call runs on the tokio
//! runtime (HTTP, encoding, decoding); only argument reading and `JSON.stringify` /
//! `JSON.parse` happen on the JS thread.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, ValueType};

use crate::binding::args;
use crate::binding::error::invalid_arg;
use crate::binding::promise::{rejected, settle};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::schema::codec::{CompiledSchema, Decoded, SchemaCodec, SchemaRef};
use crate::engine::schema::registry::{
    RegisteredSchema, RegistryClient, RegistryConfig, SchemaType, Version,
};

/// How to reach a Confluent-API Schema Registry.
#[napi(object, js_name = "SchemaRegistryOptions")]
pub struct JsSchemaRegistryOptions {
    /// Base URL of the Confluent API: `http://127.0.0.1:8081`, or for Apicurio
    /// `http://host:port/apis/ccompat/v7`. Credentials in the URL are used as basic auth.
    pub url: String,
    /// Basic auth user name.
    pub username: Option<String>,
    /// Basic auth password.
    pub password: Option<String>,
    /// PEM CA certificate(s) to trust for an `https` URL, besides the system's.
    pub ca: Option<String>,
    /// Per-request timeout. Default 10000.
    pub timeout_ms: Option<u32>,
    /// Further attempts after a retriable failure (unreachable, timed out, HTTP 5xx). Default 2.
    pub retries: Option<u32>,
    /// How long the id of a subject's `latest` version is reused before it is asked again.
    /// Default 5000.
    pub latest_cache_ms: Option<u32>,
}

/// Which registered schema to encode with: `{subject, version?}` (version a number or
/// `'latest'`, the default) or `{id}`.
#[napi(object, js_name = "SchemaReference")]
pub struct JsSchemaReference {
    /// Subject (`<topic>-value` by Confluent's naming).
    pub subject: Option<String>,
    /// Version within the subject. Default `'latest'`.
    #[napi(ts_type = "number | 'latest'")]
    pub version: Option<Either<i32, String>>,
    /// A registry id, instead of a subject.
    pub id: Option<u32>,
}

/// A schema as the registry returned it.
#[napi(object, js_name = "RegisteredSchema")]
pub struct JsRegisteredSchema {
    pub id: u32,
    pub subject: Option<String>,
    pub version: Option<i32>,
    /// Schema text.
    pub schema: String,
    #[napi(ts_type = "'AVRO' | 'JSON' | 'PROTOBUF'")]
    pub schema_type: String,
}

/// Options of `decode()` and of a subscription's decoding.
#[napi(object, js_name = "DecodeOptions")]
pub struct JsDecodeOptions {
    /// Avro reader schema (text) to resolve every value to (added fields take their defaults,
    /// removed fields are dropped), instead of each value's writer schema.
    pub reader_schema: Option<String>,
}

/// A decoded value and the registry id of the schema it was written with.
#[allow(dead_code)] // a TypeScript declaration: built by hand (the value is JSON.parse's)
#[napi(
    object,
    js_name = "DecodedValue",
    object_from_js = false,
    object_to_js = false
)]
pub struct JsDecodedValue {
    pub schema_id: u32,
    pub value: Unknown<'static>,
}

impl From<RegisteredSchema> for JsRegisteredSchema {
    fn from(s: RegisteredSchema) -> Self {
        JsRegisteredSchema {
            id: s.id,
            subject: s.subject,
            version: s.version,
            schema: s.schema,
            schema_type: s.schema_type.as_str().into(),
        }
    }
}

impl TryFrom<&JsSchemaReference> for SchemaRef {
    type Error = EngineError;

    /// `ERR_INVALID_ARG` unless it is `{subject, version?}` or `{id}`.
    fn try_from(r: &JsSchemaReference) -> EngineResult<Self> {
        match (&r.subject, r.id) {
            (Some(subject), None) => Ok(SchemaRef::Subject {
                subject: subject.clone(),
                version: version_of(r.version.as_ref())?,
            }),
            (None, Some(id)) if r.version.is_none() => Ok(SchemaRef::Id(id)),
            _ => Err(invalid_arg(
                "schema",
                "expected {subject, version?} or {id}",
            )),
        }
    }
}

impl From<&JsSchemaRegistryOptions> for RegistryConfig {
    fn from(o: &JsSchemaRegistryOptions) -> Self {
        RegistryConfig {
            url: o.url.clone(),
            username: o.username.clone(),
            password: o.password.clone(),
            ca_pem: o.ca.clone(),
            timeout: o.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
            retries: o.retries,
        }
    }
}

fn version_of(v: Option<&Either<i32, String>>) -> EngineResult<Version> {
    match v {
        None => Ok(Version::Latest),
        Some(Either::A(n)) if *n > 0 => Ok(Version::Number(*n)),
        Some(Either::B(s)) if s == "latest" => Ok(Version::Latest),
        _ => Err(invalid_arg(
            "version",
            "expected a positive integer or 'latest'",
        )),
    }
}

fn schema_type_of(t: Option<&str>) -> EngineResult<SchemaType> {
    SchemaType::parse(t)
}

/// Compiles an optional Avro or JSON reader schema (an Avro one unless it does not parse as
/// Avro).
pub fn reader_schema(
    options: Option<&JsDecodeOptions>,
) -> EngineResult<Option<Arc<CompiledSchema>>> {
    let Some(text) = options.and_then(|o| o.reader_schema.as_deref()) else {
        return Ok(None);
    };
    let compiled = CompiledSchema::compile(text, SchemaType::Avro)
        .or_else(|_| CompiledSchema::compile(text, SchemaType::Json))?;
    Ok(Some(Arc::new(compiled)))
}

/// `JSON.stringify(value)`; `ERR_INVALID_ARG` for what has no JSON form (undefined, functions,
/// BigInt, cycles).
pub fn stringify(env: &Env, value: Unknown<'_>, what: &str) -> EngineResult<String> {
    let json: Object = env
        .get_global()
        .and_then(|g| g.get_named_property("JSON"))
        .map_err(|e| invalid_arg(what, e))?;
    let f: Function<Unknown, Unknown> = json
        .get_named_property("stringify")
        .map_err(|e| invalid_arg(what, e))?;
    let out = f
        .call(value)
        .map_err(|e| invalid_arg(what, format!("has no JSON form: {}", e.reason)))?;
    if out.get_type().map_err(|e| invalid_arg(what, e))? != ValueType::String {
        return Err(invalid_arg(what, "has no JSON form"));
    }
    args::read(env, out, what)
}

/// `JSON.parse(text)` of a decoded value.
pub fn parse_json<'e>(env: &'e Env, text: &str) -> Result<Unknown<'e>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let f: Function<&str, Unknown> = json.get_named_property("parse")?;
    f.call(text)
}

/// `{schemaId, value}` for a decoded value.
pub fn decoded_to_js<'e>(env: &'e Env, d: &Decoded) -> Result<Object<'e>> {
    let mut o = Object::new(env)?;
    o.set("schemaId", d.schema_id)?;
    o.set("value", parse_json(env, &d.json)?)?;
    Ok(o)
}

/// A client of a Confluent-API Schema Registry, and the Avro / JSON Schema codec over it
/// (schemas cached by id). Give it to `KafkaService.useSchemaRegistry()` to publish and consume
/// schema'd values, or call it directly (as with `@kafkajs/confluent-schema-registry`). Every
/// method rejects with `KafkaNativeError`: `ERR_SCHEMA_REGISTRY` (with the registry's
/// `registryCode`: 409 incompatible, 42201 invalid, 0 unreachable), `ERR_SCHEMA_NOT_FOUND`
/// (40401 subject, 40402 version, 40403 id), `ERR_SCHEMA_VALIDATION` (with the offending
/// field's `path`), `ERR_SCHEMA_DECODE`, `ERR_INVALID_ARG`.
#[napi]
pub struct SchemaRegistry {
    pub(crate) codec: Arc<SchemaCodec>,
}

#[napi]
impl SchemaRegistry {
    /// Creates the client; throws `ERR_INVALID_CONFIG` for a URL that is not http(s) or a CA
    /// that is not PEM. Does not contact the registry.
    #[napi(constructor)]
    pub fn new(env: Env, options: JsSchemaRegistryOptions) -> Result<Self> {
        let client = RegistryClient::new(&RegistryConfig::from(&options))
            .map_err(|e| crate::binding::error::to_napi_error(&env, &e))?;
        let ttl = Duration::from_millis(options.latest_cache_ms.unwrap_or(5000).into());
        Ok(SchemaRegistry {
            codec: Arc::new(SchemaCodec::new(client, ttl)),
        })
    }

    /// Registers a schema (normalised first) under `subject`; resolves with its id, the same id
    /// when it is already registered. `schemaType` defaults to `'AVRO'`.
    #[napi(ts_args_type = "subject: string, schema: string, schemaType?: 'AVRO' | 'JSON'")]
    pub fn register<'e>(
        &self,
        env: &'e Env,
        subject: String,
        schema: String,
        schema_type: Option<String>,
    ) -> Result<PromiseRaw<'e, u32>> {
        let codec = self.codec.clone();
        let t = match schema_type_of(schema_type.as_deref()) {
            Ok(t) => t,
            Err(e) => return rejected(env, e),
        };
        settle(
            env,
            async move { codec.client().register(&subject, &schema, t).await },
            |_, id| Ok(id),
        )
    }

    /// The schema with registry id `id`.
    #[napi]
    pub fn get_schema<'e>(
        &self,
        env: &'e Env,
        id: u32,
    ) -> Result<PromiseRaw<'e, JsRegisteredSchema>> {
        let codec = self.codec.clone();
        settle(
            env,
            async move { codec.client().schema_by_id(id).await },
            |_, s| Ok(s.into()),
        )
    }

    /// A version (number, or `'latest'`, the default) of `subject`.
    #[napi(ts_args_type = "subject: string, version?: number | 'latest'")]
    pub fn get_version<'e>(
        &self,
        env: &'e Env,
        subject: String,
        version: Option<Either<i32, String>>,
    ) -> Result<PromiseRaw<'e, JsRegisteredSchema>> {
        let codec = self.codec.clone();
        let v = match version_of(version.as_ref()) {
            Ok(v) => v,
            Err(e) => return rejected(env, e),
        };
        settle(
            env,
            async move { codec.client().version(&subject, v).await },
            |_, s| Ok(s.into()),
        )
    }

    /// Whether `schema` could be registered as the next version of `subject` under its
    /// compatibility level (checked against `version`, default `'latest'`).
    #[napi(
        ts_args_type = "subject: string, schema: string, schemaType?: 'AVRO' | 'JSON', version?: number | 'latest'"
    )]
    pub fn is_compatible<'e>(
        &self,
        env: &'e Env,
        subject: String,
        schema: String,
        schema_type: Option<String>,
        version: Option<Either<i32, String>>,
    ) -> Result<PromiseRaw<'e, bool>> {
        let codec = self.codec.clone();
        let parsed = schema_type_of(schema_type.as_deref())
            .and_then(|t| version_of(version.as_ref()).map(|v| (t, v)));
        let (t, v) = match parsed {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        settle(
            env,
            async move { codec.client().is_compatible(&subject, v, &schema, t).await },
            |_, ok| Ok(ok),
        )
    }

    /// Every subject.
    #[napi]
    pub fn subjects<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Vec<String>>> {
        let codec = self.codec.clone();
        settle(
            env,
            async move { codec.client().subjects().await },
            |_, s| Ok(s),
        )
    }

    /// The version numbers of `subject`.
    #[napi]
    pub fn versions<'e>(&self, env: &'e Env, subject: String) -> Result<PromiseRaw<'e, Vec<i32>>> {
        let codec = self.codec.clone();
        settle(
            env,
            async move { codec.client().versions(&subject).await },
            |_, v| Ok(v),
        )
    }

    /// Deletes one version of `subject`; resolves with its number.
    #[napi(ts_args_type = "subject: string, version: number | 'latest'")]
    pub fn delete_version<'e>(
        &self,
        env: &'e Env,
        subject: String,
        version: Either<i32, String>,
    ) -> Result<PromiseRaw<'e, i32>> {
        let codec = self.codec.clone();
        let v = match version_of(Some(&version)) {
            Ok(v) => v,
            Err(e) => return rejected(env, e),
        };
        settle(
            env,
            async move { codec.client().delete_version(&subject, v).await },
            |_, n| Ok(n),
        )
    }

    /// Deletes `subject` and its versions; resolves with the versions deleted.
    #[napi]
    pub fn delete_subject<'e>(
        &self,
        env: &'e Env,
        subject: String,
    ) -> Result<PromiseRaw<'e, Vec<i32>>> {
        let codec = self.codec.clone();
        settle(
            env,
            async move { codec.client().delete_subject(&subject).await },
            |_, v| Ok(v),
        )
    }

    /// Sets the compatibility level of `subject` (or the registry's default without one).
    #[napi(
        ts_args_type = "level: 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE', subject?: string"
    )]
    pub fn set_compatibility<'e>(
        &self,
        env: &'e Env,
        level: String,
        subject: Option<String>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let codec = self.codec.clone();
        settle(
            env,
            async move {
                codec
                    .client()
                    .set_compatibility(subject.as_deref(), &level)
                    .await
            },
            |_, ()| Ok(()),
        )
    }

    /// Encodes a value (any JSON-able JS value; `JSON.stringify` is the only work on the JS
    /// thread) with the schema `schema` names, framed in the Confluent wire format.
    #[napi(
        ts_args_type = "schema: SchemaReference, value: unknown",
        ts_return_type = "Promise<Buffer>"
    )]
    pub fn encode<'e>(
        &self,
        env: &'e Env,
        schema: JsSchemaReference,
        value: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Buffer>> {
        let prepared =
            SchemaRef::try_from(&schema).and_then(|r| Ok((r, stringify(env, value, "value")?)));
        let (r, text) = match prepared {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let codec = self.codec.clone();
        settle(
            env,
            async move {
                let mut out = codec.encode_all(&r, std::slice::from_ref(&text)).await;
                out.pop()
                    .unwrap_or_else(|| Err(EngineError::InvalidArg("nothing encoded".into())))
            },
            |_, bytes| Ok(Buffer::from(bytes)),
        )
    }

    /// Decodes a value framed in the Confluent wire format, by the schema id in its header
    /// (fetched once, then cached); resolves with `{schemaId, value}`.
    #[napi(ts_return_type = "Promise<DecodedValue>")]
    pub fn decode<'e>(
        &self,
        env: &'e Env,
        data: Buffer,
        options: Option<JsDecodeOptions>,
    ) -> Result<PromiseRaw<'e, Object<'e>>> {
        let reader = match reader_schema(options.as_ref()) {
            Ok(r) => r,
            Err(e) => return rejected(env, e),
        };
        let codec = self.codec.clone();
        let bytes = data.to_vec();
        settle(
            env,
            async move { codec.decode(&bytes, reader.as_deref()).await },
            |env, d| decoded_to_js(env, &d),
        )
    }
}
