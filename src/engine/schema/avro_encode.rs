//! JSON values to Avro binary, guided by the writer schema. Written directly (no intermediate
//! `apache_avro::types::Value`) so that a mismatch names the JSON pointer of the offending field.
//!
//! JSON forms accepted, as `avsc` (and so `@kafkajs/confluent-schema-registry`) takes them from
//! plain objects: a union value either bare (the first branch it fits) or wrapped as
//! `{"<branch name>": value}`; enums as their symbol; bytes and fixed as a string of code points
//! 0-255 or a `JSON.stringify`-ed Buffer (`{"type":"Buffer","data":[...]}`); a missing record
//! field takes its default; unknown fields are ignored; a `decimal` as exact decimal text
//! (`"1234.50"`) or a JSON number.

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Names, RecordSchema, Schema, UuidSchema,
};
use serde_json::Value;

use crate::engine::error::EngineError;
use crate::engine::schema::avro_decimal;

/// Where in the value a mismatch is, innermost segment first, and what is wrong.
#[derive(Debug)]
pub(crate) struct Mismatch {
    rev_path: Vec<String>,
    message: String,
}

impl Mismatch {
    fn new(message: impl Into<String>) -> Self {
        Mismatch {
            rev_path: Vec::new(),
            message: message.into(),
        }
    }
    fn at(mut self, segment: impl Into<String>) -> Self {
        self.rev_path.push(segment.into());
        self
    }
    fn into_error(self) -> EngineError {
        let mut path = String::new();
        for seg in self.rev_path.iter().rev() {
            path.push('/');
            // JSON pointer escaping (RFC 6901).
            path.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        }
        EngineError::SchemaValidation {
            path,
            message: self.message,
        }
    }
}

type Encoded = Result<(), Mismatch>;

/// Appends the Avro binary encoding of `value` under `schema` to `out`. `names` resolves named
/// type references. On a mismatch `out` may hold a partial
/// encoding: callers discard it.
pub fn encode(
    schema: &Schema,
    names: &Names,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EngineError> {
    Encoder { names }
        .write(schema, value, out)
        .map_err(Mismatch::into_error)
}

struct Encoder<'a> {
    names: &'a Names,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected(what: &str, v: &Value) -> Mismatch {
    Mismatch::new(format!("expected {what}, got {}", kind(v)))
}

/// Avro's zig-zag variable-length long.
pub fn write_long(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// `v` as an integer in `min..=max` (a JSON number without a fraction).
pub(crate) fn int_of(v: &Value, min: i64, max: i64, what: &str) -> Result<i64, Mismatch> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        _ => None,
    };
    match n {
        Some(n) if n >= min && n <= max => Ok(n),
        Some(_) => Err(Mismatch::new(format!("{v} is out of range for {what}"))),
        None => Err(expected(what, v)),
    }
}

fn bytes_of(v: &Value) -> Result<Vec<u8>, Mismatch> {
    match v {
        Value::String(s) => s
            .chars()
            .map(|c| {
                u8::try_from(u32::from(c))
                    .map_err(|_| Mismatch::new("a character above U+00FF in bytes"))
            })
            .collect(),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Buffer") => {
            match o.get("data") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|b| int_of(b, 0, 255, "a byte").map(|n| n as u8))
                    .collect(),
                _ => Err(Mismatch::new("a Buffer without data")),
            }
        }
        _ => Err(expected("bytes (a string or a Buffer)", v)),
    }
}

/// A decimal given as text (exact) or a JSON number, as the two's-complement bytes of its
/// unscaled integer: length-prefixed on `bytes`, sign-extended to the size of a `fixed`.
fn write_decimal(d: &DecimalSchema, v: &Value, out: &mut Vec<u8>) -> Encoded {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(expected("a decimal (a string such as \"12.50\")", v)),
    };
    let unscaled =
        avro_decimal::unscaled_bytes(&text, d.precision, d.scale).map_err(Mismatch::new)?;
    match &d.inner {
        InnerDecimalSchema::Bytes => write_bytes(&unscaled, out),
        InnerDecimalSchema::Fixed(f) => out.extend_from_slice(
            &avro_decimal::sign_extend(&unscaled, f.size).map_err(Mismatch::new)?,
        ),
    }
    Ok(())
}

/// `int` and the logical types written as one.
pub fn is_int(s: &Schema) -> bool {
    matches!(s, Schema::Int | Schema::Date | Schema::TimeMillis)
}

/// `long` and the logical types written as one.
pub fn is_long(s: &Schema) -> bool {
    matches!(
        s,
        Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos
    )
}

/// The name a union branch is wrapped under (`{"string": "x"}`, `{"com.acme.Job": {...}}`).
pub fn branch_names(s: &Schema) -> Vec<String> {
    let named = |n: &apache_avro::schema::Name| vec![n.fullname(None), n.name().to_string()];
    match s {
        Schema::Null => vec!["null".into()],
        Schema::Boolean => vec!["boolean".into()],
        s if is_int(s) => vec!["int".into()],
        s if is_long(s) => vec!["long".into()],
        Schema::Float => vec!["float".into()],
        Schema::Double => vec!["double".into()],
        Schema::Bytes => vec!["bytes".into()],
        Schema::String => vec!["string".into()],
        Schema::Array(_) => vec!["array".into()],
        Schema::Map(_) => vec!["map".into()],
        Schema::Record(r) => named(&r.name),
        Schema::Enum(e) => named(&e.name),
        Schema::Fixed(f) => named(&f.name),
        Schema::Decimal(d) => match &d.inner {
            InnerDecimalSchema::Bytes => vec!["bytes".into()],
            InnerDecimalSchema::Fixed(f) => named(&f.name),
        },
        Schema::Ref { name } => named(name),
        _ => Vec::new(),
    }
}

impl Encoder<'_> {
    fn write(&self, schema: &Schema, v: &Value, out: &mut Vec<u8>) -> Encoded {
        match schema {
            Schema::Null => match v {
                Value::Null => Ok(()),
                _ => Err(expected("null", v)),
            },
            Schema::Boolean => match v {
                Value::Bool(b) => {
                    out.push(u8::from(*b));
                    Ok(())
                }
                _ => Err(expected("boolean", v)),
            },
            s if is_int(s) => {
                let n = int_of(v, i32::MIN.into(), i32::MAX.into(), "int")?;
                write_long(n, out);
                Ok(())
            }
            s if is_long(s) => {
                write_long(int_of(v, i64::MIN, i64::MAX, "long")?, out);
                Ok(())
            }
            Schema::Float => match v.as_f64() {
                Some(f) => {
                    out.extend_from_slice(&(f as f32).to_le_bytes());
                    Ok(())
                }
                None => Err(expected("float", v)),
            },
            Schema::Double => match v.as_f64() {
                Some(f) => {
                    out.extend_from_slice(&f.to_le_bytes());
                    Ok(())
                }
                None => Err(expected("double", v)),
            },
            Schema::String | Schema::Uuid(UuidSchema::String) => match v {
                Value::String(s) => {
                    write_bytes(s.as_bytes(), out);
                    Ok(())
                }
                _ => Err(expected("string", v)),
            },
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) => {
                write_bytes(&bytes_of(v)?, out);
                Ok(())
            }
            Schema::Fixed(f) | Schema::Uuid(UuidSchema::Fixed(f)) | Schema::Duration(f) => {
                let b = bytes_of(v)?;
                if b.len() != f.size {
                    return Err(Mismatch::new(format!(
                        "expected {} bytes for fixed {}, got {}",
                        f.size,
                        f.name.name(),
                        b.len()
                    )));
                }
                out.extend_from_slice(&b);
                Ok(())
            }
            Schema::Enum(e) => match v {
                Value::String(s) => match e.symbols.iter().position(|x| x == s) {
                    Some(i) => {
                        write_long(i as i64, out);
                        Ok(())
                    }
                    None => Err(Mismatch::new(format!(
                        "'{s}' is not a symbol of enum {} ({})",
                        e.name.name(),
                        e.symbols.join(", ")
                    ))),
                },
                _ => Err(expected("an enum symbol (string)", v)),
            },
            Schema::Array(a) => match v {
                Value::Array(items) => {
                    if !items.is_empty() {
                        write_long(items.len() as i64, out);
                        for (i, item) in items.iter().enumerate() {
                            self.write(&a.items, item, out)
                                .map_err(|m| m.at(i.to_string()))?;
                        }
                    }
                    out.push(0);
                    Ok(())
                }
                _ => Err(expected("array", v)),
            },
            Schema::Map(m) => match v {
                Value::Object(entries) => {
                    if !entries.is_empty() {
                        write_long(entries.len() as i64, out);
                        for (k, item) in entries {
                            write_bytes(k.as_bytes(), out);
                            self.write(&m.types, item, out)
                                .map_err(|e| e.at(k.clone()))?;
                        }
                    }
                    out.push(0);
                    Ok(())
                }
                _ => Err(expected("object (map)", v)),
            },
            Schema::Decimal(d) => write_decimal(d, v, out),
            Schema::Record(r) => self.write_record(r, v, out),
            Schema::Union(u) => self.write_union(u.variants(), v, out),
            Schema::Ref { name } => match self.names.get(name) {
                Some(s) => self.write(s, v, out),
                None => Err(Mismatch::new(format!(
                    "unknown type {}",
                    name.fullname(None)
                ))),
            },
            other => Err(Mismatch::new(format!(
                "the Avro type {other:?} is not supported for encoding"
            ))),
        }
    }

    fn write_record(&self, r: &RecordSchema, v: &Value, out: &mut Vec<u8>) -> Encoded {
        let Value::Object(obj) = v else {
            return Err(expected(&format!("object (record {})", r.name.name()), v));
        };
        for field in &r.fields {
            let value = match obj.get(&field.name) {
                Some(x) => x,
                None => match &field.default {
                    Some(d) => d,
                    None => {
                        return Err(Mismatch::new("missing required field").at(field.name.clone()))
                    }
                },
            };
            self.write(&field.schema, value, out)
                .map_err(|m| m.at(field.name.clone()))?;
        }
        Ok(())
    }

    fn write_union(&self, variants: &[Schema], v: &Value, out: &mut Vec<u8>) -> Encoded {
        // Wrapped form: {"<branch>": value}.
        if let Value::Object(obj) = v {
            if obj.len() == 1 {
                if let Some((k, inner)) = obj.iter().next() {
                    if let Some(i) = variants.iter().position(|s| branch_names(s).contains(k)) {
                        write_long(i as i64, out);
                        return self.write(&variants[i], inner, out);
                    }
                }
            }
        }
        // Bare form: the first branch that encodes the value.
        let mut first_failure = None;
        for (i, s) in variants.iter().enumerate() {
            let start = out.len();
            write_long(i as i64, out);
            match self.write(s, v, out) {
                Ok(()) => return Ok(()),
                Err(m) => {
                    out.truncate(start);
                    // Prefer the failure inside a branch of the value's own kind (the one the
                    // user meant): a record's missing field rather than "expected null", a
                    // decimal's scale rather than "matches no branch".
                    let meant = !m.rev_path.is_empty()
                        || matches!(s, Schema::Decimal(_))
                            && matches!(v, Value::String(_) | Value::Number(_));
                    if first_failure.is_none() && meant {
                        first_failure = Some(m);
                    }
                }
            }
        }
        Err(first_failure.unwrap_or_else(|| {
            let names: Vec<String> = variants
                .iter()
                .filter_map(|s| branch_names(s).into_iter().next())
                .collect();
            Mismatch::new(format!(
                "{} matches no branch of the union [{}]",
                kind(v),
                names.join(", ")
            ))
        }))
    }
}
