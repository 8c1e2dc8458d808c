'use strict';

// The chart of a `npm run bench:rebalance` run: per group protocol, during the rolling restart and
// during the 4th member's join, the longest time no partition at all was processed
// (stop-the-world) beside the longest time any one partition waited. run.js writes it to
// scripts/rebalance/latest.svg after every run of all modes; by hand, from a run kept in
// results.md (the last one with every mode unless AT names its timestamp):
//
//   node scripts/rebalance/chart.js [results.md] [out.svg] [AT]

const fs = require('fs');
const path = require('path');

const LABELS = {
  eager: 'eager (range)',
  cooperative: 'cooperative-sticky',
  static: 'static membership',
  consumer: 'KIP-848 (consumer)',
  kafkajs: 'kafkajs 2.2.4 (eager)',
};
const COLORS = { stopTheWorld: '#c92a2a', longest: '#74c0fc' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`);

/** One phase's panel at (x, y): two bars per mode on a scale shared by both phases. */
function panel(x, y, width, title, rows, phase, max) {
  const labelW = 150;
  const barW = width - labelW - 70;
  const out = [`<text x="${x}" y="${y + 14}" class="t">${esc(title)}</text>`];
  let by = y + 26;
  for (const r of rows) {
    out.push(`<text x="${x + labelW - 6}" y="${by + 17}" class="l" text-anchor="end">${esc(LABELS[r.mode] || r.mode)}</text>`);
    for (const metric of ['stopTheWorld', 'longest']) {
      const v = r[phase][metric];
      const w = Math.max(1, (v / max) * barW);
      out.push(`<rect x="${x + labelW}" y="${by}" width="${w.toFixed(1)}" height="11" fill="${COLORS[metric]}"/>`);
      out.push(`<text x="${(x + labelW + w + 4).toFixed(1)}" y="${by + 10}" class="v">${fmt(v)}</text>`);
      by += 13;
    }
    by += 8;
  }
  return { svg: out.join(''), height: by - y };
}

/** The SVG for one run's results (run.js's JSON) and its conditions line. */
function svg(results, conditions) {
  const max = Math.max(...results.flatMap((r) => [r.roll.longest, r.join.longest, r.roll.stopTheWorld, r.join.stopTheWorld]), 1);
  const W = 1000;
  const roll = panel(10, 58, 480, 'Rolling restart of 3 members', results, 'roll', max);
  const join = panel(510, 58, 480, 'A 4th member joins', results, 'join', max);
  const H = 58 + Math.max(roll.height, join.height) + 34;
  const legend =
    `<rect x="10" y="${H - 22}" width="11" height="11" fill="${COLORS.stopTheWorld}"/><text x="26" y="${H - 12}" class="l">stop-the-world: no partition processed</text>` +
    `<rect x="260" y="${H - 22}" width="11" height="11" fill="${COLORS.longest}"/><text x="276" y="${H - 12}" class="l">longest any one partition waited</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif">
<style>.t{font-size:13px;font-weight:600;fill:#212529}.l{font-size:11px;fill:#343a40}.v{font-size:11px;fill:#212529}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="24" font-size="17" font-weight="700" fill="#212529">Consumer group rebalances: kafka-native's group protocols and kafkajs</text>
<text x="10" y="44" font-size="11" fill="#495057">${esc(conditions)}</text>
${roll.svg}
${join.svg}
${legend}
</svg>
`;
}

/** The runs kept in results.md: each section's timestamp, conditions line and JSON results. */
function runsIn(markdown) {
  const runs = [];
  const section = /^## Rolling restart and join, measured by `npm run bench:rebalance` \(([^)]+)\)\n\n([^\n]+)\n[\s\S]*?```json\n([\s\S]*?)\n```/gm;
  for (const m of markdown.matchAll(section)) runs.push({ at: m[1], conditions: m[2], results: JSON.parse(m[3]) });
  return runs;
}

/** The conditions line of the chart: what was measured, when, on what load. */
function conditionsOf(at, conditions) {
  const rate = /(\d+) msgs\/s, handlers of (\d+) ms/.exec(conditions);
  const load = /Host: (\d+) CPUs, ([\d.]+) load/.exec(conditions);
  const parts = ['3-node Kafka 4.1.1, RF 3, 12 partitions'];
  if (rate) parts.push(`${rate[1]} msgs/s, ${rate[2]} ms handlers`);
  if (load) parts.push(`${load[1]} cores at load ${load[2]}`);
  parts.push(at.slice(0, 16).replace('T', ' '));
  return parts.join(' · ');
}

if (require.main === module) {
  const [file = path.join(__dirname, 'results.md'), out = path.join(__dirname, 'latest.svg'), at] = process.argv.slice(2);
  const runs = runsIn(fs.readFileSync(file, 'utf8'));
  const run = at ? runs.find((r) => r.at.startsWith(at)) : runs.filter((r) => r.results.length === Object.keys(LABELS).length).pop();
  if (!run) {
    console.error(`no run ${at ? `at ${at}` : 'with every mode'} in ${file}`);
    process.exit(1);
  }
  fs.writeFileSync(out, svg(run.results, conditionsOf(run.at, run.conditions)));
  console.log(`${out}: the run of ${run.at}`);
}

module.exports = { svg, conditionsOf, LABELS };
