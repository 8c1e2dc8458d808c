//! Start positions resolved before an assignment is handed over, so that "latest" means the end
//! of the partition when the member was assigned it, not when librdkafka got round to asking.
//!
//! librdkafka resolves `auto.offset.reset=latest` for a partition the group never committed only
//! after the assignment, with a request of its own; a message produced between the assignment and
//! that answer is skipped. A caller that publishes right after `subscribe()` (or the facade's
//! `run()`) saw its assignment would lose that message. Resolving the end offsets here, while the
//! rebalance callback still holds the assignment, closes the gap for every entry point.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

/// Bound on each of the two lookups; a slow cluster leaves librdkafka's own resolution in place.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a consumer configured with this `auto.offset.reset` value starts fresh partitions at
/// their end (librdkafka's spellings of "latest").
pub(crate) fn resets_to_latest(auto_offset_reset: Option<&str>) -> bool {
    matches!(auto_offset_reset, Some("latest" | "largest" | "end"))
}

/// Sets every partition of `tpl` that has no start offset yet and no committed offset in the group
/// to the partition's current end (the last stable offset under `read_committed`). Partitions with
/// a committed offset, and all of them when a lookup fails, are left to librdkafka; the failure is
/// returned for the caller to log.
pub(crate) fn pin_latest<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    tpl: &mut TopicPartitionList,
) -> Result<usize, rdkafka::error::KafkaError> {
    let mut unset = TopicPartitionList::new();
    for e in tpl.elements() {
        if e.offset() == Offset::Invalid {
            unset.add_partition(e.topic(), e.partition());
        }
    }
    if unset.count() == 0 {
        return Ok(0);
    }
    let committed = consumer.committed_offsets(unset, LOOKUP_TIMEOUT)?;
    let mut fresh = TopicPartitionList::new();
    for e in committed.elements() {
        if !matches!(e.offset(), Offset::Offset(o) if o >= 0) {
            // ListOffsets reads the offset field as a timestamp; -1 asks for the end.
            let _ = fresh.add_partition_offset(e.topic(), e.partition(), Offset::End);
        }
    }
    if fresh.count() == 0 {
        return Ok(0);
    }
    let ends = consumer.offsets_for_times(fresh, LOOKUP_TIMEOUT)?;
    let mut pinned = 0;
    for e in ends.elements() {
        if let Offset::Offset(end) = e.offset() {
            if e.error().is_ok()
                && tpl
                    .set_partition_offset(e.topic(), e.partition(), Offset::Offset(end))
                    .is_ok()
            {
                pinned += 1;
            }
        }
    }
    Ok(pinned)
}

#[cfg(test)]
mod tests {
    use super::resets_to_latest;

    #[test]
    fn latest_has_three_spellings_and_nothing_else_pins() {
        for v in ["latest", "largest", "end"] {
            assert!(resets_to_latest(Some(v)), "{v}");
        }
        for v in ["earliest", "smallest", "beginning", "error"] {
            assert!(!resets_to_latest(Some(v)), "{v}");
        }
        assert!(!resets_to_latest(None));
    }
}
