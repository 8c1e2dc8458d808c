//! The `dev` and `prod` profiles every catalog preset comes in.

use std::str::FromStr;

use crate::engine::error::{EngineError, EngineResult};

/// Where the topics go: a single-broker development cluster or a replicated production one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Replication 1, `min.insync.replicas` 1: runs on one broker.
    Dev,
    /// Replication 3, `min.insync.replicas` 2: survives the loss of one broker without
    /// refusing `acks=all` writes.
    Prod,
}

impl FromStr for Profile {
    type Err = EngineError;
    fn from_str(s: &str) -> EngineResult<Self> {
        match s {
            "dev" => Ok(Profile::Dev),
            "prod" => Ok(Profile::Prod),
            other => Err(EngineError::InvalidArg(format!(
                "profile must be 'dev' or 'prod' (got '{other}')"
            ))),
        }
    }
}

impl Profile {
    pub fn replication_factor(self) -> i32 {
        match self {
            Profile::Dev => 1,
            Profile::Prod => 3,
        }
    }

    pub fn min_insync_replicas(self) -> i32 {
        match self {
            Profile::Dev => 1,
            Profile::Prod => 2,
        }
    }
}
