//! Avro decoding for one (writer schema, reader schema) pair, set up once. A value read as it
//! was written goes through [`AvroJsonReader`] (bytes straight to JSON text) when the schema's
//! types allow; otherwise, and whenever a reader schema is pinned, through apache-avro's datum
//! reader, which resolves the named types of both schemas when it is built (as costly as decoding
//! a small value). A consumer decodes every message of a topic with the same pair, so the codec
//! keeps one decoder per pair.

use std::sync::Arc;

use apache_avro::reader::datum::GenericDatumReader;

use crate::engine::error::EngineResult;
use crate::engine::schema::avro::{read_json, AvroSchema};
use crate::engine::schema::avro_json::AvroJsonReader;

/// A writer schema, an optional reader schema and the reader between them.
#[derive(Debug)]
pub struct AvroDecoder {
    path: Path,
}

#[derive(Debug)]
enum Path {
    Direct(AvroJsonReader),
    Resolved(ResolvedDecoder),
}

/// A writer schema, an optional reader schema and apache-avro's datum reader between them.
#[ouroboros::self_referencing]
struct ResolvedDecoder {
    writer: Arc<AvroSchema>,
    reader: Option<Arc<AvroSchema>>,
    #[borrows(writer, reader)]
    #[covariant]
    datum: GenericDatumReader<'this>,
}

impl std::fmt::Debug for ResolvedDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedDecoder").finish_non_exhaustive()
    }
}

impl AvroDecoder {
    /// A decoder from `writer` to `reader` (or to `writer` itself); `ERR_SCHEMA_DECODE` when
    /// the schemas cannot be resolved.
    pub fn build(writer: Arc<AvroSchema>, reader: Option<Arc<AvroSchema>>) -> EngineResult<Self> {
        if reader.is_none() {
            if let Some(direct) = AvroJsonReader::new(writer.clone()) {
                return Ok(AvroDecoder {
                    path: Path::Direct(direct),
                });
            }
        }
        Self::resolved(writer, reader)
    }

    /// A decoder through apache-avro's datum reader, whatever the schemas.
    fn resolved(writer: Arc<AvroSchema>, reader: Option<Arc<AvroSchema>>) -> EngineResult<Self> {
        let d = ResolvedDecoder::try_new(writer, reader, |w, r| w.datum_reader(r.as_deref()))?;
        Ok(AvroDecoder {
            path: Path::Resolved(d),
        })
    }

    /// Whether this decoder resolves to a reader schema with the canonical form of `reader`.
    pub fn reads_as(&self, reader: Option<&AvroSchema>) -> bool {
        let mine = match &self.path {
            Path::Direct(_) => None,
            Path::Resolved(d) => d.borrow_reader().as_deref(),
        };
        match (mine, reader) {
            (None, None) => true,
            (Some(mine), Some(r)) => {
                std::ptr::eq(mine, r) || mine.canonical_form() == r.canonical_form()
            }
            _ => false,
        }
    }

    /// The JSON text of a body written with the writer schema, resolved to the reader schema.
    /// `ERR_SCHEMA_DECODE` when the bytes do not decode (truncated, garbage, trailing bytes).
    pub fn decode(&self, body: &[u8]) -> EngineResult<String> {
        match &self.path {
            Path::Direct(r) => r.read(body),
            Path::Resolved(d) => {
                d.with(|f| read_json(f.datum, body, f.reader.as_deref().unwrap_or(f.writer)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"E","fields":[
        {"name":"a","type":"int"},{"name":"gone","type":"string"},
        {"name":"n","type":["null",{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}]},
        {"name":"again","type":["null","N"]}]}"#;
    const V2: &str = r#"{"type":"record","name":"E","fields":[
        {"name":"a","type":"long"},{"name":"added","type":"string","default":"d"},
        {"name":"n","type":["null",{"type":"record","name":"N","fields":[{"name":"x","type":"int"}]}]},
        {"name":"again","type":["null","N"]}]}"#;

    #[test]
    fn decodes_as_the_uncached_path_does() {
        let v1 = Arc::new(AvroSchema::parse(V1).unwrap());
        let v2 = Arc::new(AvroSchema::parse(V2).unwrap());
        let value = serde_json::json!({"a": 1, "gone": "x", "n": {"x": 2}, "again": {"x": 3}});
        let mut body = Vec::new();
        v1.encode(&value, &mut body).unwrap();
        for reader in [None, Some(v2.clone())] {
            let d = AvroDecoder::build(v1.clone(), reader.clone()).unwrap();
            // The same value; the direct path keeps the schema's field order.
            let parsed = |t: String| serde_json::from_str::<serde_json::Value>(&t).unwrap();
            for _ in 0..3 {
                assert_eq!(
                    parsed(d.decode(&body).unwrap()),
                    parsed(v1.decode(&body, reader.as_deref()).unwrap())
                );
            }
            assert_eq!(
                d.decode(&body[..body.len() - 1]).unwrap_err().code(),
                "ERR_SCHEMA_DECODE"
            );
            assert!(d.reads_as(reader.as_deref()));
        }
        let d = AvroDecoder::build(v1.clone(), Some(v2.clone())).unwrap();
        assert!(d.reads_as(Some(&AvroSchema::parse(V2).unwrap())));
        assert!(!d.reads_as(Some(&v1)));
        assert!(!d.reads_as(None));
    }

    #[test]
    fn unresolvable_pairs_are_typed() {
        let v1 = Arc::new(AvroSchema::parse(V1).unwrap());
        let other = Arc::new(
            AvroSchema::parse(
                r#"{"type":"record","name":"E","fields":[{"name":"z","type":"int"}]}"#,
            )
            .unwrap(),
        );
        let mut body = Vec::new();
        v1.encode(
            &serde_json::json!({"a": 1, "gone": "x", "n": null, "again": null}),
            &mut body,
        )
        .unwrap();
        // A reader field without a default cannot be filled: a decode error, not a panic.
        let e = AvroDecoder::build(v1, Some(other))
            .and_then(|d| d.decode(&body))
            .unwrap_err();
        assert_eq!(e.code(), "ERR_SCHEMA_DECODE");
    }
}
