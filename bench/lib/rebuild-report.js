#!/usr/bin/env node
'use strict';
// Re-writes <prefix>-summary.md and <prefix>-chart.svg (and latest.* for a full run) from the
// JSON files of a run, e.g. after a change to the report's layout:
//   node bench/lib/rebuild-report.js bench/results/2026-11-23
const path = require('path');
const report = require('./report');
const { loadRun } = require('./check');

const prefix = process.argv[2];
if (!prefix) {
  console.error('usage: node bench/lib/rebuild-report.js RESULTS_DIR/<date>[-quick]');
  process.exit(2);
}
const { results, meta } = loadRun(prefix);
const opts = meta.config.flags;
const md = report.markdown(meta, results, opts);
const svg = report.hasMainChart(opts) ? report.svg(results, meta, opts) : null;
const part = report.partSuffix(opts);
report.write(path.dirname(prefix), path.basename(prefix), md, svg, {
  latest: !opts.quick && report.isFullRun(opts),
  scaling: report.scalingSvg(results, meta),
  part,
});
console.log(`${prefix}${part}-summary.md`);
