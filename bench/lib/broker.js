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
// The 3-node cluster of the scaling section's consumer-group points (brokers base..base+2,
// controllers base+10..base+12).
const RUN_DIR_3 = process.env.KAFKA_NATIVE_BENCH_RUN_DIR_3 || `${RUN_DIR}-3`;
const BASE_PORT_3 = process.env.KAFKA_NATIVE_BENCH_PORT_3 || '39542';

function log(...a) {
  process.stderr.write(`[bench] ${a.join(' ')}\n`);
}

/**
 * Starts the local broker (unless KAFKA_BROKERS; with `nodes: 3`, the 3-node cluster unless
 * KAFKA_BROKERS_3): {brokers, external, pid(), down()}.
 */
function up({ nodes = 1 } = {}) {
  const external = nodes === 3 ? process.env.KAFKA_BROKERS_3 : process.env.KAFKA_BROKERS;
  if (external) {
    return { brokers: external, external: true, pid: () => null, down() {} };
  }
  const runDir = nodes === 3 ? RUN_DIR_3 : RUN_DIR;
  const basePort = nodes === 3 ? BASE_PORT_3 : BASE_PORT;
  log(`starting Kafka (scripts/kafka/up.sh --nodes ${nodes} --run-dir ${runDir} --base-port ${basePort})`);
  const out = execFileSync('bash', [path.join(REPO, 'scripts/kafka/up.sh'), '--nodes', String(nodes), '--run-dir', runDir, '--base-port', basePort], {
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
        return Number(fs.readFileSync(path.join(runDir, 'node-1', 'pid'), 'utf8').trim());
      } catch (_) {
        return null;
      }
    },
    down() {
      if (stopped) return;
      stopped = true;
      log('stopping Kafka (scripts/kafka/down.sh)');
      try {
        execFileSync('bash', [path.join(REPO, 'scripts/kafka/down.sh'), '--nodes', String(nodes), '--run-dir', runDir], { stdio: ['ignore', 'ignore', 'inherit'] });
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
      try {
        await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
      } catch (e) {
        // A busy broker may answer the wait for leaders with a transient error: the topic was
        // created, so wait for its leaders here (up to a minute) instead.
        for (let i = 0; i < 120; i++) {
          try {
            const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
            const parts = topics[0] ? topics[0].partitions : [];
            if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return;
          } catch (_) {
            // Not known yet: ask again.
          }
          await new Promise((r) => setTimeout(r, 500));
        }
        throw e;
      }
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
