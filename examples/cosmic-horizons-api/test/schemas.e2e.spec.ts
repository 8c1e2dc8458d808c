// The API through a Schema Registry (runs when SCHEMA_REGISTRY_URL is set; scripts/test-schemas.sh
// of the repository starts Apicurio Registry and runs it): the events are Avro in the Confluent
// wire format, registered from the shipped schemas, and the event-processor group receives them
// decoded; a value that is not framed goes to the dead-letter topic at once, bytes intact.

import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { KafkaService, SchemaRegistry } from '@cosmic-horizons/kafka-native';
import { avro, type JobLifecycleEvent } from '@cosmic-horizons/kafka-native/schemas';
import { Kafka, logLevel, type KafkaMessage } from '@cosmic-horizons/kafka-native/kafkajs';
import { AppModule } from '../src/app/app.module';
import type { ProcessedEvent } from '../src/app/modules/events/event-log.service';
import { DEAD_LETTER_TOPIC, useTestKafka, waitFor } from './kafka-env';

const registryUrl = process.env.SCHEMA_REGISTRY_URL;
const withRegistry = registryUrl ? describe : describe.skip;

withRegistry('with SCHEMA_REGISTRY_URL', () => {
  const kafka = useTestKafka();
  let app: INestApplication;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    registry = new SchemaRegistry({ url: registryUrl! });
  });

  afterAll(async () => {
    await app?.close();
  });

  async function recent(): Promise<ProcessedEvent[]> {
    const res = await request(app.getHttpServer()).get('/events/stats').expect(200);
    return res.body.recent as ProcessedEvent[];
  }

  /** Every message of `topic` until `done` holds for what was read, read by a group of its own. */
  async function readTopic(topic: string, done: (messages: KafkaMessage[]) => boolean): Promise<KafkaMessage[]> {
    const consumer = new Kafka({ clientId: 'schemas-e2e', brokers: kafka.brokers.split(','), logLevel: logLevel.WARN }).consumer({
      groupId: `schemas-e2e-${topic}-${Date.now()}`,
    });
    const messages: KafkaMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
      return await waitFor(() => (done(messages) ? messages : null), 60000, `messages of ${topic}`);
    } finally {
      await consumer.disconnect();
    }
  }

  test('events are registered Avro: framed with the schema id, decoded for the event-processor group', async () => {
    const stats = (await request(app.getHttpServer()).get('/events/stats').expect(200)).body;
    expect(stats.encoding).toBe('avro');
    // Registering the shipped schema again gives the id the app registered and publishes with.
    const lifecycleId = await registry.register('job-lifecycle-value', avro['job-lifecycle']);

    const res = await request(app.getHttpServer()).post('/jobs').send({ name: 'imaging', userId: 'u-avro' }).expect(202);
    const { jobId, correlationId } = res.body as { jobId: string; correlationId: string };

    const seen = await waitFor(async () => {
      const mine = (await recent()).filter((e) => e.correlationId === correlationId || e.key === jobId);
      return new Set(mine.map((e) => e.topic)).size === 4 && mine.filter((e) => e.topic === 'job-lifecycle').length === 4 ? mine : null;
    }, 60000, 'the job events in /events/stats');
    const lifecycle = seen.filter((e) => e.topic === 'job-lifecycle');
    expect(lifecycle.map((e) => e.eventType)).toEqual(['job.submitted', 'job.queued', 'job.running', 'job.completed']);
    expect(new Set(lifecycle.map((e) => e.schemaId))).toEqual(new Set([lifecycleId]));
    for (const e of seen) expect(e.schemaId).toEqual(expect.any(Number));

    // On the wire: magic byte 0, the 4-byte big-endian id, the Avro body; any Confluent client
    // decodes it with the registry.
    const raw = await readTopic('job-lifecycle', (ms) => ms.filter((m) => m.key?.toString() === jobId).length === 4);
    const mine = raw.filter((m) => m.key?.toString() === jobId);
    for (const m of mine) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readUInt32BE(1)).toBe(lifecycleId);
      expect(String(m.headers?.['content-type'])).toBe('avro/binary');
    }
    const first = await registry.decode(mine[0].value!);
    expect(first.schemaId).toBe(lifecycleId);
    expect(first.value as JobLifecycleEvent).toMatchObject({
      event_type: 'job.submitted',
      correlation_id: correlationId,
      user_id: 'u-avro',
      payload: { job_id: jobId, name: 'imaging' },
    });
  });

  test('a value that is not framed goes to the dead-letter topic at once, and processing goes on', async () => {
    const service = app.get(KafkaService);
    const marker = `not-avro-${Date.now()}`;
    await service.publish('job-lifecycle', { key: marker, value: JSON.stringify({ event_type: 'job.submitted' }) });

    const dead = await readTopic(DEAD_LETTER_TOPIC, (ms) => ms.some((m) => m.key?.toString() === marker));
    const letter = dead.find((m) => m.key?.toString() === marker)!;
    expect(letter.value!.toString()).toBe(JSON.stringify({ event_type: 'job.submitted' }));
    expect(String(letter.headers?.['x-error-code'])).toBe('ERR_SCHEMA_DECODE');
    expect(String(letter.headers?.['x-original-topic'])).toBe('job-lifecycle');
    expect((await recent()).some((e) => e.key === marker)).toBe(false);

    const res = await request(app.getHttpServer()).post('/jobs').send({ name: 'after' }).expect(202);
    const { jobId } = res.body as { jobId: string };
    await waitFor(async () => (await recent()).filter((e) => e.key === jobId && e.topic === 'job-lifecycle').length === 4, 60000, 'the next job');
  });
});
