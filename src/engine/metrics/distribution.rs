//! A latency distribution that serves both `stats()` (percentiles, moments) and Prometheus
//! (cumulative buckets, exact sum).

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::engine::latency::{summarize, BucketRun, LatencySummary, MAX_MICROS};

/// Upper bounds, in seconds, of the Prometheus buckets every latency histogram exposes.
pub const BUCKET_BOUNDS_SECONDS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Durations from 1 µs to 1 hour with 2 significant digits (1 % precision: light enough for one
/// per topic and event type), plus their exact sum.
pub struct Distribution {
    histogram: Histogram<u64>,
    sum_micros: u64,
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution {
            histogram: Histogram::new_with_bounds(1, MAX_MICROS, 2)
                .expect("static histogram bounds are valid"),
            sum_micros: 0,
        }
    }
}

/// A distribution's figures at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistributionSnapshot {
    /// Percentiles and moments in milliseconds.
    pub summary: LatencySummary,
    /// Observations at or under each of `BUCKET_BOUNDS_SECONDS`.
    pub cumulative: Vec<u64>,
    pub sum_seconds: f64,
}

impl Distribution {
    /// Records one duration (clamped to 1 µs .. 1 h).
    pub fn record(&mut self, d: Duration) {
        self.record_run(&BucketRun::one(d));
    }

    /// Records every observation of `run`, with their exact sum.
    pub fn record_run(&mut self, run: &BucketRun) {
        let _ = self.histogram.record_n(run.micros, run.count);
        self.sum_micros = self.sum_micros.saturating_add(run.sum_micros);
    }

    /// The figures as of now.
    pub fn snapshot(&self) -> DistributionSnapshot {
        let h = &self.histogram;
        DistributionSnapshot {
            summary: summarize(h),
            cumulative: BUCKET_BOUNDS_SECONDS
                .iter()
                .map(|le| {
                    if h.is_empty() {
                        0
                    } else {
                        h.count_between(0, (le * 1e6) as u64)
                    }
                })
                .collect(),
            sum_seconds: self.sum_micros as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_sum_is_exact() {
        let mut d = Distribution::default();
        d.record(Duration::from_micros(300));
        d.record(Duration::from_millis(3));
        d.record(Duration::from_secs(2));
        let s = d.snapshot();
        assert_eq!(s.summary.count, 3);
        assert_eq!(s.cumulative[0], 1, "{s:?}");
        assert_eq!(s.cumulative[4], 2, "{s:?}");
        assert_eq!(*s.cumulative.last().unwrap(), 3);
        assert!(s.cumulative.windows(2).all(|w| w[0] <= w[1]));
        assert!((s.sum_seconds - 2.0033).abs() < 1e-9);
        assert!((s.summary.min - 0.3).abs() < 0.01, "{s:?}");
    }

    #[test]
    fn empty_distribution_has_zero_figures() {
        let s = Distribution::default().snapshot();
        assert_eq!(s.summary.count, 0);
        assert!(s.cumulative.iter().all(|c| *c == 0));
    }
}
