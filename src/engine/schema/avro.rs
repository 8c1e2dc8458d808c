//! An Avro schema compiled once per registry id: encodes JSON values to Avro binary and decodes
//! Avro binary (resolved to an optional pinned reader schema) back to JSON text.

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Names, UuidSchema};
use apache_avro::types::Value as Avro;
use apache_avro::Schema;
use serde_json::{Map, Number, Value};

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::schema::json_text::parse_value;
use crate::engine::schema::{avro_decimal, avro_encode, avro_text};

/// A parsed Avro schema with its named types resolved.
pub struct AvroSchema {
    schema: Schema,
    names: Names,
    canonical: String,
    /// Whether a `decimal` is in it: its values are then decoded along the schema (for the
    /// scale), the others without looking at it.
    has_decimal: bool,
}

impl std::fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroSchema").finish_non_exhaustive()
    }
}

impl AvroSchema {
    /// Parses schema text (`.avsc` JSON); `ERR_SCHEMA_VALIDATION` (empty path) when it is not a
    /// valid Avro schema.
    pub fn parse(text: &str) -> EngineResult<Self> {
        let invalid = |e: apache_avro::Error| EngineError::SchemaValidation {
            path: String::new(),
            message: format!("invalid Avro schema: {e}"),
        };
        let schema = Schema::parse_str(text).map_err(invalid)?;
        let mut names = Names::new();
        collect_names(&schema, &mut names);
        let canonical = schema.canonical_form();
        let has_decimal = has_decimal(&schema) || names.values().any(has_decimal);
        Ok(AvroSchema {
            schema,
            names,
            canonical,
            has_decimal,
        })
    }

    /// The parsed schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The named types (records, enums, fixed) of the schema by full name.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The schema's Parsing Canonical Form: equal for schemas that read and write alike.
    pub fn canonical_form(&self) -> &str {
        &self.canonical
    }

    /// Appends the Avro binary of `value` to `out`; `ERR_SCHEMA_VALIDATION` with the field's
    /// path when the value does not match.
    pub fn encode(&self, value: &Value, out: &mut Vec<u8>) -> EngineResult<()> {
        avro_encode::encode(&self.schema, &self.names, value, out)
    }

    /// Appends the Avro binary of the JSON `text` to `out`: in one pass when the text is of the
    /// shape [`avro_text`] reads (fields in the schema's order, ...), else parsed and
    /// [`encode`](Self::encode)d into the same buffer. `ERR_SCHEMA_VALIDATION` with the field's
    /// path when the value does not match; `ERR_INVALID_ARG` when the text is not JSON.
    pub fn encode_text(&self, text: &str, out: &mut Vec<u8>) -> EngineResult<()> {
        if self.encode_in_one_pass(text, out).is_some() {
            return Ok(());
        }
        self.encode(&parse_value(text)?, out)
    }

    /// Appends the Avro binary of the JSON `text` to `out` in one pass, or `None` (with `out`
    /// as it was) when the text is not of the shape [`avro_text`] reads.
    pub fn encode_in_one_pass(&self, text: &str, out: &mut Vec<u8>) -> Option<()> {
        avro_text::encode_text(&self.schema, &self.names, text, out)
    }

    /// Decodes a body written with this (writer) schema, resolved to `reader` when given, as
    /// JSON text. `ERR_SCHEMA_DECODE` when the bytes do not decode (truncated, garbage) or the
    /// schemas cannot be resolved. Builds a datum reader per call: repeated decoding goes through
    /// [`AvroDecoder`](crate::engine::schema::avro_decoder::AvroDecoder), which builds it once.
    pub fn decode(&self, body: &[u8], reader: Option<&AvroSchema>) -> EngineResult<String> {
        read_json(&self.datum_reader(reader)?, body, reader.unwrap_or(self))
    }

    /// A datum reader from this (writer) schema to `reader`; `ERR_SCHEMA_DECODE` when the schemas
    /// cannot be resolved.
    pub fn datum_reader<'s>(
        &'s self,
        reader: Option<&'s AvroSchema>,
    ) -> EngineResult<GenericDatumReader<'s>> {
        GenericDatumReader::builder(&self.schema)
            .maybe_reader_schema(reader.map(AvroSchema::schema))
            .build()
            .map_err(|e| EngineError::SchemaDecode(format!("Avro schemas: {e}")))
    }
}

/// Reads one Avro `body` with `datum` as JSON text; `read_as` is the schema the value is read as
/// (the reader's, else the writer's). `ERR_SCHEMA_DECODE` when the bytes do not decode
/// (truncated, garbage, or bytes left after the value).
pub fn read_json(
    datum: &GenericDatumReader<'_>,
    body: &[u8],
    read_as: &AvroSchema,
) -> EngineResult<String> {
    // apache-avro reads a nullable union at the end of the input as null: a truncated body
    // would decode "successfully". A sentinel byte after the body (1: an invalid union index,
    // and a complete varint) must be the only byte left, else the body was short.
    let mut padded = Vec::with_capacity(body.len() + 1);
    padded.extend_from_slice(body);
    padded.push(1);
    let mut cursor = &padded[..];
    let value = datum
        .read_value(&mut cursor)
        .map_err(|e| EngineError::SchemaDecode(format!("Avro body: {e}")))?;
    match cursor.len() {
        1 => {}
        0 => {
            return Err(EngineError::SchemaDecode(
                "the Avro body is truncated".into(),
            ))
        }
        n => {
            return Err(EngineError::SchemaDecode(format!(
                "{} bytes left after the Avro value",
                n - 1
            )))
        }
    }
    let json = if read_as.has_decimal {
        to_json_as(value, &read_as.schema, &read_as.names)
    } else {
        to_json(value)
    };
    serde_json::to_string(&json)
        .map_err(|e| EngineError::SchemaDecode(format!("Avro value as JSON: {e}")))
}

/// Every named type (record, enum, fixed) in `schema`, by full name, for resolving references.
fn collect_names(schema: &Schema, names: &mut Names) {
    match schema {
        Schema::Record(r) => {
            names.insert(r.name.clone(), schema.clone());
            for f in &r.fields {
                collect_names(&f.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.clone(), schema.clone());
        }
        Schema::Fixed(f)
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Fixed(f),
            ..
        })
        | Schema::Uuid(UuidSchema::Fixed(f))
        | Schema::Duration(f) => {
            names.insert(f.name.clone(), schema.clone());
        }
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => {
            for v in u.variants() {
                collect_names(v, names);
            }
        }
        _ => {}
    }
}

/// Whether `schema` holds a `decimal` (named types it refers to are looked at where defined).
fn has_decimal(schema: &Schema) -> bool {
    match schema {
        Schema::Decimal(_) => true,
        Schema::Record(r) => r.fields.iter().any(|f| has_decimal(&f.schema)),
        Schema::Array(a) => has_decimal(&a.items),
        Schema::Map(m) => has_decimal(&m.types),
        Schema::Union(u) => u.variants().iter().any(has_decimal),
        _ => false,
    }
}

/// [`to_json`] along the schema the value was read as, so that a decimal gets its scale:
/// exact decimal text (`"1234.50"`).
fn to_json_as(v: Avro, schema: &Schema, names: &Names) -> Value {
    match (v, schema) {
        (Avro::Decimal(d), Schema::Decimal(ds)) => match <Vec<u8>>::try_from(d) {
            Ok(b) => Value::String(avro_decimal::text(&b, ds.scale)),
            Err(_) => Value::Null,
        },
        (v, Schema::Ref { name }) => match names.get(name) {
            Some(s) => to_json_as(v, s, names),
            None => to_json(v),
        },
        (Avro::Union(i, inner), Schema::Union(u)) => match u.variants().get(i as usize) {
            Some(s) => to_json_as(*inner, s, names),
            None => to_json(*inner),
        },
        (Avro::Array(items), Schema::Array(a)) => Value::Array(
            items
                .into_iter()
                .map(|x| to_json_as(x, &a.items, names))
                .collect(),
        ),
        (Avro::Map(m), Schema::Map(ms)) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (k, to_json_as(x, &ms.types, names)))
                .collect(),
        ),
        (Avro::Record(fields), Schema::Record(r)) => {
            let mut o = Map::with_capacity(fields.len());
            for (i, (k, x)) in fields.into_iter().enumerate() {
                // Fields come in the schema's order; the lookup is for anything else.
                let field = r
                    .fields
                    .get(i)
                    .filter(|f| f.name == k)
                    .or_else(|| r.lookup.get(&k).and_then(|&j| r.fields.get(j)));
                let x = match field {
                    Some(f) => to_json_as(x, &f.schema, names),
                    None => to_json(x),
                };
                o.insert(k, x);
            }
            Value::Object(o)
        }
        (v, _) => to_json(v),
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn latin1(b: &[u8]) -> Value {
    Value::String(b.iter().map(|&c| char::from(c)).collect())
}

/// A decoded Avro value in the JSON form `avsc` gives plain-object users: unions bare, enums as
/// their symbol, bytes as a string of code points 0-255, NaN and infinities as null.
fn to_json(v: Avro) -> Value {
    match v {
        Avro::Null => Value::Null,
        Avro::Boolean(b) => Value::Bool(b),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => Value::from(n),
        Avro::Long(n)
        | Avro::TimeMicros(n)
        | Avro::TimestampMillis(n)
        | Avro::TimestampMicros(n)
        | Avro::TimestampNanos(n)
        | Avro::LocalTimestampMillis(n)
        | Avro::LocalTimestampMicros(n)
        | Avro::LocalTimestampNanos(n) => Value::from(n),
        Avro::Float(f) => float(f64::from(f)),
        Avro::Double(f) => float(f),
        Avro::Bytes(b) | Avro::Fixed(_, b) => latin1(&b),
        Avro::String(s) | Avro::Enum(_, s) => Value::String(s),
        Avro::Union(_, inner) => to_json(*inner),
        Avro::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Avro::Map(m) => Value::Object(m.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
        Avro::Record(fields) => {
            let mut o = Map::with_capacity(fields.len());
            for (k, v) in fields {
                o.insert(k, to_json(v));
            }
            Value::Object(o)
        }
        Avro::Uuid(u) => Value::String(u.to_string()),
        Avro::Decimal(d) => match <Vec<u8>>::try_from(d) {
            Ok(b) => latin1(&b),
            Err(_) => Value::Null,
        },
        Avro::BigDecimal(d) => Value::String(d.to_string()),
        Avro::Duration(d) => latin1(&<[u8; 12]>::from(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JOB_V1: &str = r#"{"type":"record","name":"Job","namespace":"t","fields":[
        {"name":"id","type":"string"},
        {"name":"state","type":{"type":"enum","name":"State","symbols":["QUEUED","RUNNING","DONE"]}},
        {"name":"progress","type":"double"},
        {"name":"attempt","type":"int"},
        {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"meta","type":{"type":"map","values":"double"}},
        {"name":"inner","type":["null",{"type":"record","name":"Inner","fields":[{"name":"cpu","type":"float"}]}],"default":null},
        {"name":"again","type":["null","Inner"],"default":null}
    ]}"#;

    fn job() -> Value {
        json!({"id":"j1","state":"RUNNING","progress":0.5,"attempt":2,"at":1700000000000i64,
               "note":"hi","tags":["a","b"],"meta":{"x":1.5},"inner":{"cpu":0.25},"again":null})
    }

    fn round_trip(schema: &AvroSchema, v: &Value, reader: Option<&AvroSchema>) -> Value {
        let mut out = Vec::new();
        schema.encode(v, &mut out).unwrap();
        serde_json::from_str(&schema.decode(&out, reader).unwrap()).unwrap()
    }

    #[test]
    fn encodes_what_apache_avro_decodes() {
        let s = AvroSchema::parse(JOB_V1).unwrap();
        assert_eq!(round_trip(&s, &job(), None), job());
        // The wrapped union form is accepted too.
        let mut wrapped = job();
        wrapped["note"] = json!({"string": "hi"});
        wrapped["inner"] = json!({"t.Inner": {"cpu": 0.25}});
        assert_eq!(round_trip(&s, &wrapped, None), job());
    }

    #[test]
    fn text_encodes_in_one_pass_or_falls_back_into_the_same_buffer() {
        let s = AvroSchema::parse(JOB_V1).unwrap();
        let mut want = vec![9];
        s.encode(&job(), &mut want).unwrap();
        let sorted = serde_json::to_string(&job()).unwrap(); // serde_json sorts the keys
        let schema_order = r#"{"id":"j1","state":"RUNNING","progress":0.5,"attempt":2,
            "at":1700000000000,"note":"hi","tags":["a","b"],"meta":{"x":1.5},
            "inner":{"cpu":0.25},"again":null}"#;
        assert!(s.encode_in_one_pass(schema_order, &mut vec![]).is_some());
        assert!(s.encode_in_one_pass(&sorted, &mut vec![]).is_none());
        for text in [schema_order, sorted.as_str()] {
            let mut out = vec![9];
            s.encode_text(text, &mut out).unwrap();
            assert_eq!(out, want);
        }
        let mut out = vec![9];
        let e = s.encode_text("{not json", &mut out).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG");
        let e = s.encode_text(r#"{"id":7}"#, &mut out).unwrap_err();
        assert_eq!(e.field_path(), Some("/id"));
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let s = AvroSchema::parse(JOB_V1).unwrap();
        let mut v = job();
        v.as_object_mut().unwrap().remove("note");
        let back = round_trip(&s, &v, None);
        assert_eq!(back["note"], Value::Null);
    }

    #[test]
    fn mismatches_name_the_field() {
        let s = AvroSchema::parse(JOB_V1).unwrap();
        let cases = [
            ("/progress", json!({"progress": "x"})),
            ("/attempt", json!({"attempt": 1.5})),
            ("/attempt", json!({"attempt": 3_000_000_000i64})),
            ("/state", json!({"state": "LOST"})),
            ("/tags/1", json!({"tags": ["a", 3]})),
            ("/meta/x", json!({"meta": {"x": "no"}})),
            ("/inner/cpu", json!({"inner": {"cpu": "hot"}})),
        ];
        for (path, patch) in cases {
            let mut v = job();
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            let e = s.encode(&v, &mut Vec::new()).unwrap_err();
            assert_eq!(e.code(), "ERR_SCHEMA_VALIDATION");
            assert_eq!(e.field_path(), Some(path), "{patch}");
        }
        let mut v = job();
        v.as_object_mut().unwrap().remove("id");
        assert_eq!(
            s.encode(&v, &mut Vec::new()).unwrap_err().field_path(),
            Some("/id")
        );
        assert_eq!(
            s.encode(&json!(7), &mut Vec::new())
                .unwrap_err()
                .field_path(),
            Some("")
        );
    }

    #[test]
    fn reader_schema_resolution() {
        let v1 = AvroSchema::parse(
            r#"{"type":"record","name":"E","fields":[{"name":"a","type":"int"},{"name":"gone","type":"string"}]}"#,
        )
        .unwrap();
        let v2 = AvroSchema::parse(
            r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"},{"name":"added","type":"string","default":"d"}]}"#,
        )
        .unwrap();
        let back = round_trip(&v1, &json!({"a": 1, "gone": "x"}), Some(&v2));
        assert_eq!(back, json!({"a": 1, "added": "d"}));
    }

    #[test]
    fn garbage_and_truncation_are_decode_errors() {
        let s = AvroSchema::parse(JOB_V1).unwrap();
        let mut out = Vec::new();
        s.encode(&job(), &mut out).unwrap();
        for cut in 0..out.len() {
            let e = s.decode(&out[..cut], None).unwrap_err();
            assert_eq!(e.code(), "ERR_SCHEMA_DECODE");
        }
        let mut longer = out.clone();
        longer.push(1);
        assert_eq!(
            s.decode(&longer, None).unwrap_err().code(),
            "ERR_SCHEMA_DECODE"
        );
        assert_eq!(
            s.decode(&[0xff; 40], None).unwrap_err().code(),
            "ERR_SCHEMA_DECODE"
        );
    }

    const PRICE: &str = r#"{"type":"record","name":"Price","fields":[
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
        {"name":"exact","type":{"type":"fixed","name":"D16","size":16,"logicalType":"decimal","precision":38,"scale":12}},
        {"name":"maybe","type":["null",{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}],"default":null},
        {"name":"again","type":["null","D16"],"default":null},
        {"name":"list","type":{"type":"array","items":{"type":"bytes","logicalType":"decimal","precision":3,"scale":0}}}
    ]}"#;

    #[test]
    fn decimals_are_exact_text_both_ways() {
        let s = AvroSchema::parse(PRICE).unwrap();
        let v = json!({"amount":"-1234.50","exact":"12345678901234567890123456.789012345678",
                       "maybe":"-0.5","again":"0.000000000001","list":["7","-128"]});
        let mut out = Vec::new();
        s.encode(&v, &mut out).unwrap();
        // Hand-computed: -123450 is FE 1D C6, length-prefixed (zig-zag 3 = 6).
        assert_eq!(&out[..4], &[6, 0xfe, 0x1d, 0xc6]);
        assert_eq!(out[4..20].len(), 16);
        assert_eq!(round_trip(&s, &v, None), v);
        // Fewer fraction digits than the scale, and numbers, come back at the schema's scale.
        let short = json!({"amount":5,"exact":"1.5","maybe":null,"list":[]});
        let back = round_trip(&s, &short, None);
        assert_eq!(back["amount"], "5.00");
        assert_eq!(back["exact"], "1.500000000000");
        assert_eq!(back["again"], Value::Null);
    }

    #[test]
    fn decimals_out_of_scale_or_precision_name_the_field() {
        let s = AvroSchema::parse(PRICE).unwrap();
        let base = json!({"amount":"1.00","exact":"0","list":[]});
        let cases = [
            ("/amount", json!({"amount": "1.234"})),
            ("/amount", json!({"amount": "12345.6"})),
            ("/amount", json!({"amount": 0.125})),
            ("/amount", json!({"amount": "1,5"})),
            ("/amount", json!({"amount": true})),
            ("/exact", json!({"exact": "123456789012345678901234567"})),
            ("/maybe", json!({"maybe": "1000"})),
            ("/list/1", json!({"list": ["1", "1.5"]})),
        ];
        for (path, patch) in cases {
            let mut v = base.clone();
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            let e = s.encode(&v, &mut Vec::new()).unwrap_err();
            assert_eq!(e.code(), "ERR_SCHEMA_VALIDATION", "{patch}");
            assert_eq!(e.field_path(), Some(path), "{patch}");
        }
        // A fixed too small for its precision still refuses what does not fit.
        let tiny = AvroSchema::parse(
            r#"{"type":"fixed","name":"F","size":1,"logicalType":"decimal","precision":4,"scale":0}"#,
        )
        .unwrap();
        assert_eq!(
            tiny.encode(&json!("1000"), &mut Vec::new())
                .unwrap_err()
                .code(),
            "ERR_SCHEMA_VALIDATION"
        );
    }

    #[test]
    fn invalid_schema_text_is_typed() {
        for bad in [
            "",
            "{",
            r#"{"type":"nope"}"#,
            r#"{"type":"record","name":"R"}"#,
        ] {
            assert_eq!(
                AvroSchema::parse(bad).unwrap_err().code(),
                "ERR_SCHEMA_VALIDATION"
            );
        }
    }
}
