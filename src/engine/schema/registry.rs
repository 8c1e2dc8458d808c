//! An async client of a Confluent-API Schema Registry (Confluent's own, Apicurio's `ccompat`,
//! Redpanda's ...): register, look up, check compatibility, list and delete. Every failure is a
//! typed `EngineError` carrying the registry's error code.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::schema::avro::AvroSchema;
use crate::engine::schema::json_schema::JsonSchema;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// Base URL of the Confluent API (`http://127.0.0.1:8081`, or Apicurio's
    /// `http://host:port/apis/ccompat/v7`). Credentials in the URL are used as basic auth.
    pub url: String,
    /// Basic auth user name.
    pub username: Option<String>,
    /// Basic auth password.
    pub password: Option<String>,
    /// PEM certificate(s) of CAs to trust for an `https` URL, besides the system's.
    pub ca_pem: Option<String>,
    /// Per-request timeout (default 10 s).
    pub timeout: Option<Duration>,
    /// Further attempts after a request failed retriably: unreachable, timed out or 5xx
    /// (default 2).
    pub retries: Option<u32>,
}

/// The schema languages the registry knows; kafka-native encodes Avro and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    /// Apache Avro (the registry's default).
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers: listed and registered, but not encoded by kafka-native.
    Protobuf,
}

impl SchemaType {
    /// The registry's name (`AVRO`, `JSON`, `PROTOBUF`).
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }

    /// From the registry's name; a missing `schemaType` means Avro.
    pub fn parse(name: Option<&str>) -> EngineResult<Self> {
        match name.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Ok(SchemaType::Avro),
            Some("JSON") => Ok(SchemaType::Json),
            Some("PROTOBUF") => Ok(SchemaType::Protobuf),
            Some(other) => Err(EngineError::InvalidArg(format!(
                "schemaType: expected 'AVRO', 'JSON' or 'PROTOBUF', got '{other}'"
            ))),
        }
    }
}

/// A schema as the registry returned it.
#[derive(Debug, Clone)]
pub struct RegisteredSchema {
    /// Registry id (the one in the wire format).
    pub id: u32,
    /// Subject, when looked up by subject.
    pub subject: Option<String>,
    /// Version within the subject, when looked up by subject.
    pub version: Option<i32>,
    /// Schema text.
    pub schema: String,
    /// Schema language.
    pub schema_type: SchemaType,
}

/// A version of a subject: a number, or the latest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The latest version at the time of the call.
    Latest,
    /// A version number (1-based).
    Number(i32),
}

impl Version {
    fn segment(self) -> String {
        match self {
            Version::Latest => "latest".into(),
            Version::Number(n) => n.to_string(),
        }
    }
}

/// The registry client. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: Url,
    auth: Option<(String, Option<String>)>,
    retries: u32,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Schema text in a stable form: parsed and written back compactly with sorted object keys, so
/// that the same schema written differently registers (and is looked up) as the same schema.
/// `ERR_SCHEMA_VALIDATION` when it is not a valid schema of its type.
pub fn normalize(schema: &str, schema_type: SchemaType) -> EngineResult<String> {
    match schema_type {
        SchemaType::Avro => {
            AvroSchema::parse(schema)?;
        }
        SchemaType::Json => {
            JsonSchema::parse(schema)?;
        }
        SchemaType::Protobuf => return Ok(schema.to_string()),
    }
    let value: Value = serde_json::from_str(schema).map_err(|e| EngineError::SchemaValidation {
        path: String::new(),
        message: format!("schema is not JSON: {e}"),
    })?;
    Ok(value.to_string())
}

fn config_error(detail: impl std::fmt::Display) -> EngineError {
    EngineError::InvalidConfig(format!("schema registry: {detail}"))
}

impl RegistryClient {
    /// A client for `config`; `ERR_INVALID_CONFIG` for a URL that is not http(s) or a CA that is
    /// not PEM. Does not contact the registry.
    pub fn new(config: &RegistryConfig) -> EngineResult<Self> {
        let mut base = Url::parse(config.url.trim())
            .map_err(|e| config_error(format!("url '{}': {e}", config.url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(config_error(format!("url '{}' is not http(s)", config.url)));
        }
        let mut auth = config
            .username
            .clone()
            .map(|u| (u, config.password.clone()));
        if auth.is_none() && !base.username().is_empty() {
            auth = Some((
                base.username().to_string(),
                base.password().map(String::from),
            ));
        }
        // Credentials go in the Authorization header, not in every request's URL.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let timeout = config.timeout.unwrap_or(Duration::from_secs(10));
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy();
        if let Some(pem) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| config_error(format!("ca: {e}")))?;
            if certs.is_empty() {
                return Err(config_error("ca: no PEM certificate found"));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(config_error)?;
        Ok(RegistryClient {
            http,
            base,
            auth,
            retries: config.retries.unwrap_or(2).min(10),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> EngineResult<Url> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| config_error("url cannot be a base"))?;
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// One call with bounded retries of retriable failures; the JSON answer, or a typed error.
    async fn call(&self, method: Method, url: Url, body: Option<&Value>) -> EngineResult<Value> {
        let mut attempt = 0;
        loop {
            let outcome = self.call_once(method.clone(), url.clone(), body).await;
            match outcome {
                Err(e) if e.retriable() && attempt < self.retries => {
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn call_once(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> EngineResult<Value> {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, password.as_ref());
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(body.to_string());
        }
        let unreachable = |e: reqwest::Error| EngineError::SchemaRegistry {
            status: 0,
            registry_code: 0,
            message: format!("registry unreachable: {e}"),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() {
            return value.ok_or_else(|| EngineError::SchemaRegistry {
                status: status.as_u16(),
                registry_code: 0,
                message: "the registry answered with something that is not JSON".into(),
            });
        }
        Err(registry_error(status, value.as_ref(), &text))
    }

    /// Registers `schema` under `subject` (normalised first); resolves with its id, the same id
    /// again for a schema already registered. `ERR_SCHEMA_VALIDATION` for a schema that does not
    /// parse; `ERR_SCHEMA_REGISTRY` 409 when incompatible with the subject's versions, 42201 when
    /// the registry finds it invalid.
    pub async fn register(
        &self,
        subject: &str,
        schema: &str,
        schema_type: SchemaType,
    ) -> EngineResult<u32> {
        let body = schema_body(schema, schema_type)?;
        let url = self.url(&["subjects", subject, "versions"], &[("normalize", "true")])?;
        let answer = self.call(Method::POST, url, Some(&body)).await?;
        read_id(&answer)
    }

    /// The schema with registry id `id`; `ERR_SCHEMA_NOT_FOUND` (40403) when there is none.
    pub async fn schema_by_id(&self, id: u32) -> EngineResult<RegisteredSchema> {
        let url = self.url(&["schemas", "ids", &id.to_string()], &[])?;
        let answer = self.call(Method::GET, url, None).await?;
        Ok(RegisteredSchema {
            id,
            subject: None,
            version: None,
            schema: read_schema_text(&answer)?,
            schema_type: SchemaType::parse(answer["schemaType"].as_str())?,
        })
    }

    /// A version of `subject`; `ERR_SCHEMA_NOT_FOUND` (40401 subject, 40402 version).
    pub async fn version(&self, subject: &str, version: Version) -> EngineResult<RegisteredSchema> {
        let url = self.url(&["subjects", subject, "versions", &version.segment()], &[])?;
        let answer = self.call(Method::GET, url, None).await?;
        Ok(RegisteredSchema {
            id: read_id(&answer)?,
            subject: Some(subject.to_string()),
            version: answer["version"].as_i64().map(|v| v as i32),
            schema: read_schema_text(&answer)?,
            schema_type: SchemaType::parse(answer["schemaType"].as_str())?,
        })
    }

    /// Whether `schema` could be registered as the next version of `subject` under the
    /// subject's compatibility level (checked against `version`, usually latest).
    pub async fn is_compatible(
        &self,
        subject: &str,
        version: Version,
        schema: &str,
        schema_type: SchemaType,
    ) -> EngineResult<bool> {
        let body = schema_body(schema, schema_type)?;
        let url = self.url(
            &[
                "compatibility",
                "subjects",
                subject,
                "versions",
                &version.segment(),
            ],
            &[],
        )?;
        let answer = self.call(Method::POST, url, Some(&body)).await?;
        answer["is_compatible"]
            .as_bool()
            .ok_or_else(|| malformed("is_compatible"))
    }

    /// Every subject's name.
    pub async fn subjects(&self) -> EngineResult<Vec<String>> {
        let answer = self
            .call(Method::GET, self.url(&["subjects"], &[])?, None)
            .await?;
        serde_json::from_value(answer).map_err(|_| malformed("subjects"))
    }

    /// The version numbers of `subject`; `ERR_SCHEMA_NOT_FOUND` (40401) when there is none.
    pub async fn versions(&self, subject: &str) -> EngineResult<Vec<i32>> {
        let url = self.url(&["subjects", subject, "versions"], &[])?;
        let answer = self.call(Method::GET, url, None).await?;
        serde_json::from_value(answer).map_err(|_| malformed("versions"))
    }

    /// Deletes one version of `subject` (soft delete, as the registry does by default);
    /// resolves with the version number deleted.
    pub async fn delete_version(&self, subject: &str, version: Version) -> EngineResult<i32> {
        let url = self.url(&["subjects", subject, "versions", &version.segment()], &[])?;
        let answer = self.call(Method::DELETE, url, None).await?;
        answer
            .as_i64()
            .map(|v| v as i32)
            .ok_or_else(|| malformed("deleted version"))
    }

    /// Deletes `subject` with every version; resolves with the versions deleted.
    pub async fn delete_subject(&self, subject: &str) -> EngineResult<Vec<i32>> {
        let url = self.url(&["subjects", subject], &[])?;
        let answer = self.call(Method::DELETE, url, None).await?;
        serde_json::from_value(answer).map_err(|_| malformed("deleted versions"))
    }

    /// Sets the compatibility level (`BACKWARD`, `FORWARD`, `FULL`, `NONE`, `*_TRANSITIVE`) of
    /// `subject`, or the registry's default when `None`.
    pub async fn set_compatibility(&self, subject: Option<&str>, level: &str) -> EngineResult<()> {
        let url = match subject {
            Some(s) => self.url(&["config", s], &[])?,
            None => self.url(&["config"], &[])?,
        };
        let body = json!({ "compatibility": level });
        self.call(Method::PUT, url, Some(&body)).await.map(|_| ())
    }
}

fn schema_body(schema: &str, schema_type: SchemaType) -> EngineResult<Value> {
    let mut body = json!({ "schema": normalize(schema, schema_type)? });
    if schema_type != SchemaType::Avro {
        body["schemaType"] = Value::from(schema_type.as_str());
    }
    Ok(body)
}

fn malformed(what: &str) -> EngineError {
    EngineError::SchemaRegistry {
        status: 200,
        registry_code: 0,
        message: format!("the registry's answer has no valid {what}"),
    }
}

fn read_id(answer: &Value) -> EngineResult<u32> {
    answer["id"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| malformed("id"))
}

fn read_schema_text(answer: &Value) -> EngineResult<String> {
    answer["schema"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| malformed("schema"))
}

/// The typed error for a registry's non-success answer (`{"error_code": 40401, "message": ..}`).
fn registry_error(status: StatusCode, body: Option<&Value>, text: &str) -> EngineError {
    let registry_code = body
        .and_then(|b| b["error_code"].as_i64())
        .and_then(|c| i32::try_from(c).ok())
        .unwrap_or(i32::from(status.as_u16()));
    let message = body
        .and_then(|b| b["message"].as_str())
        .map(String::from)
        .unwrap_or_else(|| text.chars().take(200).collect());
    match registry_code {
        40401..=40403 => EngineError::SchemaNotFound {
            registry_code,
            message,
        },
        _ => EngineError::SchemaRegistry {
            status: status.as_u16(),
            registry_code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_stable() {
        let a = r#"{ "type": "record", "name": "R", "fields": [ {"name":"a","type":"int"} ] }"#;
        let b = r#"{"fields":[{"type":"int","name":"a"}],"name":"R","type":"record"}"#;
        assert_eq!(
            normalize(a, SchemaType::Avro).unwrap(),
            normalize(b, SchemaType::Avro).unwrap()
        );
        assert_eq!(
            normalize("{", SchemaType::Avro).unwrap_err().code(),
            "ERR_SCHEMA_VALIDATION"
        );
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in ["", "ftp://x", "not a url"] {
            let e = RegistryClient::new(&RegistryConfig {
                url: url.into(),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        }
    }

    #[test]
    fn registry_errors_keep_the_code() {
        let body = json!({"error_code": 40401, "message": "no subject"});
        let e = registry_error(StatusCode::NOT_FOUND, Some(&body), "");
        assert_eq!(
            (e.code().as_str(), e.registry_code()),
            ("ERR_SCHEMA_NOT_FOUND", Some(40401))
        );
        let body = json!({"error_code": 409, "message": "incompatible"});
        let e = registry_error(StatusCode::CONFLICT, Some(&body), "");
        assert_eq!(
            (e.code().as_str(), e.registry_code()),
            ("ERR_SCHEMA_REGISTRY", Some(409))
        );
        assert!(!e.retriable());
        let e = registry_error(StatusCode::BAD_GATEWAY, None, "<html>");
        assert_eq!(e.registry_code(), Some(502));
        assert!(e.retriable());
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_a_retriable_typed_error() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = RegistryClient::new(&RegistryConfig {
            url: format!("http://127.0.0.1:{port}"),
            retries: Some(1),
            ..Default::default()
        })
        .unwrap();
        let e = client.schema_by_id(1).await.unwrap_err();
        assert_eq!(e.code(), "ERR_SCHEMA_REGISTRY");
        assert!(e.retriable());
    }
}
