'use strict';
// The native floor: librdkafka's rdkafka_performance (built by setup.sh from the librdkafka
// sources the crate compiles) and Apache Kafka's ProducerPerformance (Java, run-class.sh).
// Each runs under /usr/bin/time for its CPU seconds and peak RSS.

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.join(__dirname, '..', '..');

function run(cmd, args, { env, timeoutMs }) {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let time = null;
      try {
        const [wall, user, sys, maxKb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
        time = { wallS: wall, cpuS: user + sys, peakRssMB: Math.round(maxKb / 1024) };
        fs.unlinkSync(timeFile);
      } catch (_) {
        // No /usr/bin/time figures (not installed, or the run died first): the result has none.
      }
      if (code !== 0) reject(new Error(`${path.basename(cmd)} exited ${code}:\n${out.slice(-2000)}`));
      else resolve({ out, time });
    });
  });
}

/** rdkafka_performance -P: unkeyed (it has only one fixed key), random partitions. */
async function rdkafkaProduce(bin, { brokers, topic, size, count, pattern }) {
  const { out, time } = await run(
    bin,
    ['-P', '-t', topic, '-b', brokers, '-s', String(size), '-c', String(count), '-a', '-1',
      '-X', 'enable.idempotence=true', '-z', 'lz4', '-m', pattern, '-q'],
    { timeoutMs: 300_000 },
  );
  // "% 2000000 messages produced (200000000 bytes), 2000000 delivered (...) in 2580ms: 774907 msgs/s and 77.49 MB/s, ..."
  const lines = out.split('\n').filter((l) => /delivered .* in \d+ms/.test(l));
  const m = /(\d+) delivered .* in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/.exec(lines.pop() || '');
  if (!m) throw new Error(`rdkafka_performance: no result line in\n${out.slice(-1500)}`);
  const messages = Number(m[1]);
  return {
    messages,
    seconds: Number(m[2]) / 1000,
    msgsPerSec: Number(m[3]),
    MBps: Number(m[4]),
    cpuSPerMillion: time ? (time.cpuS / messages) * 1e6 : null,
    peakRssMB: time && time.peakRssMB,
    processWallS: time && time.wallS,
  };
}

/** rdkafka_performance -C -G: the high-level consumer, from the beginning, until `count`. */
async function rdkafkaConsume(bin, { brokers, topic, groupId, count }) {
  const { out, time } = await run(
    bin,
    ['-C', '-G', groupId, '-t', topic, '-b', brokers, '-c', String(count), '-o', 'beginning',
      '-X', 'auto.offset.reset=earliest', '-q'],
    { timeoutMs: 300_000 },
  );
  // "% 2000000 messages (200000000 bytes) consumed in 2053ms: 974017 msgs/s (97.40 MB/s)"
  const m = /(\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/.exec(
    out.split('\n').filter((l) => /consumed in/.test(l)).pop() || '',
  );
  if (!m) throw new Error(`rdkafka_performance -C: no result line in\n${out.slice(-1500)}`);
  const messages = Number(m[1]);
  return {
    messages,
    seconds: Number(m[3]) / 1000,
    msgsPerSec: Number(m[4]),
    MBps: Number(m[5]),
    cpuSPerMillion: time ? (time.cpuS / messages) * 1e6 : null,
    peakRssMB: time && time.peakRssMB,
    processWallS: time && time.wallS,
  };
}

/** org.apache.kafka.tools.ProducerPerformance: unkeyed, one random payload repeated. */
async function javaProduce({ brokers, topic, size, count }) {
  const { out, time } = await run(
    'bash',
    [path.join(REPO, 'scripts/kafka/run-class.sh'), 'org.apache.kafka.tools.ProducerPerformance',
      '--topic', topic, '--num-records', String(count), '--record-size', String(size), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true', 'compression.type=lz4'],
    { env: { KAFKA_NATIVE_TOOL_OPTS: '-XX:TieredStopAtLevel=4 -Xmx1g' }, timeoutMs: 300_000 },
  );
  // "2000000 records sent, 229515.7 records/sec (21.89 MB/sec), 95.12 ms avg latency, 400.00 ms max latency, ..."
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th)?/.exec(out);
  if (!m) throw new Error(`ProducerPerformance: no result line in\n${out.slice(-1500)}`);
  const messages = Number(m[1]);
  const msgsPerSec = Number(m[2]);
  return {
    messages,
    seconds: messages / msgsPerSec,
    msgsPerSec,
    MBps: (msgsPerSec * size) / 1e6,
    avgLatencyMs: Number(m[4]),
    cpuSPerMillion: time ? (time.cpuS / messages) * 1e6 : null,
    peakRssMB: time && time.peakRssMB,
    processWallS: time && time.wallS,
  };
}

module.exports = { rdkafkaProduce, rdkafkaConsume, javaProduce };
