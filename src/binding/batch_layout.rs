//! The packed layouts of consumed batches (`batch_to_js`) and of `publishBatch`'s outcomes
//! (`batch_results`), both in message.rs: defined here, written by name there, and handed to the
//! JS helpers (`jsSupport` of ts/native/js-support.ts) when they are compiled, which read them by
//! name.

use napi::bindgen_prelude::*;
use napi::Env;

/// Numbers per message in a consumed batch's `meta`, and the index of each.
pub const MESSAGE_FIELDS: usize = 7;
/// The message's offset.
pub const OFFSET: usize = 0;
/// -1 when the message has none.
pub const TIMESTAMP: usize = 1;
/// Where the key starts in the batch's `data`.
pub const KEY_START: usize = 2;
/// -1 for a null key.
pub const KEY_LENGTH: usize = 3;
/// Where the value starts in `data`.
pub const VALUE_START: usize = 4;
/// -1 for a null value.
pub const VALUE_LENGTH: usize = 5;
/// How many of the batch's headers (in `headerNames` / `headerMeta`, in message order) are this
/// message's.
pub const HEADER_COUNT: usize = 6;

/// Numbers per header in a consumed batch's `headerMeta`, and the index of each.
pub const HEADER_FIELDS: usize = 2;
/// Where the header's value starts in `data`.
pub const HEADER_START: usize = 0;
/// -1 for a header without a value.
pub const HEADER_LENGTH: usize = 1;

/// Numbers per message in `publishBatch`'s packed outcomes, and the index of each.
pub const RESULT_FIELDS: usize = 4;
/// Index into the call's topic names.
pub const RESULT_TOPIC: usize = 0;
/// -1 when the message failed before a partition was chosen.
pub const RESULT_PARTITION: usize = 1;
/// -1 for a failed message.
pub const RESULT_OFFSET: usize = 2;
/// NaN for none.
pub const RESULT_TIMESTAMP: usize = 3;

/// The layouts as the JS object the helpers are compiled with (`BatchLayout` in js-support.ts).
pub fn layout(env: &Env) -> Result<Object<'_>> {
    let mut o = Object::new(env)?;
    for (name, value) in [
        ("messageFields", MESSAGE_FIELDS),
        ("offset", OFFSET),
        ("timestamp", TIMESTAMP),
        ("keyStart", KEY_START),
        ("keyLength", KEY_LENGTH),
        ("valueStart", VALUE_START),
        ("valueLength", VALUE_LENGTH),
        ("headerCount", HEADER_COUNT),
        ("headerFields", HEADER_FIELDS),
        ("headerStart", HEADER_START),
        ("headerLength", HEADER_LENGTH),
        ("resultFields", RESULT_FIELDS),
        ("resultTopic", RESULT_TOPIC),
        ("resultPartition", RESULT_PARTITION),
        ("resultOffset", RESULT_OFFSET),
        ("resultTimestamp", RESULT_TIMESTAMP),
    ] {
        o.set(name, value as u32)?;
    }
    Ok(o)
}
