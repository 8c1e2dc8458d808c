#!/usr/bin/env node
'use strict';
// `npm run bench`: kafka-native side by side with kafkajs, @confluentinc/kafka-javascript and the
// native floor (rdkafka_performance, ProducerPerformance) on one real broker. See README.md.

const { fork, spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { CLIENTS, PRODUCER_ONLY } = require('./lib/clients');

const HERE = __dirname;
const USAGE = `usage: node bench/run.js [flags]
  --quick              smoke run: short windows, 1 M -> 100 k messages, 5 s fixed rate (implies --runs 1
                       unless --runs is given); writes <date>-quick-* and leaves latest.* alone
  --runs N             runs per figure (default 3)
  --cases LIST         produce,latency,consume (default); scaling (opt-in: how cost grows);
                       tracing, schemas (opt-in: bench/tracing.js and bench/schemas.js on this broker)
  --clients LIST       kafka-native,kafkajs,confluent,confluent-native,node-rdkafka,kafka-crab-js,floor (default all)
  --sizes LIST         value sizes for the producer case (default 100,1024)
  --modes LIST         awaited,concurrent,batch,awaited-batch (default all)
  --seconds S          upper bound of one producer run (default 10; quick 2)
  --duration S         fixed-rate window (default 30; quick 5)
  --rates LIST         fixed rates in events/s (default 1000,10000,20000)
  --loads LIST         fixed rate on a busy machine: core (one core kept busy by another process),
                       js (the JS thread busy 50 % of the time in 2 ms slices) (default core,js;
                       none: only the idle machine)
  --load-rates LIST    rates of the busy-machine runs (default 1000,10000)
  --check              quick run, its ratios compared with results/baseline.json: exit 1 naming
                       every ratio more than 20 % below its baseline (implies --quick)
  --scaling-dims LIST  dimensions of --cases scaling: size,partitions,topics,inflight,subscriptions,group
                       (default all; group starts a 3-node cluster: KAFKA_NATIVE_BENCH_PORT_3 /
                       KAFKA_NATIVE_BENCH_RUN_DIR_3, or KAFKA_BROKERS_3 for an existing one)
  --write-baseline     write results/baseline.json from this run's ratios (a full run does it)
  --consume-messages N messages pre-filled for the consumer case (default 1000000; quick 100000)
  --inflight N         outstanding single publishes in the concurrent mode (default 10000)
  --batch-inflight N   outstanding batch calls in the batch mode (default 10)
  --profile            kafka-native workers run with --cpu-prof (and perf record if usable); the
                       profiles go to results/profiles/<date>/; figures are not written
  --out DIR            results directory (default bench/results)
  KAFKA_BROKERS=h:p    use that cluster instead of starting scripts/kafka/up.sh`;

/** The lineup of a default (full) run. */
const PLAN_DEFAULTS = {
  clients: [...CLIENTS, 'floor'],
  rates: [1000, 10000, 20000],
  loads: ['core', 'js'],
  loadRates: [1000, 10000],
};

function parseArgs(argv) {
  const o = {
    ...PLAN_DEFAULTS,
    quick: false, runs: null, cases: ['produce', 'latency', 'consume'],
    sizes: [100, 1024], modes: ['awaited', 'concurrent', 'batch', 'awaited-batch'], seconds: null, duration: null,
    check: false, writeBaseline: false,
    scalingDims: ['size', 'partitions', 'topics', 'inflight', 'subscriptions', 'group'],
    consumeMessages: null, inflight: 10000, batchInflight: 10, batchSize: 1000,
    profile: false, out: path.join(HERE, 'results'),
  };
  const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--quick': o.quick = true; break;
      case '--runs': o.runs = Number(next()); break;
      case '--cases': o.cases = list(next()); break;
      case '--clients': o.clients = list(next()); break;
      case '--sizes': o.sizes = list(next()).map(Number); break;
      case '--modes': o.modes = list(next()); break;
      case '--seconds': o.seconds = Number(next()); break;
      case '--duration': o.duration = Number(next()); break;
      case '--rates': o.rates = list(next()).map(Number); break;
      case '--loads': o.loads = list(next()).filter((l) => l !== 'none'); break;
      case '--load-rates': o.loadRates = list(next()).map(Number); break;
      case '--check': o.check = true; o.quick = true; break;
      case '--write-baseline': o.writeBaseline = true; break;
      case '--scaling-dims': o.scalingDims = list(next()); break;
      case '--consume-messages': o.consumeMessages = Number(next()); break;
      case '--inflight': o.inflight = Number(next()); break;
      case '--batch-inflight': o.batchInflight = Number(next()); break;
      case '--profile': o.profile = true; break;
      case '--out': o.out = path.resolve(next()); o.outGiven = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown flag ${a}\n${USAGE}`);
    }
  }
  // Whether every client, rate and busy load of a default run is in (a run of some of them only
  // must not stand for the full run: no latest.*, no baseline; report.isFullRun).
  const covers = (list, all) => all.every((x) => list.includes(x));
  o.fullPlan = Object.entries(PLAN_DEFAULTS).every(([flag, all]) => covers(o[flag], all));
  o.writeBaseline = o.writeBaseline || (!o.quick && !o.profile && !o.check && require('./lib/report').isFullRun(o));
  // A check's quick figures are not kept beside the committed ones.
  if (o.check && !o.outGiven) o.out = path.join(os.tmpdir(), 'kafka-native-bench-check');
  o.runs = o.runs || (o.quick || o.profile ? 1 : 3);
  o.seconds = o.seconds || (o.quick ? 2 : 10);
  o.duration = o.duration || (o.quick ? 5 : 30);
  o.consumeMessages = o.consumeMessages || (o.quick ? 100_000 : 1_000_000);
  o.maxMessages = o.quick ? 100_000 : 1_000_000;
  o.drainSeconds = o.quick ? 10 : 30;
  return o;
}

const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);
const today = () => new Date().toISOString().slice(0, 10);
// The value bytes: ProducerPerformance's kind of payload (random upper-case letters), the same
// for every message and every client, as the floor tools send one repeated payload too.
const PATTERN = 'KXQWJZMVRTLPBNYHCGDFSAOEUIKZQXJWVMRTPLNBYHGCFDSAEOUIXKQZWJVMTRPLBNHYGCDFSAOEIUQZ';

/** The `js` load of the fixed-rate case: 2 ms slices of busy work, 50 % of the time. */
const JS_BUSY = { sliceMs: 2, share: 0.5 };

/** Keeps one core busy: a Node child spinning until stop() (killed with the run on exit). */
function busyCore(children) {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  children.add(child);
  return {
    stop() {
      child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

/**
 * The points of the scaling section: one dimension varied at a time, the rest at the producer
 * case's batch mode (100 B, 6 partitions, one topic, batches of 1,000, 10 calls in flight).
 */
function scalingPlan(opts) {
  const q = opts.quick;
  const base = { size: 100, partitions: 6, topics: 1, mode: 'batch', inflight: 10000, batchSize: 1000, maxMessages: 2_000_000 };
  const dims = {
    // Batches hold at most ~1 MiB (and at least 10 messages), so 100 KiB values stay sendable.
    size: (q ? [100, 10240] : [10, 100, 1024, 10240, 102400]).map((x) => ({
      size: x, batchSize: Math.max(10, Math.min(1000, Math.floor(2 ** 20 / x))), maxMessages: Math.max(20_000, Math.floor(2e9 / Math.max(x, 1000))),
    })),
    partitions: (q ? [1, 60] : [1, 6, 60, 600]).map((x) => ({ partitions: x })),
    topics: (q ? [1, 10] : [1, 10, 100]).map((x) => ({ topics: x })),
    // Single publishes kept in flight; 1 is the awaited loop.
    inflight: (q ? [1, 1000, 100000] : [1, 10, 100, 1000, 10000, 100000]).map((x) => ({ mode: 'concurrent', inflight: x, maxMessages: x === 1 ? 20_000 : 2_000_000 })),
    // Consumers (eachMessage): subscriptions in one process, each to its own 3-partition topic
    // (the messages split between them); processes in one group on the 3-node cluster (6 partitions).
    subscriptions: (q ? [1, 10] : [1, 10, 50]).map((x) => ({ mode: 'share', processes: 1, messages: q ? 100_000 : 300_000, x })),
    group: (q ? [1, 3] : [1, 2, 3]).map((x) => ({ mode: 'share', processes: x, messages: q ? 200_000 : 500_000, x })),
  };
  const points = [];
  for (const dim of opts.scalingDims) {
    if (!dims[dim]) throw new Error(`unknown scaling dimension ${dim}`);
    for (const p of dims[dim]) {
      const point = { ...base, ...p, dim };
      if (point.x == null) point.x = point[{ size: 'size', partitions: 'partitions', topics: 'topics', inflight: 'inflight' }[dim]];
      points.push(point);
    }
  }
  return points;
}

function perfUsable() {
  try {
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return true;
  } catch (_) {
    return false;
  }
}

/** Busy CPU seconds of the whole machine so far (/proc/stat), or null. */
function machineCpuS() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal || 0)) / 100;
  } catch (_) {
    return null;
  }
}

/** Runs one worker; resolves with its result (plus the broker's CPU seconds over the run). */
function runWorker(spec, ctx, hooks = {}) {
  const execArgv = [];
  const profiling = ctx.opts.profile && spec.client === 'kafka-native';
  let profName = null;
  if (profiling) {
    profName = `${spec.case}-${spec.mode || spec.rate || ''}-${spec.size || ''}-${Date.now()}`;
    execArgv.push('--cpu-prof', '--cpu-prof-dir', ctx.profileDir, '--cpu-prof-name', `${profName}.cpuprofile`);
    if (ctx.perf) execArgv.push('--perf-basic-prof-only-functions');
  }
  const timeoutMs = (spec.timeoutSeconds || 600) * 1000;
  return new Promise((resolve, reject) => {
    const brokerCpu0 = ctx.brokerCpu();
    const child = fork(path.join(HERE, 'lib', 'worker.js'), [JSON.stringify(spec)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: ctx.workerEnv,
    });
    ctx.children.add(child);
    if (hooks.onChild) hooks.onChild(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    let result = null;
    let error = null;
    let perf = null;
    let brokerWindow0 = null;
    let brokerWindow = null;
    let machine0 = null;
    let machineWindow = null;
    const load = os.loadavg()[0];
    const timer = setTimeout(() => {
      error = `timed out after ${timeoutMs / 1000} s`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => {
      if (m.type === 'result') result = m.result;
      else if (m.type === 'progress' && hooks.onProgress) hooks.onProgress(m.count);
      else if (m.type === 'error') error = m.error;
      else if (m.type === 'window' && m.phase === 'start') {
        brokerWindow0 = ctx.brokerCpu();
        machine0 = machineCpuS();
        if (profiling && ctx.perf) {
          perf = spawn('perf', ['record', '-q', '-g', '-F', '499', '-e', 'cpu-clock', '-p', String(child.pid),
            '-o', path.join(ctx.profileDir, `${profName}.perf.data`)], { stdio: 'ignore' });
        }
      } else if (m.type === 'window' && m.phase === 'end') {
        const b1 = ctx.brokerCpu();
        if (brokerWindow0 != null && b1 != null) brokerWindow = b1 - brokerWindow0;
        const m1 = machineCpuS();
        if (machine0 != null && m1 != null) machineWindow = m1 - machine0;
        if (perf) perf.kill('SIGINT');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      ctx.children.delete(child);
      if (perf && perf.exitCode == null) perf.kill('SIGINT');
      const brokerCpu1 = ctx.brokerCpu();
      if (result) {
        result.brokerCpuS = brokerWindow;
        // CPU the whole machine spent during the window; minus client and broker, what other
        // processes took from the two cores (builds, tests) while this run was measured.
        result.machineCpuS = machineWindow;
        result.otherCpuS = machineWindow != null && brokerWindow != null ? Math.max(0, machineWindow - brokerWindow - result.cpuS) : null;
        result.loadAvg1 = load;
        result.brokerCpuSWholeRun = brokerCpu0 != null && brokerCpu1 != null ? brokerCpu1 - brokerCpu0 : null;
        if (profName) result.profile = profName;
        resolve(result);
      } else {
        reject(new Error(`${spec.client} ${spec.case}: ${error || `exited ${code || signal}`}\n${stderr.slice(-1500)}`));
      }
    });
  });
}

/**
 * `n` consumer processes (the `share` case of lib/worker.js) working off `expected` messages
 * together: from the first message any of them saw to the moment their counts (reported every
 * 100 ms) add up to `expected`; CPU summed over the processes.
 */
async function runShared(n, spec, ctx, expected, timeoutS) {
  const counts = new Array(n).fill(0);
  const kids = [];
  const t0 = performance.now();
  let first = null;
  let last = null;
  let done;
  const finished = new Promise((r) => (done = r));
  const onProgress = (i) => (c) => {
    counts[i] = c;
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum > 0 && first == null) first = performance.now();
    if (sum >= expected && last == null) {
      last = performance.now();
      done();
    }
  };
  const runs = Array.from({ length: n }, (_, i) =>
    runWorker({ ...spec, timeoutSeconds: timeoutS + 90 }, ctx, { onProgress: onProgress(i), onChild: (c) => kids.push(c) }));
  const timer = setTimeout(done, timeoutS * 1000);
  // A worker that fails ends the point at once.
  const failed = Promise.all(runs).catch((e) => e);
  await Promise.race([finished, failed]);
  clearTimeout(timer);
  for (const k of kids) if (k.connected) k.send({ type: 'stop' });
  const results = await Promise.all(runs);
  const sum = counts.reduce((a, b) => a + b, 0);
  if (last == null) throw new Error(`${n} consumer(s) handled ${sum} of ${expected} within ${timeoutS} s`);
  const seconds = (last - first) / 1000;
  const cpuS = results.reduce((a, r) => a + r.cpuS, 0);
  return {
    messages: expected,
    handled: sum,
    processes: n,
    seconds,
    msgsPerSec: expected / seconds,
    MBps: (expected * 100) / seconds / 1e6,
    joinSeconds: (first - t0) / 1000,
    cpuS,
    cpuSPerMillion: (cpuS / expected) * 1e6,
    peakRssMB: Math.max(...results.map((r) => r.peakRssMB)),
    eventLoopDelayMs: { p99: Math.max(...results.map((r) => r.eventLoopDelayMs.p99)) },
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { up, admin, cpuSeconds, javaVersion } = require('./lib/broker');
  const countAll = async (a, topics) => (await Promise.all(topics.map((t) => a.messageCount(t)))).reduce((x, y) => x + y, 0);
  const { CLIENT_NOTES, versions } = require('./lib/clients');
  const { rdkafkaProduce, rdkafkaConsume, javaProduce } = require('./lib/floor');
  const report = require('./lib/report');
  const { compare, writeBaseline, BASELINE } = require('./lib/check');

  log('setup (bench/setup.sh)');
  const setupOut = execFileSync('bash', [path.join(HERE, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const rdkafkaPerf = setupOut.trim().split('\n').pop();

  const date = today();
  const stamp = Date.now().toString(36);
  const prefix = opts.quick ? `${date}-quick` : opts.profile ? `${date}-profile` : date;
  fs.mkdirSync(opts.out, { recursive: true });
  const profileDir = path.join(opts.out, 'profiles', date);
  if (opts.profile) fs.mkdirSync(profileDir, { recursive: true });

  const broker = up();
  const children = new Set();
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const c of children) c.kill('SIGKILL');
    broker.down();
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }

  const ctx = {
    opts,
    children,
    profileDir,
    perf: opts.profile && perfUsable(),
    brokerCpu: () => cpuSeconds(broker.pid()),
    workerEnv: { ...process.env },
  };
  const adm = admin(broker.brokers);
  const meta = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0] && os.cpus()[0].model,
      cores: os.cpus().length,
      memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()}`,
      note: 'broker, client and measurement share these cores',
    },
    versions: {
      ...versions(),
      'kafka-native librdkafka': rdkafkaPerf.match(/rdkafka-sys-[^/]*\+([\d.]+)/)?.[1] || null,
      'rdkafka_performance librdkafka': rdkafkaPerf.match(/rdkafka-sys-[^/]*\+([\d.]+)/)?.[1] || null,
      'Debian librdkafka-dev': (() => {
        try {
          return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'librdkafka-dev'], { encoding: 'utf8' });
        } catch (_) {
          return null;
        }
      })(),
      broker: broker.external ? `external (${broker.brokers})` : 'Apache Kafka 4.1.1, 1 node, KRaft (scripts/kafka/up.sh)',
      java: javaVersion(),
    },
    config: {
      brokers: broker.brokers,
      partitions: 6,
      replication: 1,
      acks: 'all',
      idempotent: true,
      compression: 'lz4',
      keys: '10,000 distinct keys (key-00000..key-09999); floor tools send no key',
      value: 'one payload of upper-case letters, repeated (as the floor tools do)',
      flags: { ...opts, out: undefined },
      clients: CLIENT_NOTES,
    },
  };
  log(`broker ${broker.brokers}; ${opts.runs} run(s) per figure; ${opts.quick ? 'quick' : opts.profile ? 'profile' : 'full'} run`);

  const want = (c) => opts.clients.includes(c);
  const nodeClients = CLIENTS.filter(want);
  const floor = want('floor');
  const topicName = (...parts) => `bench-${parts.join('-')}-${stamp}`.replace(/[^a-zA-Z0-9._-]/g, '_');
  const created = [];
  const freshTopic = async (...parts) => {
    const t = topicName(...parts);
    await adm.createTopic(t);
    created.push(t);
    return t;
  };
  const written = [];
  const save = (name, data) => {
    if (opts.profile) return;
    const f = path.join(opts.out, `${prefix}-${name}.json`);
    fs.writeFileSync(f, JSON.stringify(data, null, 2) + '\n');
    written.push(f);
  };

  // Warm the broker (coordinator partitions, producer id allocation, page cache) off the record:
  // a produce, then a group consuming it, so that the first measured group does not wait for
  // the broker to create __consumer_offsets (a 3 s join in a consume-only run).
  {
    const t = await freshTopic('warmup');
    const client = nodeClients[0] || 'kafkajs';
    const warm = { ...ctx, opts: { ...opts, profile: false } };
    await runWorker({ case: 'produce', client, brokers: broker.brokers, topic: t, size: 100,
      mode: 'batch', pattern: PATTERN, maxMessages: 50_000, maxSeconds: 5, inflight: 1000, batchSize: 1000, batchInflight: 5,
      timeoutSeconds: 120 }, warm);
    if (opts.cases.some((c) => c === 'consume' || c === 'latency' || c === 'scaling') && !PRODUCER_ONLY.has(client)) {
      await runWorker({ case: 'consume', client, brokers: broker.brokers, topic: t, groupId: `bench-g-warmup-${stamp}`,
        mode: 'eachBatch', expected: await adm.messageCount(t), timeoutSeconds: 120 }, warm);
    }
  }

  const results = { produce: [], latency: [], consume: [], scaling: [] };
  const record = (kind, entry) => {
    results[kind].push(entry);
    const r = entry.result;
    const fig = r.error ? `ERROR ${r.error.split('\n')[0]}` : kind === 'scaling'
      ? `${Math.round(r.msgsPerSec).toLocaleString('en')} msgs/s, ${r.cpuSPerMillion?.toFixed(1)} CPU s/M${r.callMs ? `, call p99 ${r.callMs.p99?.toFixed(1)} ms` : ''}`
      : kind === 'latency'
      ? `ack p99 ${r.ackMs.p99?.toFixed(2)} ms, handler p99 ${r.handlerMs.p99?.toFixed(2)} ms, ELD p99 ${r.eventLoopDelayMs?.p99?.toFixed(2)} ms`
      : `${Math.round(r.msgsPerSec).toLocaleString('en')} msgs/s${r.peakRssMB ? `, RSS ${r.peakRssMB} MB` : ''}${r.cpuSPerMillion ? `, ${r.cpuSPerMillion.toFixed(1)} CPU s/M` : ''}`;
    log(`  ${kind} ${entry.key} run ${entry.run} ${entry.client}: ${fig}`);
  };
  const attempt = async (fn) => {
    try {
      return await fn();
    } catch (e) {
      log(`    failed: ${e.message.split('\n').slice(0, 6).join(' | ')}`);
      return { error: e.message };
    }
  };

  try {
    // ------------------------------------------------------------------ case 1: producers
    if (opts.cases.includes('produce')) {
      for (const size of opts.sizes) {
        for (const mode of opts.modes) {
          const key = `${size}B-${mode}`;
          log(`case 1: producer ${key}`);
          for (let run = 1; run <= opts.runs; run++) {
            const lineup = [...nodeClients];
            if (floor && mode === 'batch') lineup.push('rdkafka_performance', 'ProducerPerformance');
            for (const client of lineup) {
              const topic = await freshTopic('p', size, mode, client, run);
              let result;
              if (client === 'rdkafka_performance') {
                const count = opts.quick ? 300_000 : size > 500 ? 1_000_000 : 3_000_000;
                result = await attempt(() => rdkafkaProduce(rdkafkaPerf, { brokers: broker.brokers, topic, size, count, pattern: PATTERN }));
              } else if (client === 'ProducerPerformance') {
                const count = opts.quick ? 300_000 : size > 500 ? 1_000_000 : 2_000_000;
                result = await attempt(() => javaProduce({ brokers: broker.brokers, topic, size, count }));
              } else {
                const maxMessages = mode === 'awaited' ? 20_000 : size > 500 ? Math.round(opts.maxMessages / 2) : opts.maxMessages;
                result = await attempt(() => runWorker({
                  case: 'produce', client, brokers: broker.brokers, topic, size, mode, pattern: PATTERN, maxMessages,
                  maxSeconds: opts.seconds, inflight: opts.inflight, batchSize: opts.batchSize, batchInflight: opts.batchInflight,
                  timeoutSeconds: opts.seconds + 180,
                }, ctx));
              }
              record('produce', { key, size, mode, client, run, result });
            }
          }
        }
      }
      save('produce', { case: 'produce', ...meta, runs: results.produce, summary: report.summarize('produce', results.produce) });
    }

    // ----------------------------------------------------------- case 2: fixed-rate latency
    if (opts.cases.includes('latency')) {
      const clients = nodeClients.filter((c) => !PRODUCER_ONLY.has(c));
      const plan = [
        ...opts.rates.map((rate) => ({ rate, load: null })),
        ...opts.loads.flatMap((load) => opts.loadRates.map((rate) => ({ rate, load }))),
      ];
      for (const { rate, load } of plan) {
        const key = load ? `${rate}/s, ${load} busy` : `${rate}/s`;
        log(`case 2: fixed rate ${key} for ${opts.duration} s`);
        for (let run = 1; run <= opts.runs; run++) {
          for (const client of clients) {
            const topic = await freshTopic('l', rate, load || 'idle', client, run);
            // (a) one core kept busy by another process for the whole run of the worker.
            const hog = load === 'core' ? busyCore(children) : null;
            const result = await attempt(() => runWorker({
              case: 'latency', client, brokers: broker.brokers, topic, groupId: `${topic}-g`, size: 100, rate,
              seconds: opts.duration, drainSeconds: opts.drainSeconds, pattern: PATTERN,
              // (b) the client's own JS thread busy with synthetic request work.
              jsBusy: load === 'js' ? JS_BUSY : null,
              timeoutSeconds: opts.duration + opts.drainSeconds + 240,
            }, ctx)).finally(() => hog && hog.stop());
            record('latency', { key, rate, load, client, run, result });
          }
        }
      }
      save('latency', { case: 'latency', ...meta, runs: results.latency, summary: report.summarize('latency', results.latency) });
    }

    // --------------------------------------------------------------- case 3: consumers
    if (opts.cases.includes('consume')) {
      const topic = await freshTopic('c', 'prefill');
      const prefillClient = nodeClients.includes('kafka-native') ? 'kafka-native' : 'confluent-native';
      log(`case 3: pre-filling ${topic} with ${opts.consumeMessages.toLocaleString('en')} x 100 B (${prefillClient}, batch mode)`);
      const prefill = await runWorker({
        case: 'produce', client: prefillClient, brokers: broker.brokers, topic, size: 100, mode: 'batch', pattern: PATTERN,
        maxMessages: opts.consumeMessages, maxSeconds: 600, inflight: opts.inflight, batchSize: 1000,
        batchInflight: opts.batchInflight, timeoutSeconds: 900, noWarmup: true,
      }, { ...ctx, opts: { ...opts, profile: false } });
      const expected = await adm.messageCount(topic);
      log(`  pre-filled: ${expected.toLocaleString('en')} messages (${Math.round(prefill.msgsPerSec).toLocaleString('en')} msgs/s)`);
      meta.config.consume = { topic, messages: expected, valueBytes: 100, prefilledWith: prefillClient };
      for (const mode of ['eachMessage', 'eachBatch']) {
        log(`case 3: consumer ${mode}`);
        for (let run = 1; run <= opts.runs; run++) {
          const lineup = nodeClients.filter((c) => !PRODUCER_ONLY.has(c));
          if (floor && mode === 'eachBatch') lineup.push('rdkafka_performance');
          for (const client of lineup) {
            const groupId = `bench-g-${mode}-${client}-${run}-${stamp}`;
            let result;
            if (client === 'rdkafka_performance') {
              result = await attempt(() => rdkafkaConsume(rdkafkaPerf, { brokers: broker.brokers, topic, groupId, count: expected }));
            } else {
              result = await attempt(() => runWorker({
                case: 'consume', client, brokers: broker.brokers, topic, groupId, mode, expected, timeoutSeconds: 300,
              }, ctx));
            }
            record('consume', { key: mode, mode, client, run, result });
          }
        }
      }
      save('consume', { case: 'consume', ...meta, runs: results.consume, summary: report.summarize('consume', results.consume) });
    }

    // ------------------------------------------------------- how cost grows (opt-in)
    if (opts.cases.includes('scaling')) {
      const clients = nodeClients.filter((c) => !PRODUCER_ONLY.has(c));
      const seconds = opts.quick ? 2 : 3;
      for (const point of scalingPlan(opts).filter((p) => p.mode !== 'share')) {
        const key = `${point.dim}=${point.x}`;
        log(`scaling: ${key}`);
        // One set of topics per point, shared by the clients (each writes its own share).
        const topics = [];
        for (let t = 0; t < point.topics; t++) {
          const name = topicName('s', point.dim, point.x, t);
          await adm.createTopic(name, point.partitions);
          created.push(name);
          topics.push(name);
        }
        for (let run = 1; run <= opts.runs; run++) {
          for (const client of clients) {
            const result = await attempt(() => runWorker({
              case: 'produce', client, brokers: broker.brokers, topics, size: point.size, mode: point.mode, pattern: PATTERN,
              maxMessages: point.maxMessages, maxSeconds: seconds, inflight: point.inflight, batchSize: point.batchSize,
              batchInflight: opts.batchInflight, recordLatency: true, timeoutSeconds: seconds + 240,
            }, ctx));
            record('scaling', { key, dim: point.dim, x: point.x, client, run, result });
          }
        }
      }
      // Consumers: subscriptions per process on this broker; processes in one group on 3 nodes.
      const sharePoints = scalingPlan(opts).filter((p) => p.mode === 'share');
      const prefill = async (brokers, topics, messages) => runWorker({
        case: 'produce', client: 'kafka-native', brokers, topics, size: 100, mode: 'batch', pattern: PATTERN,
        maxMessages: messages, maxSeconds: 600, inflight: opts.inflight, batchSize: 1000, batchInflight: opts.batchInflight,
        timeoutSeconds: 900, noWarmup: true,
      }, { ...ctx, opts: { ...opts, profile: false } });
      const shareRun = async (point, brokers, topics, expected) => {
        const key = `${point.dim}=${point.x}`;
        for (let run = 1; run <= opts.runs; run++) {
          for (const client of clients) {
            const groupId = topicName('g', point.dim, point.x, client, run);
            const result = await attempt(() => runShared(point.processes, {
              case: 'share', client, brokers, topics, groupId, mode: 'eachMessage',
            }, ctx, expected, opts.quick ? 60 : 120));
            record('scaling', { key, dim: point.dim, x: point.x, client, run, result });
          }
        }
      };
      for (const point of sharePoints.filter((p) => p.dim === 'subscriptions')) {
        log(`scaling: subscriptions=${point.x}`);
        const topics = [];
        for (let t = 0; t < point.x; t++) {
          const name = topicName('sub', point.x, t);
          await adm.createTopic(name, 3);
          created.push(name);
          topics.push(name);
        }
        await prefill(broker.brokers, topics, point.messages);
        await shareRun(point, broker.brokers, topics, await countAll(adm, topics));
      }
      const groupPoints = sharePoints.filter((p) => p.dim === 'group');
      if (groupPoints.length) {
        const cluster = up({ nodes: 3 });
        const adm3 = admin(cluster.brokers);
        try {
          const topic = topicName('group', 'prefill');
          await adm3.createTopic(topic, 6);
          log(`scaling: pre-filling ${topic} on the 3-node cluster ${cluster.brokers}`);
          await prefill(cluster.brokers, [topic], groupPoints[0].messages);
          const expected = await adm3.messageCount(topic);
          for (const point of groupPoints) {
            log(`scaling: group=${point.x} (${expected.toLocaleString('en')} messages)`);
            await shareRun(point, cluster.brokers, [topic], expected);
          }
          await adm3.deleteTopics([topic]).catch(() => {});
        } finally {
          await adm3.close().catch(() => {});
          cluster.down();
        }
      }
      save('scaling', { case: 'scaling', ...meta, runs: results.scaling, summary: report.summarize('scaling', results.scaling) });
    }

    // ------------------------------------- tracing and schema cost (opt-in, own reports)
    // Each writes a markdown report of its own beside the others (bench/tracing.js,
    // bench/schemas.js); run as children on this run's broker.
    const ownReports = [];
    const child = (script, args, env = {}) => execFileSync(process.execPath, [path.join(HERE, script), ...args],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    if (opts.cases.includes('tracing')) {
      log('tracing: off / off+header / 1 % / 100 % sampled');
      const out = path.join(opts.out, `${prefix}-tracing.md`);
      child('tracing.js', ['--brokers', broker.brokers, '--runs', String(opts.quick ? 1 : 3),
        '--messages', String(opts.quick ? 20_000 : 100_000), '--out', out]);
      ownReports.push(out);
    }
    if (opts.cases.includes('schemas')) {
      const registryPort = Number(process.env.KAFKA_NATIVE_BENCH_REGISTRY_PORT || 39580);
      const runDir = `${process.env.KAFKA_NATIVE_BENCH_RUN_DIR || '/tmp/kafka-native-bench-kafka'}-registry`;
      const scripts = path.join(HERE, '..', 'scripts', 'registry');
      log(`schemas: starting the Schema Registry on 127.0.0.1:${registryPort}`);
      const url = execFileSync('bash', [path.join(scripts, 'up.sh'), '--port', String(registryPort), '--run-dir', runDir],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
      try {
        child('schemas.js', ['--seconds', String(opts.quick ? 2 : 5)], { KAFKA_BROKERS: broker.brokers, SCHEMA_REGISTRY_URL: url });
      } finally {
        execFileSync('bash', [path.join(scripts, 'down.sh'), '--run-dir', runDir], { stdio: 'inherit' });
      }
    }

    if (!opts.profile && written.length) {
      const md = report.markdown(meta, results, opts);
      const svg = report.hasMainChart(opts) ? report.svg(results, meta, opts) : null;
      // A run of some cases only leaves latest.* (the full run's) alone, and names its summary
      // and chart after its cases (<date>-scaling-summary.md), so the day's full run keeps its own.
      const full = report.isFullRun(opts);
      written.push(
        ...report.write(opts.out, prefix, md, svg, { latest: !opts.quick && full, scaling: report.scalingSvg(results, meta), part: report.partSuffix(opts) }),
      );
    }
    if (opts.writeBaseline && written.length) written.push(writeBaseline(results, meta));
    written.push(...ownReports);
    if (opts.profile) log(`profiles in ${profileDir} (summarize: node bench/lib/profile.js ${profileDir})`);
  } finally {
    await adm.deleteTopics(created).catch(() => {});
    await adm.close().catch(() => {});
    cleanup();
  }
  for (const f of written) console.log(path.relative(process.cwd(), f));
  if (opts.check) {
    const { lines, regressions, compared } = compare(results);
    for (const l of lines) log(l);
    // Other processes' CPU during the measured windows: a busy machine skews the ratios.
    let other = 0;
    let window = 0;
    for (const e of [...results.produce, ...results.latency, ...results.consume]) {
      if (e.result && e.result.otherCpuS != null && e.result.windowS) {
        other += e.result.otherCpuS;
        window += e.result.windowS;
      }
    }
    if (window > 0 && other / window > 0.25) {
      log(`check: other processes used ${(other / window).toFixed(2)} of the ${os.cpus().length} cores during the windows: ` +
        'ratios measured on a busy machine; re-run on a quiet one before trusting a verdict');
    }
    if (!compared) {
      log('check: no ratio of this run has a baseline');
      process.exitCode = 1;
    } else if (regressions.length) {
      log(`check FAILED: ${regressions.length} ratio(s) more than 20 % below the baseline (${path.relative(process.cwd(), BASELINE)}):`);
      for (const r of regressions) log(`  ${r}`);
      process.exitCode = 1;
    } else {
      log(`check passed: ${compared} ratio(s) within 20 % of the baseline or better`);
    }
  }
}

main().catch((e) => {
  log(e.stack || String(e));
  process.exitCode = 1;
});
