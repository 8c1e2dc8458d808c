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

const MAX_MICROS: u64 = 3_600_000_000;

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
        let micros = (d.as_micros() as u64).clamp(1, MAX_MICROS);
        if let Ok(mut h) = self.histogram.lock() {
            let _ = h.record(micros);
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
