//! Random values of Avro schemas for the schema tests: a deterministic generator, the shipped
//! schemas, and a schema with every type the readers and writers handle.

use apache_avro::schema::{Names, RecordSchema, Schema};
use serde_json::{json, Map, Value};

use crate::engine::schema::avro_encode::{is_int, is_long};

/// A deterministic source of numbers for generated values.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn draw(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }
}

const TEXTS: [&str; 5] = [
    "",
    "job-42",
    "naïve \"quoted\" \\ \n\t",
    "日本語 ✓",
    "\u{1}\u{1f}",
];

/// A random JSON value that `schema` encodes, and its JSON text with record fields in the
/// schema's order (as `JSON.stringify` of an object built in that order gives it).
pub fn sample(schema: &Schema, names: &Names, rng: &mut Lcg, depth: usize) -> (Value, String) {
    let leaf = |v: Value| {
        let t = v.to_string();
        (v, t)
    };
    match schema {
        Schema::Null => leaf(Value::Null),
        Schema::Boolean => leaf(Value::Bool(rng.below(2) == 1)),
        s if is_int(s) => leaf(json!(
            [
                0i64,
                -1,
                63,
                -64,
                64,
                i64::from(i32::MAX),
                i64::from(i32::MIN)
            ][rng.below(7) as usize]
        )),
        s if is_long(s) => leaf(json!(
            [0i64, 1, -1, 1_764_500_000_000, i64::MAX, i64::MIN, 300][rng.below(7) as usize]
        )),
        Schema::Float => leaf(json!([0.0, 1.5, -0.1, 3.4e38][rng.below(4) as usize])),
        Schema::Double => leaf(json!([0.0, 0.1, -2.5e-300, 1e300][rng.below(4) as usize])),
        Schema::String => leaf(json!(TEXTS[rng.below(5) as usize])),
        Schema::Bytes => leaf(json!(
            ["", "ab\u{ff}\u{0}", "\u{80}"][rng.below(3) as usize]
        )),
        Schema::Fixed(f) => leaf(Value::String(
            (0..f.size).map(|i| char::from(i as u8 * 37)).collect(),
        )),
        Schema::Decimal(d) => {
            let unscaled = ["0", "12345", "-1", "99"][rng.below(4) as usize];
            let text = if d.scale == 0 {
                unscaled.to_string()
            } else {
                format!("{unscaled}.{}", "5".repeat(d.scale))
            };
            if text.chars().filter(char::is_ascii_digit).count() > d.precision {
                leaf(json!("0"))
            } else {
                leaf(json!(text))
            }
        }
        Schema::Enum(e) => leaf(json!(e.symbols[rng.below(e.symbols.len() as u64) as usize])),
        Schema::Union(u) => {
            let vs = u.variants();
            // Deep down, the first variant (null in a recursive schema) ends the nesting.
            let i = if depth > 6 {
                0
            } else {
                rng.below(vs.len() as u64) as usize
            };
            sample(&vs[i], names, rng, depth + 1)
        }
        Schema::Array(a) => {
            let (values, texts): (Vec<Value>, Vec<String>) = (0..rng.below(4))
                .map(|_| sample(&a.items, names, rng, depth + 1))
                .unzip();
            (Value::Array(values), format!("[{}]", texts.join(",")))
        }
        Schema::Map(m) => {
            let mut object = Map::new();
            let mut texts = Vec::new();
            for i in 0..rng.below(4) {
                let (v, t) = sample(&m.types, names, rng, depth + 1);
                texts.push(format!("\"k{i}\":{t}"));
                object.insert(format!("k{i}"), v);
            }
            (Value::Object(object), format!("{{{}}}", texts.join(",")))
        }
        Schema::Record(RecordSchema { fields, .. }) => {
            let mut object = Map::new();
            let mut texts = Vec::new();
            for f in fields {
                let (v, t) = sample(&f.schema, names, rng, depth + 1);
                texts.push(format!("{}:{t}", Value::String(f.name.clone())));
                object.insert(f.name.clone(), v);
            }
            (Value::Object(object), format!("{{{}}}", texts.join(",")))
        }
        Schema::Ref { name } => sample(&names[name], names, rng, depth + 1),
        _ => unreachable!("not generated: uuid, duration, big-decimal"),
    }
}

pub const EVERY_TYPE: &str = r#"{"type":"record","name":"All","namespace":"t","fields":[
    {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
    {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
    {"name":"by","type":"bytes"},{"name":"s","type":"string"},
    {"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
    {"name":"a","type":{"type":"array","items":["null","string","E"]}},
    {"name":"m","type":{"type":"map","values":{"type":"array","items":"long"}}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
    {"name":"decf","type":{"type":"fixed","name":"D8","size":8,"logicalType":"decimal","precision":12,"scale":3}},
    {"name":"date","type":{"type":"int","logicalType":"date"}},
    {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"empty","type":{"type":"array","items":{"type":"record","name":"Nothing","fields":[]}}},
    {"name":"next","type":["null","All"],"default":null}
]}"#;

/// The shipped Avro schemas (name, text) and [`EVERY_TYPE`].
pub fn shipped() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "avsc"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out.push(("every type".into(), EVERY_TYPE.into()));
    out
}
