//! librdkafka admin requests through its C API, where rdkafka 0.39 has no wrapper or one that
//! loses information: DescribeConfigs and AlterConfigs (rdkafka's futures drop each resource's
//! error, so a refused alteration would look like a success), IncrementalAlterConfigs (not
//! wrapped), and ListOffsets by time or for the latest / earliest offset on any client handle
//! (rdkafka offers `offsets_for_times` on consumers only). Every function blocks until the
//! answer or the timeout: callers run them on the blocking pool, holding the client whose
//! handle they pass.

use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use crate::engine::admin::config_entry::{ConfigSourceKind, TopicConfigEntry};
use crate::engine::error::{EngineError, EngineResult};

const NO_ERROR: RDKafkaRespErr = RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR;
/// librdkafka times a request out itself after the request timeout; this margin lets that
/// answer (`ERR__TIMED_OUT`) arrive before we stop waiting for it.
const POLL_MARGIN: Duration = Duration::from_millis(200);

/// A resource whose configs are described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    Topic(String),
    Broker(i32),
}

/// One resource of a DescribeConfigs answer.
#[derive(Debug)]
pub(crate) struct DescribedResource {
    pub name: String,
    /// The broker's error for this resource (`ERR_UNKNOWN_TOPIC_OR_PART`, ...).
    pub error: Option<EngineError>,
    pub entries: Vec<TopicConfigEntry>,
}

struct Queue(*mut rd::rd_kafka_queue_t);

impl Drop for Queue {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: created by rd_kafka_queue_new and destroyed only here.
            unsafe { rd::rd_kafka_queue_destroy(self.0) }
        }
    }
}

struct Options(*mut rd::rd_kafka_AdminOptions_t);

impl Drop for Options {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: created by rd_kafka_AdminOptions_new and destroyed only here.
            unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
        }
    }
}

struct Event(*mut rd::rd_kafka_event_t);

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: a non-null event from rd_kafka_queue_poll, destroyed only here.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

struct ConfigResources(Vec<*mut rd::rd_kafka_ConfigResource_t>);

impl ConfigResources {
    fn new(resources: &[Resource]) -> EngineResult<Self> {
        let mut out = ConfigResources(Vec::with_capacity(resources.len()));
        for r in resources {
            let (kind, name) = match r {
                Resource::Topic(t) => (
                    rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                    c_string(t)?,
                ),
                Resource::Broker(id) => (
                    rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_BROKER,
                    c_string(&id.to_string())?,
                ),
            };
            // SAFETY: librdkafka copies the name.
            let native = unsafe { rd::rd_kafka_ConfigResource_new(kind, name.as_ptr()) };
            if native.is_null() {
                return Err(failure("librdkafka refused a config resource"));
            }
            out.0.push(native);
        }
        Ok(out)
    }
}

impl Drop for ConfigResources {
    fn drop(&mut self) {
        for r in &self.0 {
            // SAFETY: created by rd_kafka_ConfigResource_new; requests take copies, so these are
            // ours to destroy, once.
            unsafe { rd::rd_kafka_ConfigResource_destroy(*r) }
        }
    }
}

fn c_string(s: &str) -> EngineResult<CString> {
    CString::new(s).map_err(|_| {
        EngineError::InvalidArg(format!(
            "'{}' contains a NUL character",
            s.replace('\0', "\\0")
        ))
    })
}

/// Copies a C string librdkafka owns; `None` for a null pointer.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that outlives the call.
unsafe fn owned(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

fn millis(d: Duration) -> c_int {
    d.as_millis().clamp(1, c_int::MAX as u128) as c_int
}

fn failure(message: &str) -> EngineError {
    EngineError::Kafka {
        code: RDKafkaErrorCode::Fail,
        message: message.to_string(),
        topic: None,
        partition: None,
    }
}

fn kafka_error(err: RDKafkaRespErr, message: Option<String>) -> EngineError {
    let code = RDKafkaErrorCode::from(err);
    let message = message
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| code.to_string());
    EngineError::Kafka {
        code,
        message,
        topic: None,
        partition: None,
    }
}

/// Sends one admin request built by `submit` on a queue of its own and waits for its answer.
fn request(
    rk: *mut rd::rd_kafka_t,
    op: rd::rd_kafka_admin_op_t,
    timeout: Duration,
    submit: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> EngineResult<Event> {
    // SAFETY: `rk` is a live handle for the whole call (the caller holds its client).
    let queue = Queue(unsafe { rd::rd_kafka_queue_new(rk) });
    // SAFETY: as above.
    let options = Options(unsafe { rd::rd_kafka_AdminOptions_new(rk, op) });
    if queue.0.is_null() || options.0.is_null() {
        return Err(failure("librdkafka could not create an admin request"));
    }
    let mut errstr = [0 as c_char; 512];
    // SAFETY: valid options; errstr is writable for its length.
    let set = unsafe {
        rd::rd_kafka_AdminOptions_set_request_timeout(
            options.0,
            millis(timeout),
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if set != NO_ERROR {
        // SAFETY: librdkafka wrote a NUL-terminated message into errstr.
        let message = unsafe { owned(errstr.as_ptr()) }.unwrap_or_default();
        return Err(EngineError::InvalidArg(message));
    }
    submit(options.0, queue.0);
    // SAFETY: valid queue; the event returned is ours.
    let event = unsafe { rd::rd_kafka_queue_poll(queue.0, millis(timeout + POLL_MARGIN)) };
    if event.is_null() {
        return Err(EngineError::TimedOut(format!(
            "no answer within {} ms",
            timeout.as_millis()
        )));
    }
    let event = Event(event);
    // SAFETY: valid event.
    let err = unsafe { rd::rd_kafka_event_error(event.0) };
    if err != NO_ERROR {
        // SAFETY: valid event; the string lives as long as the event.
        let message = unsafe { owned(rd::rd_kafka_event_error_string(event.0)) };
        return Err(kafka_error(err, message));
    }
    Ok(event)
}

/// DescribeConfigs: every resource's configs, or its own error.
pub(crate) fn describe_configs(
    rk: *mut rd::rd_kafka_t,
    resources: &[Resource],
    timeout: Duration,
) -> EngineResult<Vec<DescribedResource>> {
    let mut natives = ConfigResources::new(resources)?;
    let event = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
        timeout,
        |options, queue| {
            // SAFETY: live handle, resources, options and queue; librdkafka copies the resources.
            unsafe {
                rd::rd_kafka_DescribeConfigs(
                    rk,
                    natives.0.as_mut_ptr(),
                    natives.0.len(),
                    options,
                    queue,
                )
            }
        },
    )?;
    // SAFETY: valid event; the result and everything it points to live as long as the event.
    unsafe {
        let result = rd::rd_kafka_event_DescribeConfigs_result(event.0);
        if result.is_null() {
            return Err(failure(
                "DescribeConfigs was answered with another event type",
            ));
        }
        let mut n = 0usize;
        let list = rd::rd_kafka_DescribeConfigs_result_resources(result, &mut n);
        Ok((0..n).map(|i| read_resource(*list.add(i))).collect())
    }
}

/// # Safety
/// `r` is a resource of a live result event.
unsafe fn read_resource(r: *const rd::rd_kafka_ConfigResource_t) -> DescribedResource {
    let name = owned(rd::rd_kafka_ConfigResource_name(r)).unwrap_or_default();
    let err = rd::rd_kafka_ConfigResource_error(r);
    let error = (err != NO_ERROR)
        .then(|| kafka_error(err, owned(rd::rd_kafka_ConfigResource_error_string(r))));
    let mut n = 0usize;
    let list = rd::rd_kafka_ConfigResource_configs(r, &mut n);
    let entries = (0..n)
        .map(|j| {
            let e = *list.add(j);
            TopicConfigEntry {
                name: owned(rd::rd_kafka_ConfigEntry_name(e)).unwrap_or_default(),
                value: owned(rd::rd_kafka_ConfigEntry_value(e)),
                source: source_kind(rd::rd_kafka_ConfigEntry_source(e)),
                read_only: rd::rd_kafka_ConfigEntry_is_read_only(e) != 0,
                is_default: rd::rd_kafka_ConfigEntry_is_default(e) != 0,
                sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(e) != 0,
            }
        })
        .collect();
    DescribedResource {
        name,
        error,
        entries,
    }
}

fn source_kind(source: rd::rd_kafka_ConfigSource_t) -> ConfigSourceKind {
    use rd::rd_kafka_ConfigSource_t::*;
    match source {
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => ConfigSourceKind::Topic,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => ConfigSourceKind::DynamicBroker,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => {
            ConfigSourceKind::DynamicDefaultBroker
        }
        RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => ConfigSourceKind::StaticBroker,
        RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => ConfigSourceKind::Default,
        RD_KAFKA_CONFIG_SOURCE_GROUP_CONFIG => ConfigSourceKind::Group,
        _ => ConfigSourceKind::Unknown,
    }
}

/// IncrementalAlterConfigs on one topic: sets each `(name, Some(value))`, reverts each
/// `(name, None)` to its default, and leaves every other config as it is.
pub(crate) fn alter_topic_configs(
    rk: *mut rd::rd_kafka_t,
    topic: &str,
    changes: &[(String, Option<String>)],
    timeout: Duration,
) -> EngineResult<()> {
    let mut natives = ConfigResources::new(&[Resource::Topic(topic.to_string())])?;
    let resource = natives.0[0];
    for (name, value) in changes {
        let name_c = c_string(name)?;
        let value_c = value.as_deref().map(c_string).transpose()?;
        let op = match value {
            Some(_) => rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
            None => rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
        };
        let value_ptr = value_c.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        // SAFETY: live resource; librdkafka copies name and value (value may be null for DELETE).
        let error = unsafe {
            rd::rd_kafka_ConfigResource_add_incremental_config(
                resource,
                name_c.as_ptr(),
                op,
                value_ptr,
            )
        };
        if !error.is_null() {
            // SAFETY: a non-null error object we own: read, then destroy once.
            let message = unsafe {
                let m = owned(rd::rd_kafka_error_string(error));
                rd::rd_kafka_error_destroy(error);
                m
            };
            return Err(EngineError::InvalidArg(format!(
                "config '{name}': {}",
                message.unwrap_or_default()
            )));
        }
    }
    let op = rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS;
    let event = request(rk, op, timeout, |options, queue| {
        // SAFETY: live handle, resources, options and queue; librdkafka copies the resources.
        unsafe {
            rd::rd_kafka_IncrementalAlterConfigs(
                rk,
                natives.0.as_mut_ptr(),
                natives.0.len(),
                options,
                queue,
            )
        }
    })?;
    // SAFETY: valid event; the result and its resources live as long as the event.
    unsafe {
        let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(event.0);
        if result.is_null() {
            return Err(failure(
                "IncrementalAlterConfigs was answered with another event type",
            ));
        }
        let mut n = 0usize;
        let list = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut n);
        for i in 0..n {
            let r = *list.add(i);
            let err = rd::rd_kafka_ConfigResource_error(r);
            if err != NO_ERROR {
                let message = owned(rd::rd_kafka_ConfigResource_error_string(r));
                return Err(kafka_error(err, message).about(topic, None));
            }
        }
    }
    Ok(())
}

/// ListOffsets for every partition of `tpl`, whose offsets are the query: a time in ms (the
/// first offset at or after it; `Offset::End` in the answer when there is none), -1 (the
/// latest offset, the high watermark) or -2 (the earliest). Answers replace the queries.
pub(crate) fn list_offsets(
    rk: *mut rd::rd_kafka_t,
    tpl: &mut TopicPartitionList,
    timeout: Duration,
) -> EngineResult<()> {
    if tpl.count() == 0 {
        return Ok(());
    }
    // SAFETY: live handle and list; librdkafka writes the answers into the list in place.
    let err = unsafe { rd::rd_kafka_offsets_for_times(rk, tpl.ptr(), millis(timeout)) };
    if err != NO_ERROR {
        return Err(kafka_error(err, None));
    }
    for e in tpl.elements() {
        if let Err(error) = e.error() {
            return Err(EngineError::from(error).about(e.topic(), Some(e.partition())));
        }
    }
    Ok(())
}

/// One group of a DescribeConsumerGroups answer.
#[derive(Debug)]
pub(crate) struct DescribedGroup {
    /// The broker's error for this group (`ERR_GROUP_ID_NOT_FOUND`, ...).
    pub error: Option<EngineError>,
    /// librdkafka's name of the state (`Stable`, `Empty`, ...).
    pub state: String,
    /// `Classic` or `Consumer` (KIP-848).
    pub group_type: String,
    /// The client-side assignor (classic) or the broker's (consumer protocol, e.g. `uniform`).
    pub assignor: String,
    pub members: Vec<DescribedMember>,
}

/// A member of a described group.
#[derive(Debug)]
pub(crate) struct DescribedMember {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    /// Its current assignment, as (topic, partition) pairs.
    pub assignment: Vec<(String, i32)>,
}

/// DescribeConsumerGroups of one group: librdkafka (2.10+) asks ConsumerGroupDescribe first,
/// which describes KIP-848 groups, and falls back to DescribeGroups for classic ones.
pub(crate) fn describe_consumer_group(
    rk: *mut rd::rd_kafka_t,
    group: &str,
    timeout: Duration,
) -> EngineResult<DescribedGroup> {
    let name = c_string(group)?;
    let event = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        timeout,
        |options, queue| {
            let mut groups = [name.as_ptr()];
            // SAFETY: live handle, options and queue; librdkafka copies the group names.
            unsafe {
                rd::rd_kafka_DescribeConsumerGroups(
                    rk,
                    groups.as_mut_ptr(),
                    groups.len(),
                    options,
                    queue,
                )
            }
        },
    )?;
    // SAFETY: valid event; the result and everything it points to live as long as the event.
    unsafe {
        let result = rd::rd_kafka_event_DescribeConsumerGroups_result(event.0);
        if result.is_null() {
            return Err(failure(
                "DescribeConsumerGroups was answered with another event type",
            ));
        }
        let mut n = 0usize;
        let list = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut n);
        if n == 0 || list.is_null() {
            return Err(failure("DescribeConsumerGroups answered no group"));
        }
        Ok(read_group(*list))
    }
}

/// # Safety
/// `g` is a group description of a live result event.
unsafe fn read_group(g: *const rd::rd_kafka_ConsumerGroupDescription_t) -> DescribedGroup {
    let error = rd::rd_kafka_ConsumerGroupDescription_error(g);
    let error = (!error.is_null()).then(|| {
        kafka_error(
            rd::rd_kafka_error_code(error),
            owned(rd::rd_kafka_error_string(error)),
        )
    });
    let members = (0..rd::rd_kafka_ConsumerGroupDescription_member_count(g))
        .map(|i| {
            let m = rd::rd_kafka_ConsumerGroupDescription_member(g, i);
            let partitions = rd::rd_kafka_MemberAssignment_partitions(
                rd::rd_kafka_MemberDescription_assignment(m),
            );
            DescribedMember {
                member_id: owned(rd::rd_kafka_MemberDescription_consumer_id(m)).unwrap_or_default(),
                client_id: owned(rd::rd_kafka_MemberDescription_client_id(m)).unwrap_or_default(),
                host: owned(rd::rd_kafka_MemberDescription_host(m)).unwrap_or_default(),
                assignment: read_partitions(partitions),
            }
        })
        .collect();
    DescribedGroup {
        error,
        state: owned(rd::rd_kafka_consumer_group_state_name(
            rd::rd_kafka_ConsumerGroupDescription_state(g),
        ))
        .unwrap_or_default(),
        group_type: owned(rd::rd_kafka_consumer_group_type_name(
            rd::rd_kafka_ConsumerGroupDescription_type(g),
        ))
        .unwrap_or_default(),
        assignor: owned(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(g))
            .unwrap_or_default(),
        members,
    }
}

/// # Safety
/// `list` is null or a partition list of a live result event.
unsafe fn read_partitions(list: *const rd::rd_kafka_topic_partition_list_t) -> Vec<(String, i32)> {
    if list.is_null() {
        return Vec::new();
    }
    let count = usize::try_from((*list).cnt).unwrap_or(0);
    (0..count)
        .map(|i| {
            let e = &*(*list).elems.add(i);
            (owned(e.topic).unwrap_or_default(), e.partition)
        })
        .collect()
}
