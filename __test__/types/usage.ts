// Compiled with `tsc --noEmit` by the test command: the package's TypeScript surface, used the way
// a NestJS service would use it. A change to index.d.ts that breaks this breaks users.
import {
  KafkaNativeError,
  KafkaService,
  MockCluster,
  type BatchPublishResult,
  type EachBatchPayload,
  type EachMessagePayload,
  type KafkaConfig,
  type PartitionOffset,
  type PublishResult,
  type ServiceStats,
  type Subscription,
} from '../../index';

async function main(): Promise<void> {
  const mock: MockCluster = MockCluster.start({ brokers: 3 });
  mock.createTopic('job-lifecycle', 3, 1);

  const config: KafkaConfig = {
    brokers: mock.bootstrapServers,
    clientId: 'cosmic-horizons-api',
    producer: { compression: 'gzip', lingerMs: 5, idempotent: true, acks: -1 },
    librdkafka: { 'socket.keepalive.enable': true },
    logger: (record) => console.log(record.level, record.facility, record.message),
  };
  const kafka = new KafkaService(config);
  await kafka.connect();

  const one: PublishResult = await kafka.publish('job-lifecycle', {
    key: 'job-42',
    value: Buffer.from(JSON.stringify({ event: 'job.submitted' })),
    headers: { 'content-type': 'application/json', 'correlation-id': 'c-1' },
  });
  const offset: number = one.offset;

  const many: BatchPublishResult[] = await kafka.publishBatch('job-lifecycle', [
    { key: 'job-42', value: 'a' },
    { key: 'job-43', value: null },
  ]);
  for (const r of many) {
    if (r.error instanceof KafkaNativeError && r.error.retriable) console.log(r.error.code);
  }

  const sub: Subscription = await kafka.subscribe(
    { groupId: 'events', topics: ['job-lifecycle'], fromBeginning: true, concurrency: 3 },
    {
      eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
        const key: string | undefined = message.key?.toString();
        // Built with both fields always present: null, not absent, for no key and for a tombstone.
        const rawKey: Buffer | null = message.key;
        const rawValue: Buffer | null = message.value;
        console.log(topic, partition, message.offset, key, rawKey, rawValue?.length);
      },
    },
  );
  const batchSub = await kafka.subscribe(
    { groupId: 'metrics', topics: ['job-lifecycle'], onError: (e: KafkaNativeError) => console.error(e.code) },
    {
      eachBatch: async ({ batch, resolveOffset }: EachBatchPayload) => {
        for (const m of batch.messages) resolveOffset(m.offset);
      },
    },
  );
  sub.pause();
  sub.resume();
  const assigned: Array<{ topic: string; partition: number }> = sub.assignments();
  await sub.commit();
  await sub.stop();
  await batchSub.stop();

  const stats: ServiceStats = kafka.stats();
  const p99: number = stats.producer.ackLatency.p99;
  console.log(offset, assigned.length, p99, stats.brokers.map((b) => b.state));

  try {
    await kafka.disconnect({ timeoutMs: 5000 });
  } catch (e) {
    if (e instanceof KafkaNativeError) console.log(e.code, e.fatal, e.topic, e.partition);
  }
  mock.close();
}

void main;

// Delivery platform: the retry ladder, key ordering, dead-letter replay, tenants, drain.
import {
  KafkaAdmin,
  catalogPreset,
  drainOnSignals,
  partitionKey,
  recommendedPartitions,
  type EnsureTopicsResult,
  type ReplayReport,
  type TenantHealth,
} from '../../index';

async function delivery(service: KafkaService, admin: KafkaAdmin): Promise<void> {
  const sub: Subscription = await service.subscribe(
    {
      groupId: 'chat',
      topics: ['chat.messages.acme'],
      ordering: 'key',
      concurrency: 10,
      retry: { delays: ['1m', 300000], topics: ['internal.retry.1min', 'internal.retry.5min'], deadLetterTopic: 'internal.dlq' },
    },
    { eachMessage: async (_p: EachMessagePayload) => {} },
  );
  const report: ReplayReport = await service.replayDeadLetters({ topic: 'internal.dlq', from: 0, filter: { originalTopics: ['chat.messages.acme'] } });
  const n: number = report.replayed + report.skipped + report.failed;
  const created: EnsureTopicsResult = await admin.createTenantTopics('acme', { profile: 'prod' });
  const health: TenantHealth = await admin.tenantHealth('acme');
  const tenants: string[] = await admin.listTenants({ preset: 'caas' });
  const deleted: string[] = await admin.deleteTenantTopics('acme');
  const key: string | null | undefined = partitionKey('conversation_id', { conversationId: 'c-1' });
  const partitions: number = recommendedPartitions({ messagesPerSecond: 1000, uniqueKeys: 500, consumers: 3 });
  const templates = catalogPreset('caas', 'dev').tenantTemplates.map((t) => t.name);
  const tenantService = new KafkaService({ brokers: 'localhost:9092', tenantTemplates: 'caas' });
  const keyed: PublishResult = await tenantService.publish('chat.messages.acme', { value: '{"conversationId":"c-1"}' }, { strategy: 'conversation_id' });
  const slots: BatchPublishResult[] = await tenantService.publishBatch('chat.events.acme', [{ value: 'x', headers: { userId: 'u-1' } }], { strategy: 'user_id' });
  const uninstall: () => void = drainOnSignals(service, { timeoutMs: 10000, signals: ['SIGTERM'] });
  uninstall();
  void [sub, n, created, health, tenants, deleted, key, partitions, templates, keyed, slots];
}
void delivery;

async function maintenance(admin: KafkaAdmin): Promise<void> {
  const set: PartitionOffset[] = await admin.setOffsets('billing', [{ topic: 'orders', partition: 0, offset: 42 }], { timeoutMs: 5000 });
  const low: PartitionOffset[] = await admin.deleteRecords([{ topic: 'orders', partition: 0, offset: -1 }]);
  await admin.deleteGroups(['billing']);
  void [set, low];
}
void maintenance;
