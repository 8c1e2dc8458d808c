//! A JSON Schema compiled once per registry id: validates values before they are framed and
//! after they are read.

use serde_json::Value;

use crate::engine::error::{EngineError, EngineResult};

/// A compiled JSON Schema validator.
pub struct JsonSchema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchema").finish_non_exhaustive()
    }
}

impl JsonSchema {
    /// Compiles schema text; `ERR_SCHEMA_VALIDATION` (empty path) when it is not JSON or not a
    /// valid schema. Remote `$ref`s are not fetched.
    pub fn parse(text: &str) -> EngineResult<Self> {
        let invalid = |message: String| EngineError::SchemaValidation {
            path: String::new(),
            message,
        };
        let schema: Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("schema is not JSON: {e}")))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| invalid(format!("invalid JSON Schema: {e}")))?;
        Ok(JsonSchema { validator })
    }

    /// `Ok` when `value` is valid, else `ERR_SCHEMA_VALIDATION` with the JSON pointer of the
    /// first offending field.
    pub fn validate(&self, value: &Value) -> EngineResult<()> {
        self.validator
            .validate(value)
            .map_err(|e| EngineError::SchemaValidation {
                path: e.instance_path().as_str().to_string(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_with_paths() {
        let s = JsonSchema::parse(
            r#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"},
                "m":{"type":"object","properties":{"cpu":{"type":"number"}}}}}"#,
        )
        .unwrap();
        s.validate(&json!({"id": "a", "m": {"cpu": 1}})).unwrap();
        let e = s
            .validate(&json!({"id": "a", "m": {"cpu": "x"}}))
            .unwrap_err();
        assert_eq!(e.code(), "ERR_SCHEMA_VALIDATION");
        assert_eq!(e.field_path(), Some("/m/cpu"));
        assert_eq!(s.validate(&json!({})).unwrap_err().field_path(), Some(""));
    }

    #[test]
    fn invalid_schema_is_typed() {
        for bad in ["{", r#"{"type": 12}"#] {
            assert_eq!(
                JsonSchema::parse(bad).unwrap_err().code(),
                "ERR_SCHEMA_VALIDATION"
            );
        }
    }
}
