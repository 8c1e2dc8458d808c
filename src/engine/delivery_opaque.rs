//! What librdkafka hands back with each delivery report (the message's opaque): where its
//! outcome goes. A message queued alone carries its own (`PendingDelivery`, boxed); the messages
//! of a run (`produce_run`) share one allocation for the run, each pointing at its slot in it: no
//! allocation, no free and no reference counts per message. Profiled on a `publishBatch` loop
//! (callgrind, 2026-12-04), the box per message and its two `Arc`s were an allocation on the JS
//! thread and a free on the delivery thread for every message.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rdkafka::util::IntoOpaque;

use crate::engine::metrics::topic_tally::TopicTally;
use crate::engine::producer::BatchCollector;

/// Where a message queued alone reports: its batch, its index in it, its topic's figures and its
/// event type.
pub struct PendingDelivery {
    pub(crate) collector: Arc<BatchCollector>,
    pub(crate) index: usize,
    /// The counters and figures of the message's topic, and its name for the report.
    pub(crate) topic: Arc<TopicTally>,
    /// Read from the `eventTypeHeader` header, when one is configured.
    pub(crate) event_type: Option<Arc<str>>,
}

/// A message's opaque: its own `PendingDelivery`, or its slot of a run. Dropping it (after its
/// delivery report, or when librdkafka refused the message) releases the run's slot.
pub enum Delivery {
    Alone(Box<PendingDelivery>),
    InRun(RunSlotRef),
}

/// A delivery's parts, borrowed from it.
pub struct DeliveryParts<'a> {
    pub collector: &'a Arc<BatchCollector>,
    pub index: usize,
    pub topic: &'a Arc<TopicTally>,
    pub event_type: Option<&'a Arc<str>>,
}

impl Delivery {
    /// Where the outcome goes.
    pub fn parts(&self) -> DeliveryParts<'_> {
        match self {
            Delivery::Alone(p) => DeliveryParts {
                collector: &p.collector,
                index: p.index,
                topic: &p.topic,
                event_type: p.event_type.as_ref(),
            },
            Delivery::InRun(slot) => {
                let (run, index) = slot.get();
                DeliveryParts {
                    collector: &run.collector,
                    index,
                    topic: &run.topic,
                    event_type: None,
                }
            }
        }
    }
}

/// The opaque's low bit tells a run's slot (1) from a boxed `PendingDelivery` (0): both are
/// aligned to 8 bytes, so the bit is free.
const IN_RUN: usize = 1;

impl IntoOpaque for Delivery {
    fn into_ptr(self) -> *mut c_void {
        match self {
            Delivery::Alone(p) => Box::into_raw(p).cast(),
            Delivery::InRun(slot) => {
                let ptr = slot.0.as_ptr() as usize | IN_RUN;
                std::mem::forget(slot);
                ptr as *mut c_void
            }
        }
    }

    unsafe fn from_ptr(ptr: *mut c_void) -> Self {
        let addr = ptr as usize;
        if addr & IN_RUN == 0 {
            // SAFETY: made by `into_ptr` from a `Box<PendingDelivery>`, handed back once.
            Delivery::Alone(unsafe { Box::from_raw(ptr.cast()) })
        } else {
            let slot = (addr & !IN_RUN) as *mut RunSlot;
            // SAFETY: made by `into_ptr` from a live slot, handed back once.
            Delivery::InRun(RunSlotRef(unsafe { NonNull::new_unchecked(slot) }))
        }
    }
}

/// What the messages of one run share, and a slot per message. Freed when the last message's
/// opaque is dropped.
struct RunDeliveries {
    collector: Arc<BatchCollector>,
    topic: Arc<TopicTally>,
    /// Slots whose `RunSlotRef` is not dropped yet.
    outstanding: AtomicUsize,
    slots: Box<[RunSlot]>,
}

/// One message of a run: its index in the batch, and the run it belongs to.
struct RunSlot {
    run: NonNull<RunDeliveries>,
    index: usize,
}

/// A message's slot of a run; the run lives while any of its slots does.
pub struct RunSlotRef(NonNull<RunSlot>);

// SAFETY: a slot is read-only once made, and the run's count of slots is atomic; what they refer
// to (`BatchCollector`, `TopicTally`) is `Send + Sync`.
unsafe impl Send for RunSlotRef {}
unsafe impl Sync for RunSlotRef {}

impl RunSlotRef {
    fn get(&self) -> (&RunDeliveries, usize) {
        // SAFETY: the slot and its run live while this reference does (`Drop`).
        let slot = unsafe { self.0.as_ref() };
        (unsafe { slot.run.as_ref() }, slot.index)
    }
}

impl Drop for RunSlotRef {
    fn drop(&mut self) {
        let (run, _) = self.get();
        if run.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: the last slot of the run: nothing refers to it any more.
            let run = unsafe { self.0.as_ref() }.run;
            drop(unsafe { Box::from_raw(run.as_ptr()) });
        }
    }
}

/// The opaques of a run's messages, in order: `indices` are their indices in the batch. The run
/// is one allocation for its slots and one for what they share.
pub fn run_deliveries(
    collector: &Arc<BatchCollector>,
    topic: &Arc<TopicTally>,
    indices: impl ExactSizeIterator<Item = usize>,
) -> Vec<Delivery> {
    let run = Box::into_raw(Box::new(RunDeliveries {
        collector: collector.clone(),
        topic: topic.clone(),
        outstanding: AtomicUsize::new(0),
        slots: Box::new([]),
    }));
    // SAFETY: `run` was just made and is not shared until its slots are handed out below.
    let run_ptr = unsafe { NonNull::new_unchecked(run) };
    let slots: Box<[RunSlot]> = indices
        .map(|index| RunSlot {
            run: run_ptr,
            index,
        })
        .collect();
    if slots.is_empty() {
        // SAFETY: as above: nothing refers to it.
        drop(unsafe { Box::from_raw(run) });
        return Vec::new();
    }
    // SAFETY: as above; the slots stay in place (a boxed slice) until the run is freed.
    let run = unsafe { &mut *run };
    *run.outstanding.get_mut() = slots.len();
    run.slots = slots;
    run.slots
        .iter()
        .map(|slot| Delivery::InRun(RunSlotRef(NonNull::from(slot))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stats::ProducerStats;

    fn batch(n: usize) -> (Arc<BatchCollector>, Arc<TopicTally>) {
        let stats = Arc::new(ProducerStats::default());
        let topic = stats.figures.topic("t");
        (Arc::new(BatchCollector::new(n, stats)), topic)
    }

    #[test]
    fn a_run_lives_until_its_last_slot_comes_back_in_any_order() {
        let (collector, topic) = batch(3);
        let before = (Arc::strong_count(&collector), Arc::strong_count(&topic));
        let deliveries = run_deliveries(&collector, &topic, [4usize, 7, 9].into_iter());
        assert_eq!(
            Arc::strong_count(&topic),
            before.1 + 1,
            "one reference per run"
        );
        let opaques: Vec<*mut c_void> = deliveries.into_iter().map(IntoOpaque::into_ptr).collect();
        assert!(opaques.iter().all(|p| *p as usize & IN_RUN == IN_RUN));
        let mut indices = Vec::new();
        for (i, opaque) in [1, 2, 0].map(|i| (i, opaques[i])) {
            // SAFETY: each opaque is handed back once, as librdkafka does.
            let delivery = unsafe { Delivery::from_ptr(opaque) };
            let parts = delivery.parts();
            assert!(Arc::ptr_eq(parts.collector, &collector));
            assert!(Arc::ptr_eq(parts.topic, &topic));
            assert!(parts.event_type.is_none());
            indices.push(parts.index);
            let live = if i == 0 { before.1 } else { before.1 + 1 };
            drop(delivery);
            assert_eq!(Arc::strong_count(&topic), live, "after slot {i}");
        }
        assert_eq!(indices, [7, 9, 4]);
        assert_eq!(Arc::strong_count(&collector), before.0);
    }

    #[test]
    fn unsent_slots_release_the_run_when_dropped() {
        let (collector, topic) = batch(2);
        let before = Arc::strong_count(&topic);
        let mut deliveries = run_deliveries(&collector, &topic, [0usize, 1].into_iter());
        let first = deliveries.remove(0).into_ptr();
        drop(deliveries);
        assert_eq!(Arc::strong_count(&topic), before + 1, "one slot still out");
        // SAFETY: handed back once.
        drop(unsafe { Delivery::from_ptr(first) });
        assert_eq!(Arc::strong_count(&topic), before);
        assert!(run_deliveries(&collector, &topic, std::iter::empty()).is_empty());
        assert_eq!(Arc::strong_count(&topic), before);
    }

    #[test]
    fn a_message_alone_carries_its_own() {
        let (collector, topic) = batch(1);
        let kind: Arc<str> = Arc::from("job.done");
        let opaque = Delivery::Alone(Box::new(PendingDelivery {
            collector: collector.clone(),
            index: 5,
            topic: topic.clone(),
            event_type: Some(kind.clone()),
        }))
        .into_ptr();
        assert_eq!(opaque as usize & IN_RUN, 0);
        // SAFETY: handed back once.
        let delivery = unsafe { Delivery::from_ptr(opaque) };
        let parts = delivery.parts();
        assert_eq!(parts.index, 5);
        assert_eq!(parts.event_type, Some(&kind));
        drop(delivery);
        assert_eq!(Arc::strong_count(&collector), 1);
    }
}
