//! Adaptive linger: when a small send should wait for others to join it. librdkafka's
//! `linger.ms` holds every message, an awaited one too (a linger of 5 ms caps one-at-a-time
//! publishes near 200/s). This holds a send only while a steady stream of publishes is in flight,
//! where a linger of 0 makes one produce request per partition for every two or three messages:
//! four times the requests, delivery reports and wake-ups of a 5 ms linger, which on a machine
//! short of CPU is what the tail latency follows (bench/README.md, "the CPU gap is `linger.ms`").
//! A publish made while none is in flight, or at a trickle, goes at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The pace is counted over windows this long.
const PACE_WINDOW: Duration = Duration::from_millis(50);
/// Below this many messages per second no send waits: sent at once, they rarely find one in
/// flight, and those that do would wait in the tail.
const STEADY_RATE: u64 = 2_000;
/// With this many messages in flight librdkafka's queue already gathers what comes in.
const GATHERING_IN_FLIGHT: i64 = 1_000;
/// A call of this many messages is a batch of its own.
const BATCH_CALL: usize = 64;

/// The producer's pace, and how long a send made at a steady pace waits.
pub struct AdaptiveLinger {
    wait: Duration,
    pace: Mutex<Pace>,
    /// Calls held so far.
    held: AtomicU64,
}

/// Messages sent in the current window, and the rate of the last one.
struct Pace {
    started: Instant,
    messages: u64,
    /// Messages per second in the last full window; 0 after a window with none.
    rate: u64,
}

impl AdaptiveLinger {
    /// Sends wait up to `wait` at a steady pace.
    pub fn new(wait: Duration) -> Self {
        AdaptiveLinger {
            wait,
            pace: Mutex::new(Pace {
                started: Instant::now(),
                messages: 0,
                rate: 0,
            }),
            held: AtomicU64::new(0),
        }
    }

    /// Calls held so far.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    /// Counts a call of `count` messages made at `now` with `in_flight` messages of earlier
    /// calls not yet reported, and says until when it waits for others: `None` to send it at
    /// once, or, when `queued_behind` (the lane holds calls before it), to queue it behind them
    /// without a wait of its own. Every call counts towards the pace.
    pub fn hold(
        &self,
        count: usize,
        in_flight: i64,
        queued_behind: bool,
        now: Instant,
    ) -> Option<Instant> {
        let rate = {
            let mut pace = self.pace.lock().unwrap_or_else(|p| p.into_inner());
            let elapsed = now.saturating_duration_since(pace.started);
            if elapsed >= PACE_WINDOW {
                pace.rate = if elapsed >= PACE_WINDOW * 2 {
                    0
                } else {
                    pace.messages * 1_000_000 / elapsed.as_micros().max(1) as u64
                };
                pace.started = now;
                pace.messages = 0;
            }
            pace.messages += count as u64;
            pace.rate
        };
        let steady = !queued_behind
            && rate >= STEADY_RATE
            && in_flight > 0
            && in_flight < GATHERING_IN_FLIGHT
            && count < BATCH_CALL;
        if !steady {
            return None;
        }
        self.held.fetch_add(1, Ordering::Relaxed);
        Some(now + self.wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls of one message every `gap` from `start`, `n` of them; what the last one got.
    fn paced(linger: &AdaptiveLinger, start: Instant, gap: Duration, n: u32) -> Option<Instant> {
        (0..n)
            .map(|i| linger.hold(1, 5, false, start + gap * i))
            .last()
            .flatten()
    }

    #[test]
    fn a_steady_stream_in_flight_waits() {
        let linger = AdaptiveLinger::new(Duration::from_millis(5));
        let start = Instant::now();
        let last = start + Duration::from_micros(100) * 1_999;
        assert_eq!(
            paced(&linger, start, Duration::from_micros(100), 2_000),
            Some(last + Duration::from_millis(5))
        );
    }

    #[test]
    fn a_trickle_goes_at_once() {
        let linger = AdaptiveLinger::new(Duration::from_millis(5));
        assert_eq!(
            paced(&linger, Instant::now(), Duration::from_millis(1), 500),
            None
        );
    }

    /// A linger after 200 ms of 10,000 calls a second, and the moment just after.
    fn after_a_steady_stream() -> (AdaptiveLinger, Instant) {
        let linger = AdaptiveLinger::new(Duration::from_millis(5));
        let start = Instant::now();
        paced(&linger, start, Duration::from_micros(100), 2_000);
        (linger, start + Duration::from_millis(201))
    }

    #[test]
    fn nothing_in_flight_goes_at_once() {
        let (linger, later) = after_a_steady_stream();
        assert_eq!(linger.hold(1, 0, false, later), None);
        assert!(linger.hold(1, 1, false, later).is_some());
    }

    #[test]
    fn batches_and_deep_queues_go_at_once() {
        let (linger, later) = after_a_steady_stream();
        assert_eq!(linger.hold(BATCH_CALL, 5, false, later), None);
        assert_eq!(linger.hold(1, GATHERING_IN_FLIGHT, false, later), None);
    }

    #[test]
    fn calls_queued_behind_others_count_towards_the_pace_and_do_not_wait() {
        let linger = AdaptiveLinger::new(Duration::from_millis(5));
        let start = Instant::now();
        let gap = Duration::from_micros(100);
        for i in 0..2_000 {
            assert_eq!(linger.hold(1, 5, true, start + gap * i), None);
        }
        assert!(linger.hold(1, 5, false, start + gap * 2_000).is_some());
    }

    #[test]
    fn a_pause_forgets_the_pace() {
        let (linger, later) = after_a_steady_stream();
        assert_eq!(
            linger.hold(1, 5, false, later + Duration::from_millis(800)),
            None
        );
    }
}
