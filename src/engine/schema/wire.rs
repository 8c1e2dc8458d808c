//! The Confluent wire format: magic byte 0, the writer schema's registry id as 4 big-endian
//! bytes, then the encoded body (Avro binary or JSON text).

use crate::engine::error::{EngineError, EngineResult};

/// The first byte of every framed value.
pub const MAGIC: u8 = 0;
/// Magic byte plus schema id.
pub const HEADER_LEN: usize = 5;

/// Starts a frame for `id` with room for a body of about `body_hint` bytes.
pub fn begin(id: u32, body_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body_hint);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// The schema id and body of a framed value; `ERR_SCHEMA_DECODE` for anything else.
pub fn split(bytes: &[u8]) -> EngineResult<(u32, &[u8])> {
    if bytes.len() < HEADER_LEN {
        return Err(EngineError::SchemaDecode(format!(
            "{} bytes is shorter than the 5-byte schema header",
            bytes.len()
        )));
    }
    if bytes[0] != MAGIC {
        return Err(EngineError::SchemaDecode(format!(
            "unknown magic byte {} (expected 0)",
            bytes[0]
        )));
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut f = begin(0x0102_0304, 3);
        f.extend_from_slice(b"abc");
        assert_eq!(&f[..5], &[0, 1, 2, 3, 4]);
        let (id, body) = split(&f).unwrap();
        assert_eq!((id, body), (0x0102_0304, &b"abc"[..]));
    }

    #[test]
    fn bad_frames_are_decode_errors() {
        for bad in [&b""[..], &[0, 0, 0][..], &[1, 0, 0, 0, 1, 2][..]] {
            assert_eq!(split(bad).unwrap_err().code(), "ERR_SCHEMA_DECODE");
        }
    }
}
