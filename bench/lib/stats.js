'use strict';

/** Percentile (nearest rank) of a sorted array. */
function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** p50/p95/p99/p99.9/max of an array of numbers (it is sorted in place). */
function latencySummary(values) {
  values.sort((a, b) => a - b);
  const round = (x) => (x == null ? null : Math.round(x * 1000) / 1000);
  return {
    count: values.length,
    p50: round(pct(values, 50)),
    p95: round(pct(values, 95)),
    p99: round(pct(values, 99)),
    p999: round(pct(values, 99.9)),
    max: round(values.length ? values[values.length - 1] : null),
  };
}

/** {median, min, max, n} of the runs' values (nulls left out). */
function spread(values) {
  const v = values.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { median: null, min: null, max: null, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

module.exports = { pct, latencySummary, spread };
