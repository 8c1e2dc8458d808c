//! Avro binary straight from JSON text, in one pass along the writer schema, for the common
//! shape of a published value: `JSON.stringify` of an object whose fields come in the schema's
//! order, each of the JSON kind its Avro type takes. Parsing the text into a `serde_json::Value`
//! first (1.1 µs for a job-lifecycle event on the bench machine) costs several times the
//! encoding itself (0.3 µs: strings are scanned eight bytes at a time, field names matched as
//! they are written, and nothing is validated twice; 0.58 µs a byte at a time).
//!
//! Anything else gives up (`None`) and the caller encodes through
//! [`avro_encode`](crate::engine::schema::avro_encode), which takes every accepted form (fields
//! in any order, missing fields with defaults, unknown fields, wrapped union branches, Buffers as
//! bytes, decimals, uuids) and names the offending field of a value that does not match. So this
//! never reports an error, and what it writes is what `avro_encode` writes for the same value
//! (numbers are read as `serde_json` reads them and converted by the same functions), except that
//! map entries keep the text's order where `avro_encode` sorts them by key.

use std::borrow::Cow;

use apache_avro::schema::{Names, RecordSchema, Schema};
use serde_json::{Number, Value};

use crate::engine::schema::avro_encode::{branch_names, int_of, is_int, is_long, write_long};

/// How deeply values may nest before giving up (to the encoder, which has no such limit).
const MAX_DEPTH: usize = 64;

/// Appends the Avro binary of the JSON `text` under `schema` to `out`, or gives up (`None`,
/// with `out` as it was) when the text is not of the shape this reads.
pub fn encode_text(schema: &Schema, names: &Names, text: &str, out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let mut w = TextEncoder { text, at: 0, names };
    let done = w.value(schema, out, 0).and_then(|()| {
        w.ws();
        (w.at == w.text.len()).then_some(())
    });
    if done.is_none() {
        out.truncate(start);
    }
    done
}

struct TextEncoder<'a> {
    text: &'a str,
    at: usize,
    names: &'a Names,
}

impl<'a> TextEncoder<'a> {
    /// The text's bytes.
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn value(&mut self, schema: &Schema, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match schema {
            Schema::Null => self.literal(b"null"),
            Schema::Boolean => {
                if self.literal(b"true").is_some() {
                    out.push(1);
                } else {
                    self.literal(b"false")?;
                    out.push(0);
                }
                Some(())
            }
            s if is_int(s) => {
                let v = Value::Number(self.number()?);
                write_long(
                    int_of(&v, i32::MIN.into(), i32::MAX.into(), "int").ok()?,
                    out,
                );
                Some(())
            }
            s if is_long(s) => {
                let v = Value::Number(self.number()?);
                write_long(int_of(&v, i64::MIN, i64::MAX, "long").ok()?, out);
                Some(())
            }
            Schema::Float => {
                let f = self.number()?.as_f64()?;
                out.extend_from_slice(&(f as f32).to_le_bytes());
                Some(())
            }
            Schema::Double => {
                let f = self.number()?.as_f64()?;
                out.extend_from_slice(&f.to_le_bytes());
                Some(())
            }
            Schema::String => {
                let s = self.string()?;
                write_long(s.len() as i64, out);
                out.extend_from_slice(s.as_bytes());
                Some(())
            }
            Schema::Bytes => {
                let b = latin1(&self.string()?)?;
                write_long(b.len() as i64, out);
                out.extend_from_slice(&b);
                Some(())
            }
            Schema::Fixed(f) => {
                let b = latin1(&self.string()?)?;
                (b.len() == f.size).then(|| out.extend_from_slice(&b))
            }
            Schema::Enum(e) => {
                let s = self.string()?;
                let i = e.symbols.iter().position(|x| *x == *s)?;
                write_long(i as i64, out);
                Some(())
            }
            Schema::Array(a) => {
                self.expect(b'[')?;
                let mut items = Vec::new();
                let mut n = 0i64;
                self.ws();
                if !self.eat(b']') {
                    loop {
                        self.value(&a.items, &mut items, depth + 1)?;
                        n += 1;
                        self.ws();
                        if self.eat(b']') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                block(n, &items, out);
                Some(())
            }
            Schema::Map(m) => {
                self.expect(b'{')?;
                let mut entries = Vec::new();
                let mut keys: Vec<Cow<'a, str>> = Vec::new();
                self.ws();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        // A repeated key: JSON.parse keeps the last; the encoder sorts that out.
                        if keys.contains(&k) {
                            return None;
                        }
                        write_long(k.len() as i64, &mut entries);
                        entries.extend_from_slice(k.as_bytes());
                        keys.push(k);
                        self.ws();
                        self.expect(b':')?;
                        self.value(&m.types, &mut entries, depth + 1)?;
                        self.ws();
                        if self.eat(b'}') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                block(keys.len() as i64, &entries, out);
                Some(())
            }
            Schema::Record(r) => self.record(r, out, depth),
            Schema::Union(u) => {
                let variants = u.variants();
                if self.peek()? == b'n' {
                    let i = variants.iter().position(|s| matches!(s, Schema::Null))?;
                    write_long(i as i64, out);
                    return self.literal(b"null");
                }
                // The first branch that takes a value other than null: the only one there is.
                let mut others = variants
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !matches!(s, Schema::Null));
                let (i, s) = others.next()?;
                if others.next().is_some() {
                    return None;
                }
                // `{"<branch name>": value}` may be a wrapped branch.
                if self.peek()? == b'{' {
                    let k = self.first_key()?;
                    if variants
                        .iter()
                        .any(|v| branch_names(v).iter().any(|n| *n == *k))
                    {
                        return None;
                    }
                }
                write_long(i as i64, out);
                self.value(s, out, depth + 1)
            }
            Schema::Ref { name } => {
                let s = self.names.get(name)?;
                self.value(s, out, depth + 1)
            }
            // Decimals, uuids, durations: the encoder's.
            _ => None,
        }
    }

    /// A record whose fields all come, in the schema's order, and nothing else.
    fn record(&mut self, r: &RecordSchema, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.expect(b'{')?;
        for (i, field) in r.fields.iter().enumerate() {
            self.ws();
            if i > 0 {
                self.expect(b',')?;
                self.ws();
            }
            self.key(&field.name)?;
            self.ws();
            self.expect(b':')?;
            self.value(&field.schema, out, depth + 1)?;
        }
        self.ws();
        self.expect(b'}')
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let hit = self.bytes()[self.at..].starts_with(word);
        if hit {
            self.at += word.len();
        }
        hit.then_some(())
    }

    /// The first key of the object at hand, without moving past anything.
    fn first_key(&mut self) -> Option<Cow<'a, str>> {
        let at = self.at;
        self.at += 1;
        self.ws();
        let k = if self.peek() == Some(b'"') {
            self.string()
        } else {
            // `{}`: no key.
            Some(Cow::Borrowed(""))
        };
        self.at = at;
        k
    }

    /// The key `name` of a record's field: the name and its closing quote as they are (an Avro
    /// name has nothing to escape), else the key read as any string.
    fn key(&mut self, name: &str) -> Option<()> {
        self.expect(b'"')?;
        let end = self.at + name.len();
        if self.bytes().get(self.at..end) == Some(name.as_bytes())
            && self.bytes().get(end) == Some(&b'"')
        {
            self.at = end + 1;
            return Some(());
        }
        self.at -= 1;
        (*self.string()? == *name).then_some(())
    }

    /// A JSON string, unescaped.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.at;
        self.at = plain_run_end(self.bytes(), self.at);
        match *self.bytes().get(self.at)? {
            b'"' => {
                // Between two quotes of valid UTF-8: a slice at character boundaries.
                let s = self.text.get(start..self.at)?;
                self.at += 1;
                return Some(Cow::Borrowed(s));
            }
            b'\\' => {}
            _ => return None,
        }
        // Escapes: the rest of the string through serde_json, which unescapes as it parses.
        let end = self.string_end()?;
        let s: String = serde_json::from_slice(&self.bytes()[start - 1..end]).ok()?;
        self.at = end;
        Some(Cow::Owned(s))
    }

    /// Where the string at hand (its opening quote consumed) ends, after its closing quote.
    fn string_end(&self) -> Option<usize> {
        let mut i = self.at;
        loop {
            match *self.bytes().get(i)? {
                b'"' => return Some(i + 1),
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
    }

    /// A JSON number, as serde_json reads it.
    fn number(&mut self) -> Option<Number> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.at += 1;
        }
        let text = &self.bytes()[start..self.at];
        // Short integers (most): no need for the full grammar.
        if text.len() <= 18 && text.first() != Some(&b'0') || text == b"0" {
            if let Some(n) = std::str::from_utf8(text)
                .ok()
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<u64>().ok())
            {
                return Some(Number::from(n));
            }
        }
        serde_json::from_slice(text).ok()
    }
}

/// Where the run of bytes from `at` that need no care in a JSON string ends: at the first quote,
/// backslash or control character (or the end). Eight bytes at a time while none of them is one.
fn plain_run_end(input: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes equal to zero / below 0x20 have their high bit set in these (the classic tests,
    // exact for whether any byte of the word is one).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let below_space = |w: u64| w.wrapping_sub(0x20 * ONES) & !w & HIGH;
    while let Some(chunk) = input.get(at..at + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if zero(w ^ (b'"' as u64 * ONES)) | zero(w ^ (b'\\' as u64 * ONES)) | below_space(w) != 0 {
            break;
        }
        at += 8;
    }
    while let Some(&b) = input.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// An array's or map's items as one block (none for no items) and the end marker.
fn block(n: i64, items: &[u8], out: &mut Vec<u8>) {
    if n > 0 {
        write_long(n, out);
        out.extend_from_slice(items);
    }
    out.push(0);
}

/// A string of code points 0-255 as bytes.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::avro::AvroSchema;
    use crate::engine::schema::test_values::{sample, shipped, Lcg};

    const PLAIN: &str = r#"{"type":"record","name":"P","fields":[
        {"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"d","type":"double"},
        {"name":"s","type":"string"},{"name":"o","type":["null","string"]},
        {"name":"r","type":["null",{"type":"record","name":"string","fields":[{"name":"x","type":"int"}]}]},
        {"name":"m","type":{"type":"map","values":"string"}},{"name":"a","type":{"type":"array","items":"int"}}
    ]}"#;

    /// The slow path: parse, then encode.
    fn slow(schema: &AvroSchema, text: &str) -> Option<Vec<u8>> {
        let value: Value = serde_json::from_str(text).ok()?;
        let mut out = Vec::new();
        schema.encode(&value, &mut out).ok()?;
        Some(out)
    }

    fn fast(schema: &AvroSchema, text: &str) -> Option<Vec<u8>> {
        let mut out = vec![9];
        let done = schema.encode_in_one_pass(text, &mut out);
        if done.is_none() {
            assert_eq!(out, [9], "a give-up leaves the output as it was");
            return None;
        }
        Some(out[1..].to_vec())
    }

    fn has_decimal(text: &str) -> bool {
        text.contains("decimal")
    }

    #[test]
    fn writes_what_the_encoder_writes_for_every_shipped_schema() {
        let mut rng = Lcg(11);
        for (name, text) in shipped() {
            let schema = AvroSchema::parse(&text).unwrap();
            for _ in 0..300 {
                let (value, json) = sample(schema.schema(), schema.names(), &mut rng, 0);
                let expected = slow(&schema, &json).expect(&name);
                match fast(&schema, &json) {
                    Some(bytes) => assert_eq!(bytes, expected, "{name}: {json}"),
                    // Only a decimal is left to the encoder in values of this shape.
                    None => assert!(has_decimal(&text), "{name} gave up on {json} ({value})"),
                }
            }
        }
    }

    #[test]
    fn mutated_text_is_encoded_as_the_encoder_would_or_left_to_it() {
        let mut rng = Lcg(5);
        let noise: &[&str] = &[
            " ", "\n", ",", "}", "]", "\"", "1", "-", ".5", "e3", "null", "{", "\\u00e9",
            "\"x\":1,",
        ];
        for (name, text) in shipped() {
            let schema = AvroSchema::parse(&text).unwrap();
            let reader = crate::engine::schema::avro_json::AvroJsonReader::new(
                std::sync::Arc::new(AvroSchema::parse(&text).unwrap()),
            );
            for _ in 0..400 {
                let (_, json) = sample(schema.schema(), schema.names(), &mut rng, 0);
                let mut bytes = json.into_bytes();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(bytes.len() as u64 + 1) as usize;
                    match rng.below(3) {
                        0 if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        _ => {
                            let n = noise[rng.below(noise.len() as u64) as usize];
                            bytes.splice(at..at, n.bytes());
                        }
                    }
                }
                let Ok(mutated) = String::from_utf8(bytes) else {
                    continue;
                };
                let Some(ours) = fast(&schema, &mutated) else {
                    continue;
                };
                // Whatever is encoded here, the encoder encodes to the same value.
                let theirs = slow(&schema, &mutated).unwrap_or_else(|| {
                    panic!("{name}: encoded what the encoder refuses: {mutated}")
                });
                match &reader {
                    Some(r) => {
                        let a: Value = serde_json::from_str(&r.read(&ours).unwrap()).unwrap();
                        let b: Value = serde_json::from_str(&r.read(&theirs).unwrap()).unwrap();
                        assert_eq!(a, b, "{name}: {mutated}");
                    }
                    None => assert_eq!(ours, theirs, "{name}: {mutated}"),
                }
            }
        }
    }

    #[test]
    fn shapes_left_to_the_encoder() {
        let schema = AvroSchema::parse(PLAIN).unwrap();
        let ok = r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":null,"r":{"x":3},"m":{"a":"2","b":"1"},"a":[1,2]}"#;
        assert_eq!(fast(&schema, ok), slow(&schema, ok));
        assert!(fast(&schema, ok).is_some());
        // Map entries keep the text's order (the encoder sorts them): the same map.
        let reversed = ok.replace(r#"{"a":"2","b":"1"}"#, r#"{"b":"1","a":"2"}"#);
        let reader = crate::engine::schema::avro_json::AvroJsonReader::new(std::sync::Arc::new(
            AvroSchema::parse(PLAIN).unwrap(),
        ))
        .unwrap();
        let read = |b: Vec<u8>| serde_json::from_str::<Value>(&reader.read(&b).unwrap()).unwrap();
        assert_eq!(
            read(fast(&schema, &reversed).unwrap()),
            read(slow(&schema, &reversed).unwrap())
        );
        // Spaces, escapes and integral numbers in other spellings are read as serde_json reads them.
        let spaced = " {\n \"i\" : 1.0 , \"l\":-2e0,\"d\":5e-1,\"s\":\"\\u0078\",\"o\":\"\\\"\",\"r\":null,\"m\":{},\"a\":[ ] } ";
        assert_eq!(fast(&schema, spaced), slow(&schema, spaced));
        assert!(fast(&schema, spaced).is_some());
        for other in [
            // Fields out of order, missing (a default) or unknown.
            r#"{"l":-2,"i":1,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[]}"#,
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","r":null,"m":{},"a":[]}"#,
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[],"z":0}"#,
            // A wrapped branch, and a record whose first field is named as a branch.
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":{"string":"w"},"r":null,"m":{},"a":[]}"#,
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":null,"r":{"string":{"x":1}},"m":{},"a":[]}"#,
            // A repeated map key, a fraction for an int, an int out of range, not JSON.
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{"a":"1","a":"2"},"a":[]}"#,
            r#"{"i":1.5,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[]}"#,
            r#"{"i":2147483648,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[]}"#,
            r#"{"i":1,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[]} x"#,
            r#"{"i":01,"l":-2,"d":0.5,"s":"x","o":null,"r":null,"m":{},"a":[]}"#,
            "{\"i\":1,\"l\":-2,\"d\":0.5,\"s\":\"\u{1}\",\"o\":null,\"r\":null,\"m\":{},\"a\":[]}",
        ] {
            assert_eq!(fast(&schema, other), None, "{other}");
        }
        // Too deep: left to the encoder.
        let list = AvroSchema::parse(
            r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#,
        )
        .unwrap();
        let deep = format!("{}null{}", r#"{"next":"#.repeat(100), "}".repeat(100));
        assert_eq!(fast(&list, &deep), None);
        let shallow = format!("{}null{}", r#"{"next":"#.repeat(10), "}".repeat(10));
        assert_eq!(fast(&list, &shallow), slow(&list, &shallow));
    }

    #[test]
    fn plain_runs_end_where_a_byte_at_a_time_scan_ends() {
        let naive = |input: &[u8], at: usize| {
            (at..input.len())
                .find(|&i| matches!(input[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(input.len())
        };
        let alphabet: &[u8] = &[
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xa9, 0xff, b'!', b'#',
        ];
        let mut rng = Lcg(3);
        for _ in 0..20_000 {
            let len = rng.below(40) as usize;
            // Mostly plain bytes, so that runs span several words.
            let input: Vec<u8> = (0..len)
                .map(|_| match rng.below(8) {
                    0 => alphabet[rng.below(alphabet.len() as u64) as usize],
                    _ => b'x',
                })
                .collect();
            let at = rng.below(len as u64 + 1) as usize;
            assert_eq!(
                plain_run_end(&input, at),
                naive(&input, at),
                "{input:?} from {at}"
            );
        }
    }

    #[test]
    fn reads_keys_and_strings_with_escapes_and_multibyte_text() {
        let schema = AvroSchema::parse(PLAIN).unwrap();
        for text in [
            r#"{"i":1,"l":2,"d":0.5,"s":"caf\u00e9 \"q\" é😀 long enough to span words","o":"\\","r":null,"m":{"k\n":"v"},"a":[1]}"#,
            r#"{"\u0069":1,"l":2,"d":0.5,"s":"","o":null,"r":null,"m":{},"a":[]}"#,
        ] {
            assert_eq!(fast(&schema, text), slow(&schema, text), "{text}");
        }
        // A key that only starts as the field's name, and a raw control character: given up.
        for text in [
            r#"{"ix":1,"l":2,"d":0.5,"s":"","o":null,"r":null,"m":{},"a":[]}"#,
            "{\"i\":1,\"l\":2,\"d\":0.5,\"s\":\"a\tb\",\"o\":null,\"r\":null,\"m\":{},\"a\":[]}",
        ] {
            assert_eq!(fast(&schema, text), None, "{text}");
        }
    }
}
