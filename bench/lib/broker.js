'use strict';
// The broker under test: the repository's single-node Apache Kafka (scripts/kafka/up.sh), on a
// run dir and ports of its own so the test suites' broker (39092) is left alone, or an external
// cluster named by KAFKA_BROKERS. Topics are created with kafkajs' admin client.

const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.join(__dirname, '..', '..');
const RUN_DIR = process.env.KAFKA_NATIVE_BENCH_RUN_DIR || path.join(os.tmpdir(), 'kafka-native-bench-kafka');
const BASE_PORT = process.env.KAFKA_NATIVE_BENCH_PORT || '39492';

function log(...a) {
  process.stderr.write(`[bench] ${a.join(' ')}\n`);
}

/** Starts the local broker (unless KAFKA_BROKERS): {brokers, external, pid(), down()}. */
function up() {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS, external: true, pid: () => null, down() {} };
  }
  log(`starting Kafka (scripts/kafka/up.sh --run-dir ${RUN_DIR} --base-port ${BASE_PORT})`);
  const out = execFileSync('bash', [path.join(REPO, 'scripts/kafka/up.sh'), '--run-dir', RUN_DIR, '--base-port', BASE_PORT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const brokers = out.trim().split('\n').pop().trim();
  let stopped = false;
  return {
    brokers,
    external: false,
    pid() {
      try {
        return Number(fs.readFileSync(path.join(RUN_DIR, 'node-1', 'pid'), 'utf8').trim());
      } catch (_) {
        return null;
      }
    },
    down() {
      if (stopped) return;
      stopped = true;
      log('stopping Kafka (scripts/kafka/down.sh)');
      try {
        execFileSync('bash', [path.join(REPO, 'scripts/kafka/down.sh'), '--run-dir', RUN_DIR], { stdio: ['ignore', 'ignore', 'inherit'] });
      } catch (e) {
        log(`down.sh failed: ${e.message}`);
      }
    },
  };
}

/** CPU seconds a process has used so far (from /proc), or null. */
function cpuSeconds(pid) {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch (_) {
    return null;
  }
}

function admin(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const a = kafka.admin();
  let connected = null;
  const ready = () => (connected = connected || a.connect());
  return {
    async createTopic(topic, partitions = 6) {
      await ready();
      await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    },
    async messageCount(topic) {
      await ready();
      const offsets = await a.fetchTopicOffsets(topic);
      return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    },
    async deleteTopics(topics) {
      await ready();
      try {
        await a.deleteTopics({ topics });
      } catch (_) {
        // Best effort: a topic already gone is the outcome wanted.
      }
    },
    async close() {
      if (connected) await a.disconnect();
    },
  };
}

function javaVersion() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return ((r.stderr || '') + (r.stdout || '')).split('\n')[0].trim() || null;
}

module.exports = { up, admin, cpuSeconds, javaVersion };
