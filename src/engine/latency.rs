//! Latency recording into an HDR histogram and its summary in milliseconds.

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Percentiles and moments of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
}

/// A thread-safe histogram of durations from 1 µs to 1 hour, 3 significant digits.
pub struct LatencyRecorder {
    histogram: Mutex<Histogram<u64>>,
}

/// The longest duration the engine's latency histograms take: one hour.
pub const MAX_MICROS: u64 = 3_600_000_000;

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        let histogram = Histogram::new_with_bounds(1, MAX_MICROS, 3)
            .expect("static histogram bounds are valid");
        LatencyRecorder {
            histogram: Mutex::new(histogram),
        }
    }

    /// Records one duration (clamped to the histogram's range).
    pub fn record(&self, d: Duration) {
        self.record_run(&BucketRun::one(d));
    }

    /// Records every observation of `run`.
    pub fn record_run(&self, run: &BucketRun) {
        if let Ok(mut h) = self.histogram.lock() {
            let _ = h.record_n(run.micros, run.count);
        }
    }

    /// Percentiles of everything recorded so far.
    pub fn summary(&self) -> LatencySummary {
        match self.histogram.lock() {
            Ok(h) => summarize(&h),
            Err(_) => LatencySummary::default(),
        }
    }
}

/// `d` in whole microseconds, within the range of the engine's latency histograms (1 µs .. 1 h).
pub fn clamped_micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, MAX_MICROS)
}

/// The lowest value of the bucket `micros` falls in, in a `LatencyRecorder`'s histogram (3
/// significant digits: 2,048 sub-buckets, one per microsecond up to 2,047 µs, then twice as wide
/// at each power of two). Values with the same bucket are the same observation to it, and to any
/// histogram of fewer significant digits (a `Distribution`'s), whose buckets are unions of these.
pub fn bucket_of(micros: u64) -> u64 {
    const SUB_BUCKET_MASK: u64 = 2047;
    let shift = (64 - (micros | SUB_BUCKET_MASK).leading_zeros()) - 11;
    (micros >> shift) << shift
}

/// Observations that fall in one histogram bucket (`bucket_of`): the first one's value in
/// microseconds, how many there are, and their exact sum. Recording it is recording each of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketRun {
    pub micros: u64,
    pub count: u64,
    pub sum_micros: u64,
    /// `bucket_of(micros)`, found once when the run starts.
    bucket: u64,
}

impl BucketRun {
    /// A run of one observation.
    pub fn one(d: Duration) -> Self {
        let micros = clamped_micros(d);
        BucketRun {
            micros,
            count: 1,
            sum_micros: micros,
            bucket: bucket_of(micros),
        }
    }

    /// Adds `micros` when it falls in this run's bucket; false, leaving the run as it was, when not.
    pub fn extend(&mut self, micros: u64) -> bool {
        if bucket_of(micros) != self.bucket {
            return false;
        }
        self.count += 1;
        self.sum_micros = self.sum_micros.saturating_add(micros);
        true
    }
}

/// Percentiles and moments, in milliseconds, of a histogram of microseconds.
pub fn summarize(h: &Histogram<u64>) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    LatencySummary {
        count: h.len(),
        min: ms(h.min()),
        p50: ms(h.value_at_quantile(0.50)),
        p95: ms(h.value_at_quantile(0.95)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
        mean: h.mean() / 1000.0,
        stddev: h.stdev() / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_the_histograms_own_equivalence() {
        let three = Histogram::<u64>::new_with_bounds(1, MAX_MICROS, 3).unwrap();
        let two = Histogram::<u64>::new_with_bounds(1, MAX_MICROS, 2).unwrap();
        let mut values: Vec<u64> = (1..5_000).collect();
        let mut v = 5_000u64;
        while v < MAX_MICROS {
            values.extend([v - 1, v, v + 1, v + 7]);
            v = v * 17 / 13;
        }
        values.push(MAX_MICROS);
        for v in values {
            let b = bucket_of(v);
            assert_eq!(b, three.lowest_equivalent(v), "{v}");
            assert_eq!(
                two.lowest_equivalent(b),
                two.lowest_equivalent(v),
                "{v}: a bucket within one of two digits"
            );
        }
    }

    #[test]
    fn summary_reports_percentiles_in_ms() {
        let r = LatencyRecorder::new();
        assert_eq!(r.summary().count, 0);
        for i in 1..=1000u64 {
            r.record(Duration::from_micros(i * 1000));
        }
        let s = r.summary();
        assert_eq!(s.count, 1000);
        assert!((s.p50 - 500.0).abs() < 1.0, "{s:?}");
        assert!((s.p99 - 990.0).abs() < 2.0, "{s:?}");
        assert!((s.max - 1000.0).abs() < 1.0, "{s:?}");
        assert!(s.stddev > 0.0);
    }
}
