//! The consumer protocol's assignment bytes (what a group leader hands each member in
//! SyncGroup, and what DescribeGroups returns): version, then the assigned topics and their
//! partitions, then user data.

use crate::engine::error::{EngineError, EngineResult};

/// Partitions of one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> EngineResult<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| {
                EngineError::InvalidArg(format!(
                    "assignment truncated at byte {} (needs {n} more)",
                    self.at
                ))
            })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn i16(&mut self) -> EngineResult<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> EngineResult<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An array length; -1 (null) reads as empty.
    fn count(&mut self) -> EngineResult<usize> {
        let n = self.i32()?;
        if n < -1 {
            return Err(EngineError::InvalidArg(format!(
                "negative array length {n} in assignment"
            )));
        }
        let n = n.max(0) as usize;
        // Each element takes at least 2 bytes: a count larger than that is corrupt, and must not
        // make us allocate for it.
        if n > (self.bytes.len() - self.at) / 2 {
            return Err(EngineError::InvalidArg(format!(
                "array length {n} exceeds the assignment's size"
            )));
        }
        Ok(n)
    }

    fn string(&mut self) -> EngineResult<String> {
        let n = self.i16()?;
        if n < 0 {
            return Err(EngineError::InvalidArg(
                "null topic name in assignment".into(),
            ));
        }
        let b = self.take(n as usize)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| EngineError::InvalidArg("topic name in assignment is not UTF-8".into()))
    }
}

/// Parses a `ConsumerProtocolAssignment` (versions 0 to 3 share this layout). Empty bytes (a
/// member not yet assigned) are an empty assignment; malformed bytes are `ERR_INVALID_ARG`.
pub fn parse_assignment(bytes: &[u8]) -> EngineResult<Vec<TopicPartitions>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader { bytes, at: 0 };
    let version = r.i16()?;
    if version < 0 {
        return Err(EngineError::InvalidArg(format!(
            "assignment version {version}"
        )));
    }
    let topics = r.count()?;
    let mut out = Vec::with_capacity(topics);
    for _ in 0..topics {
        let topic = r.string()?;
        let n = r.count()?;
        let mut partitions = Vec::with_capacity(n);
        for _ in 0..n {
            partitions.push(r.i32()?);
        }
        partitions.sort_unstable();
        out.push(TopicPartitions { topic, partitions });
    }
    // User data follows; the engine has no use for it.
    out.sort_by(|a, b| a.topic.cmp(&b.topic));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(version: i16, topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&version.to_be_bytes());
        b.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for (t, ps) in topics {
            b.extend_from_slice(&(t.len() as i16).to_be_bytes());
            b.extend_from_slice(t.as_bytes());
            b.extend_from_slice(&(ps.len() as i32).to_be_bytes());
            for p in *ps {
                b.extend_from_slice(&p.to_be_bytes());
            }
        }
        b.extend_from_slice(&(-1i32).to_be_bytes());
        b
    }

    #[test]
    fn parses_topics_and_partitions_of_every_version() {
        for version in 0..=3 {
            let bytes = encode(version, &[("orders", &[2, 0]), ("audit-trail", &[1])]);
            assert_eq!(
                parse_assignment(&bytes).unwrap(),
                vec![
                    TopicPartitions {
                        topic: "audit-trail".into(),
                        partitions: vec![1]
                    },
                    TopicPartitions {
                        topic: "orders".into(),
                        partitions: vec![0, 2]
                    },
                ]
            );
        }
        assert_eq!(parse_assignment(&[]).unwrap(), vec![]);
        assert_eq!(parse_assignment(&encode(0, &[])).unwrap(), vec![]);
    }

    #[test]
    fn malformed_bytes_are_errors_not_panics() {
        let bytes = encode(1, &[("orders", &[0, 1, 2])]);
        for cut in 1..bytes.len() - 4 {
            assert_eq!(
                parse_assignment(&bytes[..cut]).unwrap_err().code(),
                "ERR_INVALID_ARG",
                "cut at {cut}"
            );
        }
        let mut huge = vec![0, 0];
        huge.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(parse_assignment(&huge).is_err());
        let mut negative = vec![0, 0];
        negative.extend_from_slice(&(-7i32).to_be_bytes());
        assert!(parse_assignment(&negative).is_err());
    }
}
