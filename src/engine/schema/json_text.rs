//! The JSON text of a published value, parsed with the error a user sees when it is not JSON.

use serde_json::Value;

use crate::engine::error::{EngineError, EngineResult};

/// The value of the JSON `text`; `ERR_INVALID_ARG` when it is not JSON.
pub fn parse_value(text: &str) -> EngineResult<Value> {
    serde_json::from_str(text)
        .map_err(|e| EngineError::InvalidArg(format!("value is not JSON: {e}")))
}
