#!/usr/bin/env node
'use strict';
// Re-writes <prefix>-summary.md and <prefix>-chart.svg (and latest.* for a full run) from the
// JSON files of a run, e.g. after a change to the report's layout:
//   node bench/lib/rebuild-report.js bench/results/2026-11-23
const fs = require('fs');
const path = require('path');
const report = require('./report');

const prefix = process.argv[2];
if (!prefix) {
  console.error('usage: node bench/lib/rebuild-report.js RESULTS_DIR/<date>[-quick]');
  process.exit(2);
}
const results = { produce: [], latency: [], consume: [] };
let meta = null;
for (const kind of Object.keys(results)) {
  const f = `${prefix}-${kind}.json`;
  if (!fs.existsSync(f)) continue;
  const data = JSON.parse(fs.readFileSync(f, 'utf8'));
  results[kind] = data.runs;
  if (!meta || (data.config && data.config.consume)) meta = { date: data.date, machine: data.machine, versions: data.versions, config: data.config };
}
if (!meta) throw new Error(`no ${prefix}-*.json`);
const opts = meta.config.flags;
const md = report.markdown(meta, results, opts);
const svg = report.svg(results, meta, opts);
report.write(path.dirname(prefix), path.basename(prefix), md, svg, { latest: !opts.quick });
console.log(`${prefix}-summary.md`);
