//! The admin calls that rewrite or remove what the cluster stores for consumers: a stopped
//! group's offsets (`setOffsets`), whole groups (`deleteGroups`) and a partition's oldest records
//! (`deleteRecords`). A separate `#[napi] impl` block of `KafkaAdmin` (napi-rs merges them).

use napi::bindgen_prelude::*;
use napi::Env;

use crate::binding::admin::{admin_call, read_string, KafkaAdmin};
use crate::binding::args::{call_timeout, read, read_strings};
use crate::binding::error::invalid_arg;
use crate::binding::groups::JsPartitionOffset;
use crate::binding::promise::{rejected, settle};
use crate::engine::admin::PartitionOffset;
use crate::engine::error::EngineResult;

/// An array of `{topic, partition, offset}`, or `ERR_INVALID_ARG` naming `what`.
fn read_offsets(env: &Env, v: Unknown<'_>, what: &str) -> EngineResult<Vec<PartitionOffset>> {
    if !v.is_array().unwrap_or(false) {
        return Err(invalid_arg(
            what,
            "expected an array of {topic, partition, offset}",
        ));
    }
    let list: Vec<JsPartitionOffset> = read(env, v, what)?;
    Ok(list.into_iter().map(PartitionOffset::from).collect())
}

#[napi]
impl KafkaAdmin {
    /// Commits the given offsets for a group that has no active member; resolves with what was
    /// committed. Rejects with `ERR_NON_EMPTY_GROUP` while the group has members,
    /// `ERR_UNKNOWN_TOPIC_OR_PART` for a partition the cluster does not have, `ERR_INVALID_ARG`
    /// for a negative offset.
    #[napi(
        ts_args_type = "groupId: string, offsets: PartitionOffset[], options?: AdminCallOptions",
        ts_return_type = "Promise<PartitionOffset[]>"
    )]
    pub fn set_offsets<'e>(
        &self,
        env: &'e Env,
        group_id: Unknown<'e>,
        offsets: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsPartitionOffset>>> {
        admin_call!(
            self,
            env,
            Ok((
                read_string(env, group_id, "groupId")?,
                read_offsets(env, offsets, "offsets")?,
                call_timeout(env, options)?
            )),
            |admin, (group, offsets, timeout)| admin.set_offsets(&group, offsets, timeout),
            |_, offsets| Ok(offsets
                .into_iter()
                .map(JsPartitionOffset::from)
                .collect::<Vec<_>>())
        )
    }

    /// Deletes consumer groups and their committed offsets. Rejects with the first failure
    /// (`ERR_NON_EMPTY_GROUP` while a group has members, `ERR_GROUP_ID_NOT_FOUND` for one that
    /// does not exist); the other groups are still deleted.
    #[napi(
        ts_args_type = "groupIds: string[], options?: AdminCallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn delete_groups<'e>(
        &self,
        env: &'e Env,
        group_ids: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, ()>> {
        admin_call!(
            self,
            env,
            Ok((
                read_strings(env, group_ids, "groupIds")?,
                call_timeout(env, options)?
            )),
            |admin, (groups, timeout)| admin.delete_groups(&groups, timeout),
            |_, ()| Ok(())
        )
    }

    /// Deletes each partition's records below `offset` (-1: all of them, up to the high
    /// watermark); resolves with each partition's new low watermark. Rejects with the first
    /// partition's error: `ERR_OFFSET_OUT_OF_RANGE` for an offset above the high watermark,
    /// `ERR_UNKNOWN_TOPIC_OR_PART` for a partition that does not exist.
    #[napi(
        ts_args_type = "offsets: PartitionOffset[], options?: AdminCallOptions",
        ts_return_type = "Promise<PartitionOffset[]>"
    )]
    pub fn delete_records<'e>(
        &self,
        env: &'e Env,
        offsets: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<PromiseRaw<'e, Vec<JsPartitionOffset>>> {
        admin_call!(
            self,
            env,
            Ok((
                read_offsets(env, offsets, "offsets")?,
                call_timeout(env, options)?
            )),
            |admin, (offsets, timeout)| admin.delete_records(&offsets, timeout),
            |_, low| Ok(low
                .into_iter()
                .map(JsPartitionOffset::from)
                .collect::<Vec<_>>())
        )
    }
}
