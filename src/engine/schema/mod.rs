//! Schemas: Avro and JSON Schema values in the Confluent wire format, through a Confluent-API
//! Schema Registry.
//!
//! - [`registry`]: the HTTP client of the registry.
//! - [`codec`]: encoding and decoding through the registry, with its answers cached.
//! - [`batch_decoder`]: a subscription's batches decoded, each partition's next one ahead.
//! - [`publish_order`]: schema'd publishes queued in call order.
//! - [`avro`], [`avro_encode`], [`avro_text`], [`avro_decoder`], [`avro_json`], [`avro_decimal`],
//!   [`json_schema`]: the two schema languages.
//! - [`json_text`]: the JSON text of a published value, parsed; [`json_array`]: a batch's values
//!   found in the one JSON text of them all.
//! - [`wire`]: the framing (magic byte, schema id).

pub mod avro;
pub mod avro_decimal;
pub mod avro_decoder;
pub mod avro_encode;
pub mod avro_json;
pub mod avro_text;
pub mod batch_decoder;
pub mod codec;
pub mod json_array;
pub mod json_schema;
pub mod json_text;
pub mod publish_order;
pub mod registry;
#[cfg(test)]
pub mod test_values;
pub mod wire;
