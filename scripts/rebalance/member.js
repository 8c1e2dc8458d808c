'use strict';

// One group member of the rolling-restart measurement (scripts/rebalance/run.js), in its own
// process. Appends "partition offset ms member key" for each message its handler finished
// (synchronously, so the line is there even if the process dies), and stops gracefully on the
// 'stop' IPC message.
//   node member.js MODE BROKERS TOPIC GROUP LOG_FILE INDEX HANDLER_MS
// MODE: eager (classic, range), cooperative (classic, cooperative-sticky), static (classic, range,
// groupInstanceId), consumer (KIP-848), kafkajs (kafkajs 2.2.4, its eager protocol).

const fs = require('fs');
const path = require('path');

const [mode, brokers, topic, groupId, logFile, index, handlerMsText] = process.argv.slice(2);
const handlerMs = Number(handlerMsText);
const fd = fs.openSync(logFile, 'a');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// One partition's messages are handled in order; every partition this member holds concurrently.
const CONCURRENCY = 12;
const SESSION_TIMEOUT_MS = 10000;

async function handle(partition, message) {
  await sleep(handlerMs);
  const key = message.key == null ? '-' : message.key.toString();
  fs.writeSync(fd, `${partition} ${message.offset} ${Date.now()} ${index} ${key}\n`);
}

const GROUP_OPTIONS = {
  eager: { assignor: 'range', sessionTimeoutMs: SESSION_TIMEOUT_MS },
  cooperative: { assignor: 'cooperative-sticky', sessionTimeoutMs: SESSION_TIMEOUT_MS },
  static: { assignor: 'range', sessionTimeoutMs: SESSION_TIMEOUT_MS, groupInstanceId: `member-${index}` },
  consumer: { groupProtocol: 'consumer' },
};

/** Starts the member; resolves with its graceful stop. */
async function startNative() {
  const { KafkaService } = require(path.join(__dirname, '..', '..', 'index.js'));
  // REBALANCE_ENGINE_LOG=1: the engine's records (ASSIGN, REVOKE, COMMIT...) go to LOG_FILE.member-INDEX,
  // with librdkafka's REBALANCE_DEBUG contexts (e.g. cgrp) if given.
  const engineLog = process.env.REBALANCE_ENGINE_LOG ? fs.openSync(`${logFile}.member-${index}`, 'a') : undefined;
  const logger = engineLog === undefined ? () => {} : (r) => fs.writeSync(engineLog, `${Date.now()} ${process.pid} ${r.level} ${r.facility} ${r.message}\n`);
  const debug = process.env.REBALANCE_DEBUG ? { librdkafka: { debug: process.env.REBALANCE_DEBUG } } : {};
  const service = new KafkaService({ brokers, clientId: `rebalance-${mode}-${index}`, logger, ...(engineLog === undefined ? {} : { logLevel: process.env.REBALANCE_DEBUG ? 'debug' : 'info' }), ...debug });
  const subscription = await service.subscribe(
    { groupId, topics: [topic], fromBeginning: true, concurrency: CONCURRENCY, ...GROUP_OPTIONS[mode] },
    { eachMessage: ({ partition, message }) => handle(partition, message) },
  );
  return async () => {
    await subscription.stop();
    await service.disconnect();
  };
}

async function startKafkajs() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: `rebalance-kafkajs-${index}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: CONCURRENCY,
    eachMessage: ({ partition, message }) => handle(partition, message),
  });
  return () => consumer.disconnect();
}

(async () => {
  if (mode !== 'kafkajs' && !GROUP_OPTIONS[mode]) throw new Error(`unknown mode ${mode}`);
  const stop = mode === 'kafkajs' ? await startKafkajs() : await startNative();
  process.send({ ready: true });
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    await stop();
    process.send({ stopped: true });
    process.exit(0);
  });
})().catch((e) => {
  process.stderr.write(`member ${mode} ${index} failed: ${e.code || ''} ${e.message}\n`);
  process.exit(1);
});
