'use strict';

// A Node process for exit.test.js: `node exit-child.js <scenario>` with KAFKA_BROKERS and
// KAFKA_TOPIC (a topic of one partition holding one message) from the parent. It prints what it
// did, one line a step, and never calls process.exit: whether it ends is what the test observes.

const { say, runScenario } = require('./scenario');
const { KafkaService, KafkaNativeError } = require('../../index.js');

const brokers = process.env.KAFKA_BROKERS;
const topic = process.env.KAFKA_TOPIC;
const groupId = process.env.KAFKA_GROUP;
const quiet = () => {};

const scenarios = {
  // A service created and never used.
  'never-connect': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    say(`created ${service.stats().state}`);
  },

  // Connected, published, and left without disconnect().
  'no-disconnect': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    await service.connect();
    const r = await service.publish(topic, { key: 'exit', value: 'from a child that never disconnects' });
    say(`published ${r.offset}`);
    const batch = await service.publishBatch(topic, [{ value: 'a' }, { value: 'b' }]);
    say(`batch ${batch.map((b) => b.offset).join(',')}`);
  },

  // Published without awaiting, then disconnect(), which delivers what is queued.
  disconnect: async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    await service.connect();
    const pending = service.publish(topic, { value: 'queued before disconnect' });
    await service.disconnect();
    const r = await pending;
    say(`delivered ${r.offset}`);
    await service.disconnect();
    say('disconnected');
  },

  // A subscription that received a message and was stopped; the service is not disconnected.
  // It has an onError on purpose: that callback, too, must let go of Node once the subscription
  // ended.
  'subscribe-stop': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    let received;
    const got = new Promise((resolve) => {
      received = resolve;
    });
    const subscription = await service.subscribe(
      { groupId, topics: [topic], fromBeginning: true, onError: (e) => say(`onError ${e.code}`) },
      { eachMessage: async ({ message }) => received(message.offset) },
    );
    say(`received ${await got}`);
    await subscription.stop();
    say(`stopped ${subscription.running}`);
  },

  // A subscription whose handler keeps failing: it stops by itself and reports through onError.
  'subscribe-fail': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    await service.subscribe(
      {
        groupId,
        topics: [topic],
        fromBeginning: true,
        retries: 1,
        retryBackoffMs: 10,
        onError: (e) => say(`onError ${e.code} ${e instanceof KafkaNativeError} ${e instanceof Error}`),
      },
      {
        eachMessage: async () => {
          throw new Error('always fails');
        },
      },
    );
    say('subscribed');
  },

  // A running subscription: a consumer, which keeps the process alive until stopped.
  'subscribe-running': async () => {
    const service = new KafkaService({ brokers, logger: quiet });
    await service.subscribe(
      { groupId, topics: [topic], fromBeginning: true },
      { eachMessage: async ({ message }) => say(`received ${message.offset}`) },
    );
    say('subscribed');
  },

  // Errors in a plain Node realm (Jest's realm has another Error class).
  'error-class': async () => {
    try {
      new KafkaService({ brokers: [] });
    } catch (e) {
      say(`config ${e.code} ${e instanceof KafkaNativeError} ${e instanceof Error}`);
    }
    const service = new KafkaService({ brokers, logger: quiet });
    await service.publish(topic, { value: 1 }).catch((e) => say(`publish ${e.code} ${e instanceof KafkaNativeError} ${e instanceof Error}`));
    await service.disconnect();
  },
};

runScenario(scenarios);
