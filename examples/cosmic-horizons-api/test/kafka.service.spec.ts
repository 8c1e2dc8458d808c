// The seeds' kafkajs KafkaService (seed 000), ported with only its import changed, against the
// same cluster: connect (topic creation is best-effort, as in the seed), publish every event
// kind with the seed's headers, per-job ordering, a consumer group, stats and disconnect.

import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import type { EachMessagePayload } from '@cosmic-horizons/kafka-native/kafkajs';
import type { EventBase } from '../src/event-models';
import { KafkaService } from '../src/app/modules/events/legacy/kafka.service';
import { useTestKafka, waitFor } from './kafka-env';

const kafka = useTestKafka();
let moduleRef: TestingModule;
let service: KafkaService;

function event(type: string, correlationId: string = randomUUID()): EventBase {
  return {
    event_id: randomUUID(),
    event_type: type,
    timestamp: new Date().toISOString(),
    correlation_id: correlationId,
    user_id: 'u-1',
    schema_version: 1,
    payload: {},
  };
}

beforeAll(async () => {
  moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
    providers: [KafkaService],
  })
    .setLogger({ log: () => {}, error: () => {}, warn: () => {}, debug: () => {}, verbose: () => {} })
    .compile();
  service = moduleRef.get(KafkaService);
});

afterAll(async () => {
  await moduleRef?.close();
});

test('publishing before connect() fails as the seed intends', async () => {
  await expect(service.publishJobLifecycleEvent(event('job.submitted'), 'job-0')).rejects.toThrow('Kafka not connected');
  expect(await service.getStats()).toEqual({ connected: false });
});

test('connect() brings up producer, admin and the event-processor consumer', async () => {
  await service.connect();
  const stats = await service.getStats();
  expect(stats.connected).toBe(true);
  expect(stats.brokers).toBeGreaterThanOrEqual(1);
  if (kafka.mock) expect(stats.brokers).toBe(3);
  expect(stats.topicNames).toEqual(expect.arrayContaining(['job-lifecycle', 'job-metrics', 'notifications', 'audit-trail']));
});

test('events of one job keep their order on one partition and carry the seed headers', async () => {
  const received: EachMessagePayload[] = [];
  const groupId = `seed-test-${randomUUID()}`;
  await service.subscribe(groupId, ['job-lifecycle'], async (payload) => {
    received.push(payload);
  });
  // The seed subscribes from the latest offset: publish until the new group is assigned.
  const probe = `probe-${randomUUID()}`;
  await waitFor(async () => {
    await service.publishJobLifecycleEvent(event('job.probe', probe), probe);
    return received.some((p) => p.message.key?.toString() === probe);
  }, 60000, 'the group to be assigned');

  const jobId = `job-${randomUUID()}`;
  const correlationId = randomUUID();
  const steps = ['job.submitted', 'job.queued', 'job.running', 'job.completed'];
  for (const step of steps) await service.publishJobLifecycleEvent(event(step, correlationId), jobId);
  const mine = await waitFor(() => {
    const list = received.filter((p) => p.message.key?.toString() === jobId);
    return list.length === steps.length ? list : null;
  }, 30000, 'the job events');
  expect(mine.map((p) => JSON.parse(String(p.message.value)).event_type)).toEqual(steps);
  expect(new Set(mine.map((p) => p.partition)).size).toBe(1);
  const headers = mine[0].message.headers ?? {};
  expect(String(headers['content-type'])).toBe('application/json');
  expect(String(headers['correlation-id'])).toBe(correlationId);
  expect(String(headers.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test('metrics, notifications and audit events publish', async () => {
  await expect(service.publishJobMetrics({ cpu: 0.5 }, 'job-1')).resolves.toBeUndefined();
  await expect(service.publishNotificationEvent(event('notification.sent'))).resolves.toBeUndefined();
  await expect(service.publishAuditEvent(event('audit.login'), 'user-1')).resolves.toBeUndefined();
});

test('disconnect() closes everything; stats report disconnected', async () => {
  await service.disconnect();
  expect(await service.getStats()).toEqual({ connected: false });
});
