'use strict';

// A consumer process for delivery.test.js: subscribes with a retry ladder and prints one line per
// handler call (`CALL <topic> <value>`) so the parent can kill it between ladder steps.
// Values starting with "poison" always fail.

const { KafkaService } = require('../../index.js');

const [brokers, group, topic, step, dlq] = process.argv.slice(2);

async function main() {
  const service = new KafkaService({ brokers, clientId: `child-${process.pid}`, logLevel: 'error' });
  await service.connect();
  await service.subscribe(
    { groupId: group, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000, retries: 0, retry: { delays: [1500], topics: [step], deadLetterTopic: dlq } },
    {
      eachMessage: async ({ topic: t, message }) => {
        const value = message.value.toString();
        process.stdout.write(`CALL ${t} ${value}\n`);
        if (value.startsWith('poison')) throw new Error(`refusing ${value}`);
      },
    },
  );
  process.stdout.write('READY\n');
}

main().catch((e) => {
  process.stderr.write(`${e.code}: ${e.message}\n`);
  process.exit(1);
});
