'use strict';

// A consumer process for drain.test.js: `node drain-child.js <handlerMs|hang>` with KAFKA_BROKERS,
// KAFKA_TOPIC and KAFKA_GROUP from the parent. Installs drainOnSignals and prints `READY`, then
// `DONE <offset>` after each handled message (`HANDLING <offset>` in hang mode, whose handler
// never settles) and `DRAINED <status>` when the drain ended.

const { KafkaService, drainOnSignals } = require('../../index.js');

const say = (line) => process.stdout.write(`${line}\n`);
const mode = process.argv[2];

async function main() {
  const service = new KafkaService({ brokers: process.env.KAFKA_BROKERS, logger: () => {} });
  await service.connect();
  drainOnSignals(service, { timeoutMs: 10000, onSignal: (s) => say(`SIGNAL ${s}`), onDrained: (s) => say(`DRAINED ${s}`) });
  await service.subscribe(
    { groupId: process.env.KAFKA_GROUP, topics: [process.env.KAFKA_TOPIC], fromBeginning: true, sessionTimeoutMs: 6000, drainTimeoutMs: 20000, maxBatchSize: 5 },
    {
      eachMessage: async ({ message }) => {
        if (mode === 'hang') {
          say(`HANDLING ${message.offset}`);
          await new Promise(() => {});
        }
        await new Promise((r) => setTimeout(r, Number(mode)));
        say(`DONE ${message.offset}`);
      },
    },
  );
  say('READY');
}

main().catch((e) => {
  say(`FAILED ${e.code} ${e.message}`);
  process.exitCode = 1;
});
