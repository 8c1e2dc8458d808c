//! Avro binary straight to JSON text along the writer schema, for a consumer that reads values
//! as they were written (no reader schema). apache-avro's datum reader builds a tree of
//! `types::Value`, which then becomes a `serde_json::Value` and then text: three trees per
//! message, about 2.1 µs for a job-lifecycle event on the bench machine. Reading the bytes along
//! the schema and writing the text as it goes builds none.
//!
//! The JSON is the one [`AvroSchema::decode`](crate::engine::schema::avro::AvroSchema::decode)
//! gives (unions bare, enums as their symbol, bytes and fixed as strings of code points 0-255,
//! decimals as exact text, NaN and infinities as null), with record fields in the schema's order
//! and map entries in the order written. Schemas with a `uuid`, `duration` or `big-decimal` type
//! are left to the datum reader ([`AvroJsonReader::supports`]).

use std::sync::Arc;

use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Names};
use apache_avro::Schema;

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::schema::avro::AvroSchema;
use crate::engine::schema::avro_decimal;
use crate::engine::schema::avro_encode::{is_int, is_long};

/// How deeply values may nest (a recursive schema nests once per byte at least): deeper is a
/// decode error, not a stack overflow.
const MAX_DEPTH: usize = 128;
/// Items of an array or entries of a map whose items take no bytes (nulls, empty records) that
/// one value may hold: past it, the count is garbage, not data.
const MAX_EMPTY_ITEMS: u64 = 1 << 20;

/// Reads Avro bodies written with one schema as JSON text.
#[derive(Debug, Clone)]
pub struct AvroJsonReader {
    schema: Arc<AvroSchema>,
}

impl AvroJsonReader {
    /// Whether every type in `schema` is one this reader writes as the datum reader's path does.
    pub fn supports(schema: &AvroSchema) -> bool {
        supported(schema.schema()) && schema.names().values().all(supported)
    }

    /// A reader of bodies written with `schema`, or `None` when [`Self::supports`] says no.
    pub fn new(schema: Arc<AvroSchema>) -> Option<Self> {
        Self::supports(&schema).then_some(AvroJsonReader { schema })
    }

    /// The JSON text of `body`. `ERR_SCHEMA_DECODE` when the bytes do not decode: truncated,
    /// garbage (a bad union or enum index, invalid UTF-8, an out-of-range int), nested deeper than
    /// 128 levels, or bytes left after the value.
    pub fn read(&self, body: &[u8]) -> EngineResult<String> {
        let mut r = Reader {
            input: body,
            names: self.schema.names(),
            out: Vec::with_capacity(body.len() * 2 + 16),
            empty_items: 0,
        };
        r.value(self.schema.schema(), 0)
            .map_err(|m| EngineError::SchemaDecode(format!("Avro body: {m}")))?;
        if !r.input.is_empty() {
            return Err(EngineError::SchemaDecode(format!(
                "{} bytes left after the Avro value",
                r.input.len()
            )));
        }
        String::from_utf8(r.out)
            .map_err(|e| EngineError::SchemaDecode(format!("Avro value as JSON: {e}")))
    }
}

fn supported(schema: &Schema) -> bool {
    match schema {
        Schema::Uuid(_) | Schema::Duration(_) | Schema::BigDecimal => false,
        Schema::Record(r) => r.fields.iter().all(|f| supported(&f.schema)),
        Schema::Array(a) => supported(&a.items),
        Schema::Map(m) => supported(&m.types),
        Schema::Union(u) => u.variants().iter().all(supported),
        _ => true,
    }
}

/// Whether a value of `schema` can take no bytes at all.
fn may_be_empty(schema: &Schema, names: &Names, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match schema {
        Schema::Null => true,
        Schema::Fixed(f)
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Fixed(f),
            ..
        }) => f.size == 0,
        Schema::Record(r) => r
            .fields
            .iter()
            .all(|f| may_be_empty(&f.schema, names, depth + 1)),
        Schema::Ref { name } => names
            .get(name)
            .is_some_and(|s| may_be_empty(s, names, depth + 1)),
        _ => false,
    }
}

type Step = Result<(), String>;

struct Reader<'a> {
    input: &'a [u8],
    names: &'a Names,
    out: Vec<u8>,
    empty_items: u64,
}

impl<'a> Reader<'a> {
    fn value(&mut self, schema: &Schema, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        match schema {
            Schema::Null => self.out.extend_from_slice(b"null"),
            Schema::Boolean => match self.take(1)?[0] {
                0 => self.out.extend_from_slice(b"false"),
                1 => self.out.extend_from_slice(b"true"),
                b => return Err(format!("invalid boolean byte {b}")),
            },
            s if is_int(s) => {
                let n = self.int()?;
                self.number(i64::from(n))
            }
            s if is_long(s) => {
                let n = self.long()?;
                self.number(n)
            }
            Schema::Float => {
                let b = self.take(4)?;
                let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                self.float(f64::from(f))
            }
            Schema::Double => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                self.float(f64::from_le_bytes(a))
            }
            Schema::Bytes => {
                let b = self.sized()?;
                latin1(&mut self.out, b)?
            }
            Schema::Fixed(f) => {
                let b = self.take(f.size)?;
                latin1(&mut self.out, b)?
            }
            Schema::String => {
                let b = self.sized()?;
                let s = std::str::from_utf8(b).map_err(|e| format!("string: {e}"))?;
                string(&mut self.out, s)?
            }
            Schema::Decimal(DecimalSchema { scale, inner, .. }) => {
                let b = match inner {
                    InnerDecimalSchema::Bytes => self.sized()?,
                    InnerDecimalSchema::Fixed(f) => self.take(f.size)?,
                };
                string(&mut self.out, &avro_decimal::text(b, *scale))?
            }
            Schema::Enum(e) => {
                let i = self.long()?;
                let symbol = usize::try_from(i)
                    .ok()
                    .and_then(|i| e.symbols.get(i))
                    .ok_or_else(|| format!("enum index {i} out of range"))?;
                name(&mut self.out, symbol)
            }
            Schema::Union(u) => {
                let i = self.long()?;
                let variant = usize::try_from(i)
                    .ok()
                    .and_then(|i| u.variants().get(i))
                    .ok_or_else(|| format!("union index {i} out of range"))?;
                self.value(variant, depth + 1)?
            }
            Schema::Array(a) => {
                self.out.push(b'[');
                self.blocks(&a.items, |r| r.value(&a.items, depth + 1))?;
                self.out.push(b']');
            }
            Schema::Map(m) => {
                self.out.push(b'{');
                self.blocks(&m.types, |r| {
                    let k = r.sized()?;
                    let k = std::str::from_utf8(k).map_err(|e| format!("map key: {e}"))?;
                    string(&mut r.out, k)?;
                    r.out.push(b':');
                    r.value(&m.types, depth + 1)
                })?;
                self.out.push(b'}');
            }
            Schema::Record(rec) => {
                self.out.push(b'{');
                for (i, f) in rec.fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    name(&mut self.out, &f.name);
                    self.out.push(b':');
                    self.value(&f.schema, depth + 1)?;
                }
                self.out.push(b'}');
            }
            Schema::Ref { name } => {
                let s = self
                    .names
                    .get(name)
                    .ok_or_else(|| format!("unknown type {name}"))?;
                self.value(s, depth + 1)?
            }
            // uuid, duration, big-decimal: see `supported`.
            _ => return Err("a type this reader leaves to the datum reader".into()),
        }
        Ok(())
    }

    /// Reads the blocks of an array or map of `items`, calling `each` per item after writing
    /// the comma before it.
    fn blocks(&mut self, items: &Schema, mut each: impl FnMut(&mut Self) -> Step) -> Step {
        let empty = may_be_empty(items, self.names, 0);
        let mut first = true;
        loop {
            let mut n = self.long()?;
            if n == 0 {
                return Ok(());
            }
            if n < 0 {
                // A negative count is followed by the block's size in bytes.
                n = n.checked_neg().ok_or("block count out of range")?;
                self.long()?;
            }
            let n = n as u64;
            if empty {
                self.empty_items += n;
                if self.empty_items > MAX_EMPTY_ITEMS {
                    return Err(format!("more than {MAX_EMPTY_ITEMS} empty items"));
                }
            } else if n > self.input.len() as u64 {
                // Each item takes a byte at least.
                return Err("truncated".into());
            }
            for _ in 0..n {
                if !std::mem::take(&mut first) {
                    self.out.push(b',');
                }
                each(self)?;
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.input.len() < n {
            return Err("truncated".into());
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }

    /// A length-prefixed run of bytes (bytes, string, map key).
    fn sized(&mut self) -> Result<&'a [u8], String> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| format!("negative length {n}"))?;
        self.take(n)
    }

    /// A zigzag varint long.
    fn long(&mut self) -> Result<i64, String> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let (&b, rest) = self.input.split_first().ok_or("truncated")?;
            self.input = rest;
            if shift == 63 && b > 1 {
                return Err("varint out of range".into());
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
            }
        }
        Err("varint out of range".into())
    }

    fn int(&mut self) -> Result<i32, String> {
        let n = self.long()?;
        i32::try_from(n).map_err(|_| format!("int {n} out of range"))
    }

    fn number(&mut self, n: i64) {
        // Writing a number to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, &n);
    }

    fn float(&mut self, f: f64) {
        if f.is_finite() {
            let _ = serde_json::to_writer(&mut self.out, &f);
        } else {
            self.out.extend_from_slice(b"null")
        }
    }
}

/// `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) -> Step {
    serde_json::to_writer(out, s).map_err(|e| e.to_string())
}

/// A field name or enum symbol as a JSON string. Parsing the schema checked it against Avro's
/// name rule (letters, digits and `_`), so it needs no escaping and is copied as it is.
fn name(out: &mut Vec<u8>, s: &str) {
    debug_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Bytes as a JSON string of the code points 0-255.
fn latin1(out: &mut Vec<u8>, b: &[u8]) -> Step {
    if b.is_ascii() {
        // ASCII is UTF-8 already.
        return string(out, std::str::from_utf8(b).map_err(|e| e.to_string())?);
    }
    let s: String = b.iter().map(|&c| char::from(c)).collect();
    string(out, &s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::test_values::{sample, shipped, Lcg, EVERY_TYPE};
    use serde_json::Value;

    /// A random JSON value that `schema` encodes.
    fn value_of(schema: &Schema, names: &Names, rng: &mut Lcg, depth: usize) -> Value {
        sample(schema, names, rng, depth).0
    }

    #[test]
    fn reads_what_the_datum_reader_reads_for_every_shipped_schema() {
        let schemas = shipped();
        assert!(schemas.len() >= 6, "{schemas:?}");
        let mut rng = Lcg(7);
        for (name, text) in schemas {
            let schema = Arc::new(AvroSchema::parse(&text).unwrap());
            let direct = AvroJsonReader::new(schema.clone()).expect(&name);
            for _ in 0..300 {
                let value = value_of(schema.schema(), schema.names(), &mut rng, 0);
                let mut body = Vec::new();
                schema.encode(&value, &mut body).unwrap();
                let text = direct.read(&body).unwrap();
                let ours: Value = serde_json::from_str(&text).unwrap();
                let theirs: Value =
                    serde_json::from_str(&schema.decode(&body, None).unwrap()).unwrap();
                assert_eq!(ours, theirs, "{name}: {value}");
                // Every shorter body is a decode error.
                for cut in 0..body.len() {
                    let e = direct.read(&body[..cut]).unwrap_err();
                    assert_eq!(e.code(), "ERR_SCHEMA_DECODE", "{name} cut at {cut}");
                }
                let mut longer = body.clone();
                longer.push(0);
                assert_eq!(
                    direct.read(&longer).unwrap_err().code(),
                    "ERR_SCHEMA_DECODE"
                );
            }
        }
    }

    #[test]
    fn fields_come_in_the_schema_order() {
        let schema = Arc::new(AvroSchema::parse(EVERY_TYPE).unwrap());
        let mut rng = Lcg(1);
        let value = value_of(schema.schema(), schema.names(), &mut rng, 0);
        let mut body = Vec::new();
        schema.encode(&value, &mut body).unwrap();
        let text = AvroJsonReader::new(schema).unwrap().read(&body).unwrap();
        assert!(text.starts_with(r#"{"n":null,"b":"#), "{text}");
    }

    #[test]
    fn names_that_would_need_escaping_do_not_parse() {
        // `name` copies field names and enum symbols unescaped: the parser must refuse these.
        for bad in [r#"a\"b"#, r"a\\b", "a b", "é", "1a"] {
            let field = format!(
                r#"{{"type":"record","name":"R","fields":[{{"name":"{bad}","type":"int"}}]}}"#
            );
            let symbol = format!(r#"{{"type":"enum","name":"E","symbols":["{bad}"]}}"#);
            assert!(AvroSchema::parse(&field).is_err(), "{field}");
            assert!(AvroSchema::parse(&symbol).is_err(), "{symbol}");
        }
    }

    #[test]
    fn garbage_is_an_error_or_a_value_never_a_panic_or_a_hang() {
        let mut rng = Lcg(3);
        for (_, text) in shipped() {
            let schema = Arc::new(AvroSchema::parse(&text).unwrap());
            let direct = AvroJsonReader::new(schema.clone()).unwrap();
            for _ in 0..2000 {
                let body: Vec<u8> = (0..rng.below(64)).map(|_| rng.draw() as u8).collect();
                if let Ok(text) = direct.read(&body) {
                    serde_json::from_str::<Value>(&text).unwrap();
                }
            }
        }
    }

    #[test]
    fn hostile_counts_and_nesting_are_typed_errors() {
        let nulls = Arc::new(AvroSchema::parse(r#"{"type":"array","items":"null"}"#).unwrap());
        let r = AvroJsonReader::new(nulls).unwrap();
        // A block of 2^62 nulls: a few bytes that would take forever.
        let mut body = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        body.push(0);
        assert_eq!(r.read(&body).unwrap_err().code(), "ERR_SCHEMA_DECODE");
        // A list nested 10,000 deep: bounded by the depth limit, not the stack.
        let list = Arc::new(
            AvroSchema::parse(
                r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#,
            )
            .unwrap(),
        );
        let r = AvroJsonReader::new(list).unwrap();
        let mut deep = vec![2u8; 10_000];
        deep.push(0);
        assert_eq!(r.read(&deep).unwrap_err().code(), "ERR_SCHEMA_DECODE");
        // Bad union and enum indexes, a bad boolean, invalid UTF-8.
        for (schema, body) in [
            (r#"["null","int"]"#, vec![4u8]),
            (r#"{"type":"enum","name":"E","symbols":["A"]}"#, vec![2]),
            (r#""boolean""#, vec![2]),
            (r#""string""#, vec![2, 0xff]),
            (r#""int""#, vec![0xff, 0xff, 0xff, 0xff, 0x7f]),
        ] {
            let s = Arc::new(AvroSchema::parse(schema).unwrap());
            let e = AvroJsonReader::new(s).unwrap().read(&body).unwrap_err();
            assert_eq!(e.code(), "ERR_SCHEMA_DECODE", "{schema}");
        }
    }

    #[test]
    fn types_left_to_the_datum_reader() {
        for schema in [
            r#"{"type":"string","logicalType":"uuid"}"#,
            r#"{"type":"record","name":"R","fields":[{"name":"d","type":{"type":"fixed","name":"D","size":12,"logicalType":"duration"}}]}"#,
        ] {
            let s = Arc::new(AvroSchema::parse(schema).unwrap());
            assert!(AvroJsonReader::new(s).is_none(), "{schema}");
        }
    }
}
