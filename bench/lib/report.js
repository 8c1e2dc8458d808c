'use strict';
// Summaries (median, min, max over runs), the Markdown report and the SVG chart, written by hand
// from the numbers.

const fs = require('fs');
const path = require('path');
const { spread } = require('./stats');
const { CLIENTS, CONSUMING_CLIENTS } = require('./clients');

const FLOOR_CLIENTS = ['rdkafka_performance', 'ProducerPerformance'];
const CLIENT_ORDER = [...CLIENTS, ...FLOOR_CLIENTS];
/** Peers that get a ratio column of their own when a run measured them (besides kafkajs and confluent). */
const EXTRA_PEERS = ['node-rdkafka', 'kafka-crab-js'];
const LABEL = {
  'kafka-native': 'kafka-native',
  kafkajs: 'kafkajs',
  confluent: 'confluent (KafkaJS API)',
  'confluent-native': 'confluent (native API)',
  'node-rdkafka': 'node-rdkafka',
  'kafka-crab-js': 'kafka-crab-js',
  rdkafka_performance: 'rdkafka_performance',
  ProducerPerformance: 'Java ProducerPerformance',
};
const COLOR = {
  'kafka-native': '#d9480f',
  kafkajs: '#1c7ed6',
  confluent: '#2f9e44',
  'confluent-native': '#8ce99a',
  'node-rdkafka': '#7048e8',
  'kafka-crab-js': '#e64980',
  rdkafka_performance: '#495057',
  ProducerPerformance: '#adb5bd',
};

/**
 * Whether a fixed-rate row's client could not keep up: more than 1 % of its messages still
 * unacknowledged after the drain. Its percentiles past the delivered share have no value.
 */
const unsustained = (r) => Boolean(r.unacked && r.unacked.median > 0.01 * r.messages.median);

const get = (o, p) => p.split('.').reduce((x, k) => (x == null ? x : x[k]), o);

const METRICS = {
  produce: ['msgsPerSec', 'MBps', 'cpuSPerMillion', 'peakRssMB', 'eventLoopDelayMs.p99', 'brokerCpuS', 'otherCpuS'],
  latency: ['ackMs.p50', 'ackMs.p95', 'ackMs.p99', 'ackMs.p999', 'ackMs.max', 'handlerMs.p50', 'handlerMs.p95',
    'handlerMs.p99', 'handlerMs.p999', 'handlerMs.max', 'eventLoopDelayMs.p99', 'eventLoopDelayMs.max',
    'cpuSPerMillion', 'peakRssMB', 'achievedRate', 'unacked', 'unhandled', 'pacingLagMs.p99', 'messages'],
  scaling: ['msgsPerSec', 'MBps', 'cpuSPerMillion', 'callMs.p99', 'peakRssMB', 'eventLoopDelayMs.p99'],
  consume: ['msgsPerSec', 'MBps', 'msgsPerSecWithJoin', 'joinSeconds', 'cpuSPerMillion', 'peakRssMB', 'eventLoopDelayMs.p99'],
};

/** [{key, client, runs, failedRuns, <metric>: {median, min, max, n}}] */
function summarize(kind, entries) {
  const groups = new Map();
  for (const e of entries) {
    const id = `${e.key}\u0000${e.client}`;
    if (!groups.has(id)) groups.set(id, { key: e.key, client: e.client, list: [] });
    groups.get(id).list.push(e.result);
  }
  const out = [];
  for (const g of groups.values()) {
    const ok = g.list.filter((r) => r && !r.error);
    const row = { key: g.key, client: g.client, runs: ok.length, failedRuns: g.list.length - ok.length };
    for (const m of METRICS[kind]) row[m] = spread(ok.map((r) => get(r, m)));
    out.push(row);
  }
  return out;
}

function fmtNum(x, digits) {
  if (x == null || !Number.isFinite(x)) return '–';
  if (digits != null) return x.toFixed(digits);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const fmtSpread = (s, digits) => (s && s.n ? `${fmtNum(s.median, digits)} (${fmtNum(s.min, digits)}–${fmtNum(s.max, digits)})` : '–');
const fmtRatio = (x) => `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}×`;
const ratio = (a, b) => (a && b && a.median && b.median ? fmtRatio(a.median / b.median) : '–');
const lowerRatio = (a, b) => (a && b && a.median && b.median ? fmtRatio(b.median / a.median) : '–');

function byKey(rows) {
  const keys = [];
  const m = new Map();
  for (const r of rows) {
    if (!m.has(r.key)) {
      m.set(r.key, {});
      keys.push(r.key);
    }
    m.get(r.key)[r.client] = r;
  }
  return { keys, m };
}

function bestConfluent(group, metric) {
  const a = group.confluent && group.confluent[metric];
  const b = group['confluent-native'] && group['confluent-native'][metric];
  if (!a || !a.n) return b;
  if (!b || !b.n) return a;
  return b.median > a.median ? b : a;
}

function markdown(meta, results, opts) {
  const L = [];
  const v = meta.versions;
  L.push(`# kafka-native benchmark — ${meta.date.slice(0, 10)}${opts.quick ? ' (quick smoke run)' : ''}`);
  L.push('');
  if (hasMainChart(opts)) {
    L.push(`![kafka-native vs kafkajs vs @confluentinc/kafka-javascript vs the native floor](${meta.date.slice(0, 10)}${opts.quick ? '-quick' : ''}${partSuffix(opts)}-chart.svg)`);
    L.push('');
  }
  L.push(`Machine: ${meta.machine.cpuModel}, ${meta.machine.cores} cores, ${meta.machine.memGiB} GiB, ${meta.machine.os}. ` +
    '**The broker, the client and the measurement share these cores** (a 2-core machine runs a JVM broker ' +
    'next to the client under test), so the absolute figures are low and the ratios are what carries over.');
  L.push('');
  {
    let other = 0;
    let window = 0;
    for (const kind of ['produce', 'latency', 'consume']) {
      for (const e of results[kind] || []) {
        const r = e.result || {};
        // A "core busy" run's load process is other CPU by design: it would count as background.
        if (e.load === 'core') continue;
        if (r.otherCpuS != null && r.windowS) {
          other += r.otherCpuS;
          window += r.windowS;
        }
      }
    }
    if (window > 0) {
      L.push(`During the measured windows, *other* processes of the machine (builds and tests running beside the benchmark) ` +
        `used on average **${(other / window).toFixed(2)} of the ${meta.machine.cores} cores** (\`/proc/stat\` minus client and broker, the "core busy" runs' own load left out; ` +
        'per run in the JSON as `otherCpuS`). The alternation spreads that load over all clients alike, but it depresses the absolute figures.');
      L.push('');
    }
  }
  L.push(`Versions: Node ${v.node}; kafka-native ${v['kafka-native']} (librdkafka ${v['kafka-native librdkafka']}); ` +
    `kafkajs ${v.kafkajs} (+ @2l/kafkajs-lz4 ${v['@2l/kafkajs-lz4']}); @confluentinc/kafka-javascript ${v['@confluentinc/kafka-javascript']} ` +
    `(librdkafka ${v['confluent librdkafka']}, built from source); ` +
    (v['node-rdkafka'] ? `node-rdkafka ${v['node-rdkafka']} (librdkafka ${v['node-rdkafka librdkafka']}, built from source); ` : '') +
    (v['kafka-crab-js'] ? `kafka-crab-js ${v['kafka-crab-js']} (its prebuilt linux-x64-gnu binary, librdkafka ${v['kafka-crab-js librdkafka']}); ` : '') +
    `rdkafka_performance (librdkafka ${v['rdkafka_performance librdkafka']}); ` +
    `broker ${v.broker}; ${v.java}. Debian's librdkafka-dev is ${v['Debian librdkafka-dev']} (a build prerequisite only).`);
  L.push('');
  L.push(`Every figure: median (min–max) of ${opts.runs} run(s); clients alternate run by run (A B C A B C …); ` +
    'a fresh 6-partition topic (replication 1) per run; keyed messages, acks=all, idempotent producer, lz4. ' +
    'Each Node client runs in its own process (RSS, CPU and event-loop delay are that client\'s alone).');
  L.push('');

  const prodRows = summarize('produce', results.produce);
  if (prodRows.length) {
    const { keys, m } = byKey(prodRows);
    L.push('## 1. Producer throughput (msgs/s)');
    L.push('');
    L.push(`awaited: one \`await publish()\` at a time (≤ 20,000 messages or ${opts.seconds} s); concurrent: ${opts.inflight.toLocaleString('en')} ` +
      `single-message publishes kept in flight; batch: ${opts.batchSize} messages per call, ${opts.batchInflight} calls in flight ` +
      `(kafka-native \`publishBatch\`, kafkajs and confluent \`send({messages})\`, confluent native API: 1,000 \`produce()\` calls and their ` +
      'delivery reports); awaited-batch: the same batches of 1,000 awaited one after another (`for (…) await publishBatch(…)`, ' +
      'the most common batch loop). The floor tools have no modes: they are listed under batch.');
    L.push('');
    const cols = CLIENT_ORDER.filter((c) => prodRows.some((r) => r.client === c));
    // A ratio column for each Node.js peer measured besides kafkajs and confluent.
    const extraPeers = EXTRA_PEERS.filter((c) => cols.includes(c));
    L.push(`| case | ${cols.map((c) => LABEL[c]).join(' | ')} | vs kafkajs | vs confluent (best API) | ` +
      `${extraPeers.map((c) => `vs ${LABEL[c]} | `).join('')}vs rdkafka_performance |`);
    L.push(`|---|${cols.map(() => '---:').join('|')}|---:|---:|${extraPeers.map(() => '---:|').join('')}---:|`);
    const floorBySize = {};
    for (const k of keys) {
      const g = m.get(k);
      if (g.rdkafka_performance) floorBySize[k.split('-')[0]] = g.rdkafka_performance.msgsPerSec;
    }
    for (const k of keys) {
      const g = m.get(k);
      const kn = g['kafka-native'] && g['kafka-native'].msgsPerSec;
      const fl = floorBySize[k.split('-')[0]];
      L.push(`| ${k} | ${cols.map((c) => (g[c] ? fmtSpread(g[c].msgsPerSec) : '')).join(' | ')} | ` +
        `${ratio(kn, g.kafkajs && g.kafkajs.msgsPerSec)} | ${ratio(kn, bestConfluent(g, 'msgsPerSec'))} | ` +
        `${extraPeers.map((c) => `${ratio(kn, g[c] && g[c].msgsPerSec)} | `).join('')}${ratio(kn, fl)} |`);
    }
    L.push('');
    L.push('MB/s (value bytes), CPU seconds per million messages (the client process, all its threads), peak RSS (MB), ' +
      'event-loop delay p99 (ms), and the CPU seconds the broker and *other* processes of the machine used during the window:');
    L.push('');
    L.push('| case | client | MB/s | CPU s / M msgs | peak RSS MB | ELD p99 ms | broker CPU s | other CPU s |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const k of keys) {
      for (const c of cols) {
        const r = m.get(k)[c];
        if (!r) continue;
        L.push(`| ${k} | ${LABEL[c]} | ${fmtSpread(r.MBps)} | ${fmtSpread(r.cpuSPerMillion)} | ${fmtSpread(r.peakRssMB, 0)} | ` +
          `${fmtSpread(r['eventLoopDelayMs.p99'])} | ${fmtSpread(r.brokerCpuS)} | ${fmtSpread(r.otherCpuS)} |`);
      }
    }
    L.push('');
  }

  const latRows = summarize('latency', results.latency);
  if (latRows.length) {
    const { keys, m } = byKey(latRows);
    L.push(`## 2. Fixed rate, ${opts.duration} s: latency (ms) — and 4. event-loop delay, 5. resources`);
    L.push('');
    L.push('100 B values carrying their send time; producer and consumer (`eachMessage`, a fresh group) in the same ' +
      'process. publish→ack: from the `publish()` call to its Promise settling; publish→handler: from the call to the ' +
      'consumer\'s handler seeing the message. Messages still unacknowledged after the drain count with the time they waited. ' +
      '"core busy": another process (a Node busy loop) keeps one of the cores busy during the run; "js busy": the client\'s own JS ' +
      'thread does synthetic request work, 2 ms slices 50 % of the time (as an API serving requests would).');
    L.push('');
    L.push('| rate | client | ack p50 | ack p95 | ack p99 | ack p99.9 | ack max | handler p50 | handler p95 | handler p99 | handler p99.9 | handler max | ELD p99 | CPU s / M | peak RSS MB |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const k of keys) {
      for (const c of CLIENT_ORDER) {
        const r = m.get(k)[c];
        if (!r) continue;
        // A client that could not keep up: the row says so instead of its percentiles.
        const notSustained = unsustained(r);
        const cell = (x) => (notSustained && !x.startsWith('eventLoop') && x !== 'cpuSPerMillion' ? 'not sustained' : fmtSpread(r[x]));
        const unacked = r.unacked && r.unacked.max
          ? ` (${fmtNum(r.unacked.median, 0)} of ${fmtNum(r.messages.median, 0)} unacknowledged ${opts.quick ? 10 : 30} s after the window)` : '';
        L.push(`| ${k} | ${LABEL[c]}${unacked} | ${cell('ackMs.p50')} | ${cell('ackMs.p95')} | ${cell('ackMs.p99')} | ${cell('ackMs.p999')} | ` +
          `${cell('ackMs.max')} | ${cell('handlerMs.p50')} | ${cell('handlerMs.p95')} | ${cell('handlerMs.p99')} | ${cell('handlerMs.p999')} | ` +
          `${cell('handlerMs.max')} | ${cell('eventLoopDelayMs.p99')} | ${cell('cpuSPerMillion')} | ${fmtSpread(r.peakRssMB, 0)} |`);
      }
    }
    L.push('');
    L.push('Ratios of kafka-native\'s p99 (lower is better; > 1× means kafka-native is faster; – where the peer did not sustain the rate):');
    L.push('');
    const latPeers = CONSUMING_CLIENTS.filter((c) => c !== 'kafka-native' && latRows.some((r) => r.client === c));
    L.push(`| rate | ${['ack', 'handler'].map((w) => latPeers.map((c) => `${w} p99 vs ${c}`).join(' | ')).join(' | ')} |`);
    L.push(`|---|${latPeers.map(() => '---:|---:').join('|')}|`);
    for (const k of keys) {
      const g = m.get(k);
      const kn = g['kafka-native'];
      if (!kn) continue;
      // A peer that did not sustain the rate (or has no row) gets no ratio.
      const peer = (c, metric) => (g[c] && !unsustained(g[c]) ? g[c][metric] : null);
      const cells = (metric) => latPeers.map((c) => lowerRatio(kn[metric], peer(c, metric))).join(' | ');
      L.push(`| ${k} | ${cells('ackMs.p99')} | ${cells('handlerMs.p99')} |`);
    }
    L.push('');
  }

  const conRows = summarize('consume', results.consume);
  if (conRows.length) {
    const { keys, m } = byKey(conRows);
    const c = meta.config.consume || {};
    L.push(`## 3. Consumer throughput — ${(c.messages || 0).toLocaleString('en')} × 100 B pre-filled on 6 partitions`);
    L.push('');
    L.push('A fresh group per run, from the beginning, until every message was handled. msgs/s from the first message to ' +
      'the last (the group join is reported apart); the handler does nothing but read `value.length`.');
    L.push('');
    L.push('| mode | client | msgs/s | MB/s | with join, msgs/s | join s | CPU s / M | peak RSS MB | ELD p99 ms |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const k of keys) {
      for (const cl of CLIENT_ORDER) {
        const r = m.get(k)[cl];
        if (!r) continue;
        L.push(`| ${k} | ${LABEL[cl]} | ${fmtSpread(r.msgsPerSec)} | ${fmtSpread(r.MBps)} | ${fmtSpread(r.msgsPerSecWithJoin)} | ` +
          `${fmtSpread(r.joinSeconds)} | ${fmtSpread(r.cpuSPerMillion)} | ${fmtSpread(r.peakRssMB, 0)} | ${fmtSpread(r['eventLoopDelayMs.p99'])} |`);
      }
    }
    L.push('');
    const floorRow = keys.map((k) => m.get(k).rdkafka_performance).find(Boolean);
    const extraPeers = EXTRA_PEERS.filter((c) => conRows.some((r) => r.client === c));
    L.push(`| mode | kafka-native vs kafkajs | vs confluent | ${extraPeers.map((c) => `vs ${LABEL[c]} | `).join('')}vs rdkafka_performance |`);
    L.push(`|---|---:|---:|${extraPeers.map(() => '---:|').join('')}---:|`);
    for (const k of keys) {
      const g = m.get(k);
      const kn = g['kafka-native'] && g['kafka-native'].msgsPerSec;
      const extraCells = extraPeers.map((c) => `${ratio(kn, g[c] && g[c].msgsPerSec)} | `).join('');
      L.push(`| ${k} | ${ratio(kn, g.kafkajs && g.kafkajs.msgsPerSec)} | ${ratio(kn, g.confluent && g.confluent.msgsPerSec)} | ${extraCells}${ratio(kn, floorRow && floorRow.msgsPerSec)} |`);
    }
    L.push('');
  }

  const scal = scalingCurves(results.scaling || []);
  if (scal.length) {
    const chart = `${meta.date.slice(0, 10)}${opts.quick ? '-quick' : ''}-scaling.svg`;
    L.push('## 6. How cost grows');
    L.push('');
    L.push(`![how cost grows](${chart})`);
    L.push('');
    L.push('One dimension varied at a time; the rest as the producer\'s batch mode (100 B, 6 partitions, one topic, batches of ' +
      '1,000 with 10 calls in flight, 1 MiB at most per batch). inflight: single publishes kept in flight (1 = awaited one at a ' +
      'time). topics: the calls go round robin to that many 6-partition topics. p99: of each call, from the call to its settling ' +
      '(a batch call for size, partitions and topics; a single publish for inflight). Short windows (2-3 s per point), one process ' +
      'per client and point. subscriptions: that many `eachMessage` subscriptions (each its own client, group and 3-partition topic) ' +
      'in one process share a pre-filled backlog; group: that many processes in one group consume one pre-filled 6-partition topic ' +
      'of the 3-node cluster (msgs/s from the first message to the last, CPU summed over the processes; no p99).');
    L.push('');
    for (const c of scal) {
      L.push(`### ${c.title}`);
      L.push('');
      // The consumer points have no per-call p99: no such columns.
      const metrics = [[c.metric, c.metricLabel], ['cpuSPerMillion', 'CPU s / M'], ['callMs.p99', 'p99 ms']]
        .filter(([m]) => c.xs.some((x) => c.clients.some((cl) => c.value(cl, x, m) != null)));
      L.push(`| ${c.dim} | ${metrics.map(([, label]) => c.clients.map((cl) => `${LABEL[cl]} ${label}`).join(' | ')).join(' | ')} |`);
      L.push(`|---:|${metrics.map(() => c.clients.map(() => '---:').join('|')).join('|')}|`);
      for (const x of c.xs) {
        const row = (metric) => c.clients.map((cl) => fmtNum(c.value(cl, x, metric))).join(' | ');
        L.push(`| ${fmtX(c.dim, x)} | ${metrics.map(([m]) => row(m)).join(' | ')} |`);
      }
      L.push('');
      L.push(c.clients.map((cl) => `${LABEL[cl]}: ${c.knee(cl)}`).join('; ') + '.');
      L.push('');
    }
  }

  L.push('## Configuration');
  L.push('');
  for (const [k, note] of Object.entries(meta.config.clients)) L.push(`- **${LABEL[k] || k}**: ${note}`);
  L.push('- **rdkafka_performance**: `-P -a -1 -X enable.idempotence=true -z lz4 -m <payload>` (unkeyed: it has only one fixed key); consumer `-C -G <fresh group> -o beginning`; librdkafka defaults otherwise (linger.ms 5).');
  L.push('- **ProducerPerformance**: `--throughput -1 acks=all enable.idempotence=true compression.type=lz4`, JVM `-XX:TieredStopAtLevel=4 -Xmx1g` (C2 on), unkeyed, Java client defaults otherwise (linger.ms 5 since Kafka 4.0, batch.size 16 KiB). Its CPU includes JVM start-up and JIT.');
  L.push(`- Keys: ${meta.config.keys}. Values: ${meta.config.value}.`);
  L.push('');
  L.push('Raw runs, machine and versions: the `*-produce.json`, `*-latency.json` and `*-consume.json` files beside this one. How to run and caveats: `bench/README.md`.');
  L.push('');
  return L.join('\n');
}

// ------------------------------------------------------------------------- how cost grows

const DIM_TITLE = {
  size: 'value size',
  partitions: 'partitions in one topic',
  topics: 'topics (6 partitions each)',
  inflight: 'single publishes in flight',
  subscriptions: 'subscriptions in one process (consumer)',
  group: 'consumer processes in one group, 3-node cluster',
};

function fmtX(dim, x) {
  if (dim === 'size') return x >= 1024 ? `${x / 1024} KiB` : `${x} B`;
  return Number(x).toLocaleString('en');
}

/**
 * One curve set per scaling dimension: its points, a value lookup, and where each client stops
 * scaling. For size and inflight, more should give more: a client stops scaling at the first
 * point after which its throughput (MB/s for size, msgs/s for inflight) grows by less than 10 %.
 * Group (consumer processes) grows likewise (msgs/s). For partitions, topics and subscriptions, throughput should hold: a client stops scaling at the first point
 * where it falls below 80 % of its first point.
 */
function scalingCurves(entries) {
  const rows = summarize('scaling', entries);
  const dims = [...new Set(entries.map((e) => e.dim))];
  return dims.map((dim) => {
    const xs = [...new Set(entries.filter((e) => e.dim === dim).map((e) => e.x))].sort((a, b) => a - b);
    const clients = CLIENT_ORDER.filter((c) => entries.some((e) => e.dim === dim && e.client === c));
    const metric = dim === 'size' ? 'MBps' : 'msgsPerSec';
    const value = (client, x, m) => {
      const r = rows.find((row) => row.key === `${dim}=${x}` && row.client === client);
      return r && r[m] && r[m].n ? r[m].median : null;
    };
    const grows = dim === 'size' || dim === 'inflight' || dim === 'group';
    const knee = (client) => {
      const pts = xs.map((x) => [x, value(client, x, metric)]).filter(([, v]) => v != null);
      if (pts.length < 2) return 'too few points';
      for (let i = 0; i < pts.length - 1; i++) {
        if (grows && pts[i + 1][1] < 1.1 * pts[i][1]) return `stops scaling at ${fmtX(dim, pts[i][0])} (${fmtNum(pts[i][1])} ${metric === 'MBps' ? 'MB/s' : 'msgs/s'})`;
        if (!grows && pts[i + 1][1] < 0.8 * pts[0][1]) return `holds up to ${fmtX(dim, pts[i][0])}, below 80 % of its first point at ${fmtX(dim, pts[i + 1][0])}`;
      }
      return grows ? `still scaling at ${fmtX(dim, pts[pts.length - 1][0])}` : `holds through ${fmtX(dim, pts[pts.length - 1][0])}`;
    };
    return { dim, xs, clients, metric, metricLabel: metric === 'MBps' ? 'MB/s' : 'msgs/s', value, knee, title: `against ${DIM_TITLE[dim] || dim}` };
  });
}

/** A line chart: x points evenly spaced (log-like dimensions), linear y from 0. */
function lineChart(x0, y0, w, h, title, unit, xs, dim, series) {
  const left = 56;
  const bottom = 30;
  const plotW = w - left - 10;
  const plotH = h - bottom - 24;
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v != null);
  const top = Math.max(...all, 1e-9) * 1.1;
  const px = (i) => left + (xs.length === 1 ? plotW / 2 : (i / (xs.length - 1)) * plotW);
  const py = (v) => 24 + plotH - (v / top) * plotH;
  const s = [`<g transform="translate(${x0},${y0})">`, `<text x="0" y="14" class="t">${esc(title)}<tspan class="u" dx="6">${esc(unit)}</tspan></text>`];
  s.push(`<path d="M${left},24V${24 + plotH}H${left + plotW}" class="w"/>`);
  for (const f of [0.5, 1]) s.push(`<text x="${left - 4}" y="${py(top * f / 1.1) + 4}" class="l" text-anchor="end">${esc(fmtNum(top * f / 1.1))}</text>`);
  xs.forEach((x, i) => s.push(`<text x="${px(i)}" y="${24 + plotH + 14}" class="l" text-anchor="middle">${esc(fmtX(dim, x))}</text>`));
  for (const ser of series) {
    const pts = ser.points.map(([x, v]) => [xs.indexOf(x), v]).filter(([, v]) => v != null);
    if (!pts.length) continue;
    s.push(`<path d="${pts.map(([i, v], k) => `${k ? 'L' : 'M'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join('')}" fill="none" stroke="${COLOR[ser.client]}" stroke-width="2"/>`);
    for (const [i, v] of pts) s.push(`<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${COLOR[ser.client]}"/>`);
  }
  s.push('</g>');
  return s.join('');
}

/** The scaling section's charts: per dimension, throughput, CPU per message and p99. */
function scalingSvg(results, meta) {
  const curves = scalingCurves(results.scaling || []);
  if (!curves.length) return null;
  const W = 1000;
  const cw = 320;
  const ch = 190;
  const parts = [];
  let y = 70;
  for (const c of curves) {
    parts.push(`<text x="10" y="${y - 6}" font-size="14" font-weight="700" fill="#212529">${esc(c.title)}</text>`);
    const series = (m) => c.clients.map((cl) => ({ client: cl, points: c.xs.map((x) => [x, c.value(cl, x, m)]) }));
    parts.push(lineChart(10, y, cw, ch, 'throughput', c.metricLabel, c.xs, c.dim, series(c.metric)));
    parts.push(lineChart(10 + cw + 10, y, cw, ch, 'CPU per message', 'CPU s / M msgs — lower is better', c.xs, c.dim, series('cpuSPerMillion')));
    const p99 = series('callMs.p99');
    if (p99.some((ser) => ser.points.some(([, v]) => v != null))) {
      parts.push(lineChart(10 + 2 * (cw + 10), y, cw, ch, 'p99 per call', 'ms — lower is better', c.xs, c.dim, p99));
    }
    y += ch + 30;
  }
  const clients = [...new Set(curves.flatMap((c) => c.clients))];
  const legend = clients.map((cl, i) => `<rect x="${10 + i * 200}" y="48" width="12" height="12" fill="${COLOR[cl]}"/><text x="${28 + i * 200}" y="58" class="l">${esc(LABEL[cl])}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif">
<style>.t{font-size:12px;font-weight:600;fill:#212529}.u{font-weight:400;fill:#868e96}.l{font-size:10px;fill:#343a40}.w{stroke:#212529;stroke-width:1;fill:none}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="24" font-size="17" font-weight="700" fill="#212529">kafka-native: how cost grows — ${esc(meta.date.slice(0, 10))}</text>
${legend}
${parts.join('\n')}
</svg>
`;
}

// ------------------------------------------------------------------------------------ SVG

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One panel: horizontal bars (median) with min–max whiskers, its own linear scale. */
function panel(x, y, w, title, unit, bars, lowerIsBetter) {
  const rowH = 20;
  const labelW = 170;
  const valueW = 120;
  const plotW = w - labelW - valueW - 10;
  const h = 26 + bars.length * rowH + 8;
  // The scale follows the medians; a whisker far beyond them is clipped and its max printed.
  const medTop = Math.max(...bars.map((b) => b.median || 0), 1e-9);
  const top = Math.min(Math.max(...bars.map((b) => Math.max(b.max || 0, b.median || 0)), 1e-9), medTop * 1.6);
  const s = [];
  s.push(`<g transform="translate(${x},${y})">`);
  s.push(`<text x="0" y="14" class="t">${esc(title)}<tspan class="u" dx="6">${esc(unit)}${lowerIsBetter ? ' — lower is better' : ''}</tspan></text>`);
  bars.forEach((b, i) => {
    const by = 24 + i * rowH;
    s.push(`<text x="${labelW - 6}" y="${by + 13}" class="l" text-anchor="end">${esc(LABEL[b.client] || b.client)}</text>`);
    if (b.median == null) {
      s.push(`<text x="${labelW + 4}" y="${by + 13}" class="v">${esc(b.note || 'no result')}</text>`);
      return;
    }
    const bw = Math.max(1, (b.median / top) * plotW);
    s.push(`<rect x="${labelW}" y="${by + 3}" width="${bw.toFixed(1)}" height="${rowH - 6}" fill="${COLOR[b.client] || '#868e96'}"/>`);
    const clipped = b.max != null && b.max > top;
    let right = bw;
    if (b.min != null && b.max != null && b.max > b.min) {
      const x1 = labelW + (Math.min(b.min, top) / top) * plotW;
      const x2 = labelW + (Math.min(b.max, top) / top) * plotW;
      const cy = by + rowH / 2;
      s.push(`<path d="M${x1.toFixed(1)},${cy}H${x2.toFixed(1)}M${x1.toFixed(1)},${cy - 4}V${cy + 4}${clipped ? '' : `M${x2.toFixed(1)},${cy - 4}V${cy + 4}`}" class="w"/>`);
      right = Math.max(bw, x2 - labelW);
    }
    const label = fmtNum(b.median) + (clipped ? ` (max ${fmtNum(b.max)})` : '');
    s.push(`<text x="${(labelW + right + 5).toFixed(1)}" y="${by + 13}" class="v">${esc(label)}</text>`);
  });
  s.push('</g>');
  return { svg: s.join(''), h };
}

function svg(results, meta, opts) {
  const panels = [];
  const bars = (rows, key, metric, clients) =>
    clients
      .map((c) => rows.find((r) => r.key === key && r.client === c))
      .filter(Boolean)
      .map((r) => ({ client: r.client, ...r[metric] }));
  const prod = summarize('produce', results.produce);
  const prodKeys = [...new Set(prod.map((r) => r.key))];
  const floorOf = (size) => prod.filter((r) => r.key === `${size}-batch` && ['rdkafka_performance', 'ProducerPerformance'].includes(r.client));
  for (const k of prodKeys) {
    const size = k.slice(0, k.indexOf('-'));
    const mode = k.slice(k.indexOf('-') + 1);
    const b = bars(prod, k, 'msgsPerSec', CLIENTS);
    if (mode === 'concurrent') b.push(...floorOf(size).map((r) => ({ client: r.client, ...r.msgsPerSec })));
    else b.push(...bars(prod, k, 'msgsPerSec', FLOOR_CLIENTS));
    panels.push({ title: `1. producer ${size.replace('1024B', '1 KiB').replace('100B', '100 B')}, ${mode}`, unit: 'msgs/s', bars: b });
  }
  const lat = summarize('latency', results.latency);
  const latBars = (k, metric) =>
    CLIENT_ORDER.map((c) => lat.find((r) => r.key === k && r.client === c))
      .filter(Boolean)
      .map((r) => (unsustained(r)
        ? { client: r.client, median: null, note: 'could not sustain the rate' }
        : { client: r.client, ...r[metric] }));
  for (const k of [...new Set(lat.map((r) => r.key))]) {
    panels.push({ title: `2. ${k}: publish→ack p99`, unit: 'ms', lower: true, bars: latBars(k, 'ackMs.p99') });
    panels.push({ title: `2. ${k}: publish→handler p99`, unit: 'ms', lower: true, bars: latBars(k, 'handlerMs.p99') });
  }
  const con = summarize('consume', results.consume);
  for (const k of [...new Set(con.map((r) => r.key))]) {
    const b = bars(con, k, 'msgsPerSec', CONSUMING_CLIENTS);
    b.push(...con.filter((r) => r.client === 'rdkafka_performance').map((r) => ({ client: r.client, ...r.msgsPerSec })));
    panels.push({ title: `3. consumer ${k}`, unit: 'msgs/s', bars: b });
  }
  for (const k of [...new Set(con.map((r) => r.key))]) {
    panels.push({ title: `5. peak RSS, consumer ${k}`, unit: 'MB', lower: true, bars: bars(con, k, 'peakRssMB', CONSUMING_CLIENTS) });
  }

  const W = 1000;
  const colW = 480;
  const gap = 20;
  const parts = [];
  let y = 58;
  for (let i = 0; i < panels.length; i += 2) {
    const a = panel(10, y, colW, panels[i].title, panels[i].unit, panels[i].bars, panels[i].lower);
    parts.push(a.svg);
    let h = a.h;
    if (panels[i + 1]) {
      const b = panel(10 + colW + gap, y, colW, panels[i + 1].title, panels[i + 1].unit, panels[i + 1].bars, panels[i + 1].lower);
      parts.push(b.svg);
      h = Math.max(h, b.h);
    }
    y += h + 14;
  }
  const H = y + 20;
  const sub = `${meta.machine.cores} cores shared by broker and client · Apache Kafka 4.1.1, 1 node, 6 partitions · acks=all, idempotent, lz4 · median of ${opts.runs} run(s), whiskers min–max`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif">
<style>.t{font-size:13px;font-weight:600;fill:#212529}.u{font-weight:400;fill:#868e96}.l{font-size:11px;fill:#343a40}.v{font-size:11px;fill:#212529}.w{stroke:#212529;stroke-width:1;fill:none}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="24" font-size="17" font-weight="700" fill="#212529">kafka-native vs kafkajs vs @confluentinc/kafka-javascript vs the native floor</text>
<text x="10" y="44" font-size="11" fill="#495057">${esc(sub)} · ${esc(meta.date.slice(0, 10))}</text>
${parts.join('\n')}
</svg>
`;
}

/**
 * Writes DIR/PREFIX<part>-summary.md and DIR/PREFIX<part>-chart.svg (none when `chart` is null),
 * DIR/PREFIX-scaling.svg when given, and for a full run (`latest`) also DIR/latest.md (pointing
 * at latest.svg) and DIR/latest.svg. Returns the files written.
 */
function write(dir, prefix, md, chart, { latest, scaling, part = '' }) {
  const mdFile = path.join(dir, `${prefix}${part}-summary.md`);
  const svgFile = path.join(dir, `${prefix}${part}-chart.svg`);
  fs.writeFileSync(mdFile, md);
  const written = [mdFile];
  if (chart) {
    fs.writeFileSync(svgFile, chart);
    written.push(svgFile);
  }
  if (scaling) {
    const f = path.join(dir, `${prefix}-scaling.svg`);
    fs.writeFileSync(f, scaling);
    written.push(f);
  }
  if (latest) {
    const latestMd = path.join(dir, 'latest.md');
    const latestSvg = path.join(dir, 'latest.svg');
    fs.writeFileSync(latestMd, md.replace(`](${path.basename(svgFile)})`, '](latest.svg)'));
    fs.writeFileSync(latestSvg, chart);
    written.push(latestMd, latestSvg);
  }
  return written;
}

/** The cases of the main chart; a run of all three is a full run. */
const MAIN_CASES = ['produce', 'latency', 'consume'];

/**
 * Whether a run measured all three main cases with every client, rate and load of a default run
 * (only such a run writes latest.* and the baseline); a run recorded without its cases, or from
 * before `fullPlan` was recorded, was a full one.
 */
function isFullRun(opts) {
  return (!opts.cases || MAIN_CASES.every((c) => opts.cases.includes(c))) && opts.fullPlan !== false;
}

/** Whether the run measured a case of the main chart. */
function hasMainChart(opts) {
  return !opts.cases || opts.cases.some((c) => MAIN_CASES.includes(c));
}

/**
 * The part of a summary's and chart's name that says which cases a partial run measured
 * (`-scaling` for `--cases scaling`; `-subset` for the main cases with some of the clients, rates
 * or loads), so that it does not overwrite the full run of the same day; empty for a full run.
 */
function partSuffix(opts) {
  if (isFullRun(opts)) return '';
  return opts.cases && !MAIN_CASES.every((c) => opts.cases.includes(c)) ? `-${opts.cases.join('-')}` : '-subset';
}

module.exports = { summarize, markdown, svg, scalingSvg, write, isFullRun, hasMainChart, partSuffix };
