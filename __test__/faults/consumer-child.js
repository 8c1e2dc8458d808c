'use strict';

// A group member in its own process, for the consumer-crash scenario. Appends "partition offset"
// for each message it finished (synchronously, so the line survives a SIGKILL), then lets its
// handler resolve: a line means "processed". Stops gracefully on the 'stop' IPC message.
//   node consumer-child.js BROKERS TOPIC GROUP LOG_FILE DELAY_MS

const fs = require('fs');
const { KafkaService } = require('../../index.js');

const [brokers, topic, groupId, logFile, delayMs] = process.argv.slice(2);
const delay = Number(delayMs);
const fd = fs.openSync(logFile, 'a');
const service = new KafkaService({ brokers, clientId: `child-${process.pid}`, logger: () => {} });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  let processed = 0;
  const subscription = await service.subscribe(
    { groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000, maxBatchSize: 50, concurrency: 2 },
    {
      eachMessage: async ({ partition, message }) => {
        if (delay) await sleep(delay);
        fs.writeSync(fd, `${partition} ${message.offset} ${Date.now()}\n`);
        processed += 1;
      },
    },
  );
  process.send({ subscribed: true });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await subscription.stop();
      await service.disconnect();
      process.send({ stopped: true, processed });
      process.exit(0);
    }
  });
})().catch((e) => {
  process.stderr.write(`child failed: ${e.code} ${e.message}\n`);
  process.exit(1);
});
