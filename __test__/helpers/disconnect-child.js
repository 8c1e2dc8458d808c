'use strict';

// A Node process for disconnect.test.js: `node disconnect-child.js <scenario>` with KAFKA_BROKERS,
// KAFKA_TOPIC (one partition holding one message) and KAFKA_GROUP from the parent. Each scenario
// races `disconnect()` (or `stop()`) against something still under way, prints what it did, and
// never calls process.exit: that the process then ends by itself is what the test observes.

const path = require('path');
const { say, runScenario } = require('./scenario');
const { KafkaService, MockCluster } = require('../../index.js');

const brokers = process.env.KAFKA_BROKERS;
const topic = process.env.KAFKA_TOPIC;
const groupId = process.env.KAFKA_GROUP;
const quiet = () => {};

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function kafkajs() {
  const { Kafka, logLevel } = require(path.resolve(__dirname, '../../dist/kafkajs'));
  return new Kafka({ clientId: 'disconnect-child', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** A kafkajs consumer whose handler always fails: it crashes at once (no retries) and restarts after `backoffMs`. */
async function crashingConsumer(backoffMs) {
  const consumer = kafkajs().consumer({ groupId, sessionTimeout: 6000, retry: { retries: 0, initialRetryTime: backoffMs } });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return consumer;
}

function crashed(consumer) {
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.CRASH, (e) => {
      off();
      resolve(e.payload);
    });
  });
}

const failing = async () => {
  throw new Error('always fails');
};

/** Resolves when `entered` was called, and a handler that calls it and never settles. */
function stuckHandler() {
  let entered;
  const inside = new Promise((resolve) => {
    entered = resolve;
  });
  return { inside, eachMessage: () => (entered(), new Promise(() => {})) };
}

const scenarios = {
  // kafkajs: the consumer crashed and waits out its restart back-off when disconnect() comes.
  'restart-backoff': async () => {
    const consumer = await crashingConsumer(60000);
    const crash = crashed(consumer);
    await consumer.run({ eachMessage: failing });
    say(`crashed, restart ${(await crash).restart}`);
    await consumer.disconnect();
    say('disconnected');
  },

  // kafkajs: disconnect() from the CRASH listener itself, before the restart is scheduled.
  'crash-listener': async () => {
    const consumer = await crashingConsumer(10);
    const done = new Promise((resolve, reject) => {
      consumer.on(consumer.events.CRASH, () => consumer.disconnect().then(resolve, reject));
    });
    await consumer.run({ eachMessage: failing });
    await done;
    say('disconnected from the listener');
  },

  // kafkajs: run() not awaited, disconnect() at once, before the group was joined.
  'run-before-join': async () => {
    const consumer = kafkajs().consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const running = consumer.run({ eachMessage: async () => {} }).then(
      () => 'resolved',
      (e) => e.code,
    );
    await consumer.disconnect();
    say(`run ${await running}`);
    say('disconnected');
  },

  // Engine: subscribe() not awaited, disconnect() at once: the subscription is stopped or refused.
  'subscribe-before-join': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    // The outcome is read at once: a subscribe refused while disconnect() runs rejects before
    // disconnect() resolves, and a rejection nobody handles yet would end the process.
    const subscribing = service
      .subscribe({ groupId, topics: [topic], fromBeginning: true }, { eachMessage: async () => {} })
      .then(
        (s) => () => `running ${s.running}`,
        (e) => () => e.code,
      );
    await service.disconnect();
    const outcome = (await subscribing)();
    say(`subscribe ${outcome === 'running false' || outcome === 'ERR_DISCONNECTED' ? 'ended' : outcome}`);
  },

  // Engine: a second member joins the group (a rebalance) while the first one's handler is busy;
  // both disconnect while that rebalance is under way.
  rebalance: async () => {
    const first = new KafkaService({ brokers, logger: quiet });
    const second = new KafkaService({ brokers, logger: quiet });
    const stuck = stuckHandler();
    await first.subscribe({ groupId, topics: [topic], fromBeginning: true, drainTimeoutMs: 2000, sessionTimeoutMs: 6000 }, { eachMessage: stuck.eachMessage });
    await stuck.inside;
    say('first member busy');
    const joining = second.subscribe({ groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000 }, { eachMessage: async () => {} });
    await joining;
    await Promise.all([first.disconnect({ timeoutMs: 2000 }), second.disconnect({ timeoutMs: 2000 })]);
    say('both disconnected');
  },

  // Engine: a handler that never settles; disconnect() abandons it after drainTimeoutMs.
  'stuck-handler': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    const stuck = stuckHandler();
    await service.subscribe({ groupId, topics: [topic], fromBeginning: true, drainTimeoutMs: 1000 }, { eachMessage: stuck.eachMessage });
    await stuck.inside;
    await service.disconnect({ timeoutMs: 1000 });
    say('disconnected');
  },

  // Engine: the same with subscription.stop() (the service itself is left connected).
  'stuck-handler-stop': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    const stuck = stuckHandler();
    const subscription = await service.subscribe(
      { groupId, topics: [topic], fromBeginning: true, drainTimeoutMs: 1000, onError: (e) => say(`onError ${e.code}`) },
      { eachMessage: stuck.eachMessage },
    );
    await stuck.inside;
    await subscription.stop();
    say(`stopped, running ${subscription.running}`);
  },

  // kafkajs consumer and engine service: two disconnect() calls at once both resolve.
  twice: async () => {
    const consumer = kafkajs().consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await Promise.all([consumer.disconnect(), consumer.disconnect()]);
    say('consumer disconnected twice');
    const service = new KafkaService({ brokers, logger: quiet });
    await service.subscribe({ groupId: `${groupId}-engine`, topics: [topic] }, { eachMessage: async () => {} });
    await Promise.all([service.disconnect(), service.disconnect()]);
    say('service disconnected twice');
  },

  // Engine: the brokers go away under a running subscription that has just processed a message
  // (its offset is stored, auto-commit runs every 5 s); disconnect() still ends (librdkafka's
  // synchronous commit waits for the group coordinator without end).
  'brokers-gone': async () => {
    const mock = MockCluster.start({ brokers: 3 });
    mock.createTopic('gone', 2, 1);
    const service = new KafkaService({ brokers: mock.bootstrapServers, logger: quiet });
    await service.connect();
    await service.publish('gone', { value: 'x' });
    let handled = 0;
    await service.subscribe({ groupId, topics: ['gone'], fromBeginning: true }, { eachMessage: async () => void (handled += 1) });
    while (handled < 1) await sleep(50);
    mock.close();
    say('brokers gone');
    await service.disconnect({ timeoutMs: 1000 });
    say('disconnected');
  },
};

runScenario(scenarios);
