'use strict';

// The kafkajs facade's consumer: kafkajs payloads (eachMessage, eachBatch), RegExp topics,
// pause / resume, retries and kafkajs' crash-and-restart, manual commits, and what is refused.
//
// Tests where a group is joined again use a 6 s session timeout: on the mock cluster a new member
// waits for the previous member's session to expire (see ts/INTEGRATION.md).

const { kafkajs, useKafkajs, waitFor, sleep, uniqueName } = require('./helpers');

const cluster = useKafkajs();

async function produce(kafka, topic, messages) {
  const producer = cluster.track(kafka.producer());
  await producer.connect();
  await producer.send({ topic, messages });
  return producer;
}

async function consumer(kafka, topics, config = {}, fromBeginning = true) {
  const c = cluster.track(kafka.consumer({ groupId: uniqueName('g'), ...config }));
  await c.connect();
  await c.subscribe({ topics, fromBeginning });
  return c;
}

test('eachMessage receives kafkajs EachMessagePayload', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('each', 2);
  await produce(kafka, topic, [
    { key: 'job-1', value: '{"a":1}', headers: { 'correlation-id': 'c-1' } },
    { value: 'no key' },
  ]);
  const c = await consumer(kafka, [topic], { sessionTimeout: 10000 });
  const got = [];
  await c.run({ partitionsConsumedConcurrently: 2, eachMessage: async (p) => void got.push(p) });
  await waitFor(() => got.length === 2, 30000, 'two messages');
  const keyed = got.find((p) => p.message.key !== null);
  expect(keyed).toMatchObject({ topic, partition: expect.any(Number) });
  expect(keyed.message.key.toString()).toBe('job-1');
  expect(JSON.parse(keyed.message.value.toString())).toEqual({ a: 1 });
  expect(keyed.message.headers['correlation-id'].toString()).toBe('c-1');
  expect(keyed.message.offset).toBe('0');
  expect(keyed.message.timestamp).toMatch(/^\d+$/);
  expect(typeof keyed.heartbeat).toBe('function');
  await keyed.heartbeat();
  expect(typeof keyed.pause).toBe('function');
  expect(got.find((p) => p.message.key === null).message.value.toString()).toBe('no key');
  await c.stop();
});

test('eachBatch receives kafkajs EachBatchPayload, with START/END_BATCH_PROCESS around each batch', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('batch', 1);
  await produce(kafka, topic, ['a', 'b', 'c'].map((value) => ({ value })));
  const c = await consumer(kafka, [topic]);
  const batchEvents = [];
  c.on(c.events.START_BATCH_PROCESS, (e) => batchEvents.push(e));
  c.on(c.events.END_BATCH_PROCESS, (e) => batchEvents.push(e));
  const batches = [];
  await c.run({
    eachBatch: async (payload) => {
      const { batch } = payload;
      batches.push({
        offsets: batch.messages.map((m) => m.offset),
        first: batch.firstOffset(),
        last: batch.lastOffset(),
        empty: batch.isEmpty(),
        highWatermark: batch.highWatermark,
        lag: batch.offsetLag(),
        running: payload.isRunning(),
        stale: payload.isStale(),
      });
      for (const m of batch.messages) payload.resolveOffset(m.offset);
      expect(payload.uncommittedOffsets().topics[0].partitions[0].offset).toBe(String(Number(batch.lastOffset()) + 1));
      await payload.heartbeat();
      await payload.commitOffsetsIfNecessary();
    },
  });
  await waitFor(() => batches.flatMap((b) => b.offsets).length === 3, 30000, 'three messages');
  expect(batches.flatMap((b) => b.offsets)).toEqual(['0', '1', '2']);
  expect(batches[0]).toMatchObject({ first: batches[0].offsets[0], empty: false, running: true, stale: false });
  expect(batches[0].highWatermark).toMatch(/^\d+$/);
  expect(batches[0].lag).toMatch(/^\d+$/);
  await waitFor(() => batchEvents.length === batches.length * 2, 30000, 'an END_BATCH_PROCESS per batch');
  expect(batchEvents[0]).toMatchObject({
    type: 'consumer.start_batch_process',
    payload: { topic, partition: 0, batchSize: batches[0].offsets.length, firstOffset: '0', lastOffset: batches[0].last },
  });
  expect(batchEvents[1]).toMatchObject({ type: 'consumer.end_batch_process', payload: { topic, firstOffset: '0', duration: expect.any(Number) } });
  // The handler may still be in commitOffsetsIfNecessary: stopping must not wait for it.
  const started = Date.now();
  await c.disconnect();
  expect(Date.now() - started).toBeLessThan(5000);
});

test('a RegExp subscription matches the cluster topics at run()', async () => {
  const kafka = cluster.kafka();
  const prefix = uniqueName('regex');
  const t1 = `${prefix}-one`;
  const t2 = `${prefix}-two`;
  cluster.mock.createTopic(t1, 1, 1);
  cluster.mock.createTopic(t2, 1, 1);
  await produce(kafka, t1, [{ value: '1' }]);
  await produce(kafka, t2, [{ value: '2' }]);
  const c = cluster.track(kafka.consumer({ groupId: uniqueName('g') }));
  await c.connect();
  await c.subscribe({ topic: new RegExp(`^${prefix}-`), fromBeginning: true });
  const got = [];
  await c.run({ eachMessage: async (p) => void got.push(p.topic) });
  await waitFor(() => got.length === 2, 30000, 'both topics');
  expect(got.sort()).toEqual([t1, t2]);
  await c.stop();
});

test('pause stops delivery until resume; payload.pause() pauses one partition', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('pause', 2);
  const producer = await produce(kafka, topic, [{ value: 'first', partition: 0 }]);
  const c = await consumer(kafka, [topic]);
  const got = [];
  let resumePartition;
  await c.run({
    partitionsConsumedConcurrently: 2,
    eachMessage: async (p) => {
      got.push(`${p.partition}:${p.message.value}`);
      if (p.message.value.toString() === 'pause-me') resumePartition = p.pause();
    },
  });
  await waitFor(() => got.length === 1, 30000, 'first message');

  c.pause([{ topic }]);
  expect(c.paused()).toEqual([{ topic, partitions: [0, 1] }]);
  await producer.send({ topic, messages: [{ value: 'while-paused', partition: 1 }] });
  await sleep(1500);
  expect(got).toEqual(['0:first']);
  c.resume([{ topic }]);
  await waitFor(() => got.length === 2, 30000, 'message after resume');
  expect(c.paused()).toEqual([]);

  await producer.send({ topic, messages: [{ value: 'pause-me', partition: 0 }] });
  await waitFor(() => resumePartition, 30000, 'payload.pause()');
  await producer.send({ topic, messages: [{ value: 'held', partition: 0 }, { value: 'other', partition: 1 }] });
  await waitFor(() => got.includes('1:other'), 30000, 'the other partition goes on');
  await sleep(500);
  expect(got).not.toContain('0:held');
  resumePartition();
  await waitFor(() => got.includes('0:held'), 30000, 'held message after resume');
  await c.stop();
});

test('a failing handler is retried; once retries run out the consumer crashes and, by default, restarts', async () => {
  const { KafkaJSNumberOfRetriesExceeded } = kafkajs();
  const kafka = cluster.kafka();
  const topic = cluster.topic('retry', 1);
  await produce(kafka, topic, [{ value: 'flaky' }, { value: 'poison' }]);

  let flakyCalls = 0;
  const seen = [];
  const crashes = [];
  const restarting = await consumer(kafka, [topic], { sessionTimeout: 6000, retry: { retries: 1, initialRetryTime: 20 } });
  restarting.on(restarting.events.CRASH, (e) => crashes.push(e.payload));
  await restarting.run({
    eachMessage: async ({ message }) => {
      const value = message.value.toString();
      seen.push(value);
      if (value === 'flaky' && ++flakyCalls === 1) throw new Error('transient');
      if (value === 'poison') throw new Error('always fails');
    },
  });
  await waitFor(() => crashes.length >= 2, 30000, 'two crashes (kafkajs restarts after a crash)');
  expect(seen.filter((v) => v === 'flaky')).toEqual(['flaky', 'flaky']);
  expect(seen.filter((v) => v === 'poison').length).toBeGreaterThanOrEqual(4);
  expect(crashes[0].error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
  expect(crashes[0].error.code).toBe('ERR_HANDLER_FAILED');
  expect(crashes[0].error.originalError.message).toBe('always fails');
  expect(crashes[0].error.cause.name).toBe('KafkaNativeError');
  expect(crashes[0].restart).toBe(true);
  await restarting.stop();

  const giveUp = await consumer(kafka, [topic], { retry: { retries: 0, restartOnFailure: async () => false } });
  const final = [];
  giveUp.on(giveUp.events.CRASH, (e) => final.push(e.payload));
  await giveUp.run({ eachMessage: async ({ message }) => { if (message.value.toString() === 'poison') throw new Error('no'); } });
  await waitFor(() => final.length === 1, 30000, 'the crash');
  expect(final[0].restart).toBe(false);
  await sleep(500);
  expect(final).toHaveLength(1);
});

test('autoCommit: false commits only on commitOffsets; the group resumes after it', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('commit', 1);
  await produce(kafka, topic, ['a', 'b', 'c'].map((value) => ({ value })));
  const groupId = uniqueName('manual');
  const first = cluster.track(kafka.consumer({ groupId, sessionTimeout: 6000 }));
  await first.connect();
  await first.subscribe({ topic, fromBeginning: true });
  const got = [];
  await first.run({
    autoCommit: false,
    eachMessage: async ({ message }) => void got.push(message.value.toString()),
  });
  await waitFor(() => got.length === 3, 30000, 'three messages');
  await sleep(200);
  await first.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await first.disconnect();

  const producer = await produce(kafka, topic, [{ value: 'd' }]);
  await producer.disconnect();
  const second = cluster.track(kafka.consumer({ groupId, sessionTimeout: 6000 }));
  await second.connect();
  await second.subscribe({ topic, fromBeginning: true });
  const later = [];
  await second.run({ eachMessage: async ({ message }) => void later.push(message.value.toString()) });
  await waitFor(() => later.length >= 1, 30000, 'the message after the commit');
  await sleep(300);
  expect(later).toEqual(['d']);
});

test('COMMIT_OFFSETS follows each commit, auto or commitOffsets; HEARTBEAT each heartbeat sent; FETCH_START and FETCH each poll round that delivered', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('reports', 1);
  await (await produce(kafka, topic, ['a', 'b', 'c'].map((value) => ({ value })))).disconnect();
  const auto = await consumer(kafka, [topic], { sessionTimeout: 10000, heartbeatInterval: 300 });
  const fetchStarts = [];
  const fetches = [];
  auto.on(auto.events.FETCH_START, (e) => fetchStarts.push(e));
  auto.on(auto.events.FETCH, (e) => fetches.push(e));
  const got = [];
  await auto.run({ autoCommitInterval: 300, eachMessage: async ({ message }) => void got.push(message.offset) });
  // Listeners added after run() hear the commits and heartbeats too.
  const commits = [];
  auto.on(auto.events.COMMIT_OFFSETS, (e) => commits.push(e));
  const heartbeats = [];
  auto.on(auto.events.HEARTBEAT, (e) => heartbeats.push(e));
  await waitFor(() => got.length === 3, 30000, 'three messages');
  const wrote = (events, offset) => events.some((e) => e.payload.topics.some((t) => t.topic === topic && t.partitions.some((p) => p.offset === offset)));
  await waitFor(() => wrote(commits, '3'), 30000, 'the auto-commit past the three messages');
  const commit = commits.find((e) => wrote([e], '3'));
  expect(commit).toMatchObject({
    type: 'consumer.commit_offsets',
    id: expect.any(String),
    timestamp: expect.any(Number),
    payload: {
      groupId: expect.any(String),
      memberId: expect.stringMatching(/./),
      groupGenerationId: expect.any(Number),
      topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }],
    },
  });
  expect(commit.payload.groupGenerationId).toBeGreaterThanOrEqual(1);
  expect(Object.keys(commit.payload).sort()).toEqual(['groupGenerationId', 'groupId', 'memberId', 'topics']);
  await waitFor(() => heartbeats.length >= 2, 30000, 'two heartbeats');
  expect(heartbeats[0]).toMatchObject({ type: 'consumer.heartbeat', payload: { groupId: commit.payload.groupId, memberId: commit.payload.memberId } });
  expect(Object.keys(heartbeats[0].payload).sort()).toEqual(['groupGenerationId', 'groupId', 'memberId']);
  expect(heartbeats[heartbeats.length - 1].payload.groupGenerationId).toBe(commit.payload.groupGenerationId);
  // The rounds that handed the messages on, each from a broker, as kafkajs' per-broker fetches.
  const delivering = fetches.filter((e) => e.payload.numberOfBatches > 0);
  expect(delivering.length).toBeGreaterThanOrEqual(1);
  expect(delivering[0]).toMatchObject({ type: 'consumer.fetch', payload: { numberOfBatches: expect.any(Number), duration: expect.any(Number), nodeId: expect.any(Number) } });
  expect(delivering.every((e) => e.payload.nodeId >= 0 && e.payload.duration >= 0)).toBe(true);
  expect(fetchStarts.map((e) => e.payload)).toEqual(fetches.map((e) => ({ nodeId: e.payload.nodeId })));
  expect(fetchStarts[0].type).toBe('consumer.fetch_start');
  await auto.stop();

  // Without autoCommit the only commits are commitOffsets'; the same events follow them.
  const manual = await consumer(kafka, [topic], { sessionTimeout: 10000 });
  const manualCommits = [];
  manual.on(manual.events.COMMIT_OFFSETS, (e) => manualCommits.push(e));
  const seen = [];
  await manual.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.offset) });
  await waitFor(() => seen.length === 3, 30000, 'three messages');
  await sleep(300);
  expect(manualCommits).toEqual([]);
  await manual.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await waitFor(() => wrote(manualCommits, '3'), 30000, "commitOffsets' commit");
  expect(manualCommits).toHaveLength(1);
  await manual.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await sleep(300);
  expect(manualCommits).toHaveLength(1);
  await manual.stop();
});

test('misuse and unsupported features throw kafkajs errors naming them', async () => {
  const { KafkaJSNonRetriableError, KafkaJSNotImplemented, PartitionAssigners } = kafkajs();
  const kafka = cluster.kafka();
  expect(() => kafka.consumer({})).toThrow(KafkaJSNonRetriableError);
  expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: [() => ({})] })).not.toThrow();
  expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: 'range' })).toThrow(KafkaJSNonRetriableError);
  expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: [PartitionAssigners.roundRobin] })).not.toThrow();
  const topic = cluster.topic('misuse', 1);
  const c = await consumer(kafka, [topic]);
  expect(() => c.on(c.events.RECEIVED_UNSUBSCRIBED_TOPICS, () => {})).not.toThrow();
  c.on(c.events.RECEIVED_UNSUBSCRIBED_TOPICS, () => {});
  c.on(c.events.HEARTBEAT, () => {});
  // An event the engine cannot emit says so (once), and so does a custom assigner that is not run.
  const { logLevel } = kafkajs();
  const said = (pattern) => cluster.kafkaLogs.filter((e) => pattern.test(e.log.message));
  expect(said(/consumer\.received_unsubscribed_topics is never emitted/)).toEqual([expect.objectContaining({ namespace: 'Consumer', level: logLevel.WARN })]);
  expect(said(/consumer\.heartbeat is never emitted/)).toEqual([]);
  expect(said(/custom assigner's protocol\(\) and assign\(\) are not called/)).toHaveLength(1);
  expect(() => c.on('consumer.nope', () => {})).toThrow(KafkaJSNonRetriableError);
  await expect(c.subscribe({ topic, fromBeginning: false })).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED', feature: expect.stringContaining('fromBeginning') });
  await expect(c.run({ eachMessage: async () => {}, autoCommitThreshold: 10 })).rejects.toThrow(KafkaJSNotImplemented);
  await expect(c.run({ eachBatch: async () => {}, eachBatchAutoResolve: false })).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED', feature: 'eachBatchAutoResolve: false' });
  await c.run({ eachMessage: async () => {} });
  await expect(c.subscribe({ topic })).rejects.toMatchObject({ code: 'ERR__STATE' });
  expect(() => c.seek({ topic, partition: 0, offset: 'x' })).toThrow(KafkaJSNonRetriableError);
  expect(() => c.seek({ topic, partition: 0, offset: '-3' })).toThrow(KafkaJSNonRetriableError);
  await c.disconnect();
});

test('seek() replays a partition from an offset; a batch running across it is stale', async () => {
  const { KafkaJSNonRetriableError } = kafkajs();
  const kafka = cluster.kafka();
  const topic = cluster.topic('seek', 1);
  await (await produce(kafka, topic, ['a', 'b', 'c', 'd'].map((value) => ({ value })))).disconnect();
  const c = await consumer(kafka, [topic]);
  expect(() => c.seek({ topic, partition: 0, offset: '1' })).toThrow(KafkaJSNonRetriableError);
  const got = [];
  let stale;
  let seekInBatch = true;
  await c.run({
    eachBatch: async ({ batch, isStale }) => {
      got.push(...batch.messages.map((m) => Number(m.offset)));
      if (seekInBatch && got.length >= 4) {
        seekInBatch = false;
        c.seek({ topic, partition: 0, offset: '1' });
        await waitFor(() => isStale(), 30000, 'the batch going stale');
        stale = true;
      }
    },
  });
  await waitFor(() => got.length >= 7, 30000, 'offsets 1-3 again');
  expect(stale).toBe(true);
  expect(got.slice(4, 7)).toEqual([1, 2, 3]);
  await c.disconnect();
});

test('run({kafkaNative: {retry}}) moves a failing message along the engine retry ladder into the dead-letter topic', async () => {
  const kafka = cluster.kafka();
  const topic = cluster.topic('ladder', 1);
  const step = cluster.topic('ladder-step', 1);
  const dlq = cluster.topic('ladder-dlq', 1);
  await produce(kafka, topic, [{ key: 'k', value: 'poison' }, { key: 'k', value: 'fine' }]);
  const calls = [];
  const c = await consumer(kafka, [topic], { retry: { retries: 0 } });
  await c.run({
    eachMessage: async ({ topic: t, message }) => {
      calls.push([t, message.value.toString()]);
      if (message.value.toString() === 'poison') throw new Error('poison');
    },
    kafkaNative: { retry: { delays: [50], topics: [step], deadLetterTopic: dlq } },
  });
  const dead = [];
  const reader = await consumer(kafka, [dlq]);
  await reader.run({ eachMessage: async ({ message }) => void dead.push(message) });
  await waitFor(() => dead.length === 1, 30000, 'the dead letter');
  expect(calls).toEqual([[topic, 'poison'], [topic, 'fine'], [step, 'poison']]);
  expect(dead[0].headers['x-original-topic'].toString()).toBe(topic);
  expect(dead[0].headers['x-attempts'].toString()).toBe('2');
  await reader.stop();
  await c.stop();
});
