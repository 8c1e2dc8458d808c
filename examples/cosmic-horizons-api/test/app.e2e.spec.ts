// The API end to end (supertest): POST /jobs publishes a job's lifecycle, the event-processor
// group consumes it, GET /events/stats shows it, GET /health reports Kafka through terminus.

import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Partitioners } from 'kafkajs';
import { KafkaService } from '@cosmic-horizons/kafka-native';
import { AppModule } from '../src/app/app.module';
import type { ProcessedEvent } from '../src/app/modules/events/event-log.service';
import { useTestKafka, waitFor } from './kafka-env';

const kafka = useTestKafka();
let app: INestApplication;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.init();
});

afterAll(async () => {
  await app?.close();
});

async function recent(): Promise<ProcessedEvent[]> {
  const res = await request(app.getHttpServer()).get('/events/stats').expect(200);
  return res.body.recent as ProcessedEvent[];
}

test('POST /jobs publishes the lifecycle keyed by job id; the event-processor group consumes it in order', async () => {
  const res = await request(app.getHttpServer()).post('/jobs').send({ name: 'imaging', userId: 'u-1' }).expect(202);
  const { jobId, correlationId, partition, events } = res.body as { jobId: string; correlationId: string; partition: number; events: Array<{ partition: number; offset: number }> };
  expect(events).toHaveLength(4);
  expect(new Set(events.map((e) => e.partition))).toEqual(new Set([partition]));
  const offsets = events.map((e) => e.offset);
  expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);

  // The partition kafkajs' default partitioner would have chosen for this key (3 partitions).
  const kafkajsPartition = Partitioners.DefaultPartitioner()({
    topic: 'job-lifecycle',
    partitionMetadata: [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] })),
    message: { key: jobId, value: null },
  });
  expect(partition).toBe(kafkajsPartition);

  const seen = await waitFor(async () => {
    const mine = (await recent()).filter((e) => e.correlationId === correlationId || e.key === jobId);
    return new Set(mine.map((e) => e.topic)).size === 4 && mine.filter((e) => e.topic === 'job-lifecycle').length === 4 ? mine : null;
  }, 60000, 'the job events in /events/stats');
  expect(seen.filter((e) => e.topic === 'job-lifecycle').map((e) => e.eventType)).toEqual(['job.submitted', 'job.queued', 'job.running', 'job.completed']);
  expect(seen.find((e) => e.topic === 'audit-trail')).toMatchObject({ key: jobId, eventType: 'audit.job_submitted', correlationId });
  expect(seen.find((e) => e.topic === 'notifications')).toMatchObject({ key: null, correlationId });

  const stats = (await request(app.getHttpServer()).get('/events/stats').expect(200)).body;
  expect(stats.state).toBe('connected');
  expect(stats.published['job-lifecycle']).toBeGreaterThanOrEqual(4);
  expect(stats.processed['job-lifecycle']).toBeGreaterThanOrEqual(4);
  expect(stats.subscriptions).toBe(1);
  expect(stats.producer.failed).toBe(0);
});

test('POST /jobs rejects a malformed body', async () => {
  await request(app.getHttpServer()).post('/jobs').send({ steps: [1, 2] }).expect(400);
});

test('GET /health reports Kafka up through terminus', async () => {
  const res = await request(app.getHttpServer()).get('/health').expect(200);
  expect(res.body.status).toBe('ok');
  expect(res.body.info.kafka).toMatchObject({ status: 'up', brokers: expect.any(Number) });
  expect(res.body.info.kafka.subscribers).toEqual({ total: 1, stopped: [] });
});

test('GET /health turns 503 when no broker answers (embedded cluster only)', async () => {
  if (!kafka.mock) return;
  for (const id of [1, 2, 3]) kafka.mock.brokerDown(id);
  try {
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.error.kafka.status).toBe('down');
  } finally {
    for (const id of [1, 2, 3]) kafka.mock.brokerUp(id);
  }
});

test('closing the application flushes and disconnects the client', async () => {
  const service = app.get(KafkaService);
  await app.close();
  expect(service.stats().state).toBe('disconnected');
  app = undefined as unknown as INestApplication;
});
