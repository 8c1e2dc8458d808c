'use strict';
// `npm run bench -- --check`: the ratios of a run (kafka-native against each peer, oriented so
// that higher is better for kafka-native) compared with the committed ones in
// results/baseline.json. A ratio more than `tolerance` below its baseline is a regression.
//
//   node bench/lib/check.js --write-baseline bench/results/2026-11-23   re-writes baseline.json
//                                                                        from a full run's JSON

const fs = require('fs');
const path = require('path');
const { summarize } = require('./report');
const { CLIENTS, CONSUMING_CLIENTS } = require('./clients');

const BASELINE = path.join(__dirname, '..', 'results', 'baseline.json');
const PEERS = [...CLIENTS.filter((c) => c !== 'kafka-native'), 'rdkafka_performance'];
/** The peers with a consumer (fixed-rate and consume cases). */
const CONSUMING_PEERS = CONSUMING_CLIENTS.filter((c) => c !== 'kafka-native');

/** {"<case> <key> <metric> vs <peer>": ratio}; a ratio > 1 means kafka-native is ahead. */
function ratios(results) {
  const out = {};
  const put = (name, kn, peer, lowerIsBetter) => {
    if (!kn || !peer || !kn.n || !peer.n || !kn.median || !peer.median) return;
    out[name] = lowerIsBetter ? peer.median / kn.median : kn.median / peer.median;
  };
  const group = (rows) => {
    const m = new Map();
    for (const r of rows) {
      if (!m.has(r.key)) m.set(r.key, {});
      m.get(r.key)[r.client] = r;
    }
    return m;
  };
  const prod = group(summarize('produce', results.produce || []));
  for (const [key, g] of prod) {
    const floor = (prod.get(`${key.split('-')[0]}-batch`) || {}).rdkafka_performance;
    for (const peer of PEERS) {
      const row = peer === 'rdkafka_performance' ? floor : g[peer];
      if (g['kafka-native'] && row) put(`produce ${key} msgs/s vs ${peer}`, g['kafka-native'].msgsPerSec, row.msgsPerSec, false);
    }
  }
  const lat = group(summarize('latency', results.latency || []));
  for (const [key, g] of lat) {
    for (const peer of CONSUMING_PEERS) {
      const kn = g['kafka-native'];
      const row = g[peer];
      // A peer that could not keep up has no meaningful percentile: no ratio.
      if (!kn || !row || (row.unacked && row.unacked.median > 0.01 * row.messages.median)) continue;
      put(`latency ${key} ack p99 vs ${peer}`, kn['ackMs.p99'], row['ackMs.p99'], true);
      put(`latency ${key} handler p99 vs ${peer}`, kn['handlerMs.p99'], row['handlerMs.p99'], true);
    }
  }
  const con = group(summarize('consume', results.consume || []));
  const conFloor = [...con.values()].map((g) => g.rdkafka_performance).find(Boolean);
  for (const [key, g] of con) {
    for (const peer of [...CONSUMING_PEERS, 'rdkafka_performance']) {
      const row = peer === 'rdkafka_performance' ? conFloor : g[peer];
      if (g['kafka-native'] && row) put(`consume ${key} msgs/s vs ${peer}`, g['kafka-native'].msgsPerSec, row.msgsPerSec, false);
    }
  }
  return out;
}

/** Reads `<prefix>-{produce,latency,consume}.json` of a run: {results, meta}. */
function loadRun(prefix) {
  const results = { produce: [], latency: [], consume: [], scaling: [] };
  let meta = null;
  for (const kind of Object.keys(results)) {
    const f = `${prefix}-${kind}.json`;
    if (!fs.existsSync(f)) continue;
    const data = JSON.parse(fs.readFileSync(f, 'utf8'));
    results[kind] = data.runs;
    if (!meta || (data.config && data.config.consume)) meta = { date: data.date, machine: data.machine, versions: data.versions, config: data.config };
  }
  if (!meta) throw new Error(`no ${prefix}-*.json`);
  return { results, meta };
}

function writeBaseline(results, meta, file = BASELINE) {
  const data = {
    note: 'kafka-native / peer ratios (higher is better for kafka-native) of a full run; `npm run bench -- --check` fails when a ratio falls more than 20 % below its value here',
    date: meta.date,
    runs: meta.config && meta.config.flags ? meta.config.flags.runs : null,
    ratios: Object.fromEntries(Object.entries(ratios(results)).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
  };
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/**
 * Compares a run's ratios with the baseline: {lines, regressions, compared}. Ratios in only one
 * of them are listed but do not fail the check.
 */
function compare(results, { tolerance = 0.2, file = BASELINE } = {}) {
  const base = JSON.parse(fs.readFileSync(file, 'utf8')).ratios;
  const now = ratios(results);
  const lines = [];
  const regressions = [];
  let compared = 0;
  for (const name of [...new Set([...Object.keys(base), ...Object.keys(now)])].sort()) {
    const b = base[name];
    const n = now[name];
    if (b == null || n == null) {
      lines.push(`  ${name}: ${n == null ? 'not measured' : `${n.toFixed(2)}× (no baseline)`}`);
      continue;
    }
    compared++;
    const change = n / b - 1;
    const bad = change < -tolerance;
    if (bad) regressions.push(`${name}: ${n.toFixed(2)}× against ${b.toFixed(2)}× (${(change * 100).toFixed(0)} %)`);
    lines.push(`${bad ? 'REGRESSION' : '  ok'} ${name}: ${n.toFixed(2)}× (baseline ${b.toFixed(2)}×, ${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %)`);
  }
  return { lines, regressions, compared };
}

if (require.main === module) {
  const [flag, prefix] = process.argv.slice(2);
  if (flag !== '--write-baseline' || !prefix) {
    console.error('usage: node bench/lib/check.js --write-baseline RESULTS_DIR/<date>');
    process.exit(2);
  }
  const { results, meta } = loadRun(prefix);
  console.log(writeBaseline(results, meta));
}

module.exports = { ratios, compare, writeBaseline, loadRun, BASELINE };
