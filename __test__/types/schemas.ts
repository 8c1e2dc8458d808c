// Compiled with `tsc --noEmit` by the test command: the schema surface (SchemaRegistry, publish
// with {schema}, decoding subscriptions, the shipped schemas' generated types) as users write it.
import { KafkaNativeError, KafkaService, SchemaRegistry, type DecodedValue, type RegisteredSchema } from '../../index';
import { avro, jsonSchema, type JobLifecycleEvent, type SchemaTypes, type SystemHealthEvent } from '../../schemas';

async function schemas(): Promise<void> {
  const registry = new SchemaRegistry({ url: 'http://127.0.0.1:18081/apis/ccompat/v7', retries: 1, timeoutMs: 2000 });
  const id: number = await registry.register('job-lifecycle-value', avro['job-lifecycle']);
  await registry.register('telemetry-value', jsonSchema['element-telemetry'], 'JSON');
  const latest: RegisteredSchema = await registry.getVersion('job-lifecycle-value', 'latest');
  const ok: boolean = await registry.isCompatible('job-lifecycle-value', latest.schema, 'AVRO', 1);
  await registry.setCompatibility('BACKWARD', 'job-lifecycle-value');

  const event: JobLifecycleEvent = {
    event_id: 'e',
    event_type: 'job.submitted',
    timestamp: new Date().toISOString(),
    correlation_id: 'c',
    user_id: 'u',
    schema_version: 1,
    payload: { job_id: 'job-1', status: 'queued' },
  };
  const framed: Buffer = await registry.encode({ id }, event);
  const decoded: DecodedValue = await registry.decode(framed, { readerSchema: avro['job-lifecycle'] });
  const health: SchemaTypes['system-health'] = { component: 'kafka', status: 'HEALTHY', timestamp: 't' };
  const same: SystemHealthEvent = health;

  const kafka = new KafkaService({ brokers: '127.0.0.1:9092' });
  kafka.useSchemaRegistry(registry);
  await kafka.publish('job-lifecycle', { key: 'job-1', value: event }, { schema: { subject: 'job-lifecycle-value', version: 'latest' } });
  const results = await kafka.publishBatch('job-lifecycle', [{ value: event }], { schema: { id } });
  const failed = results.filter((r) => r.error instanceof KafkaNativeError && r.error.code === 'ERR_SCHEMA_VALIDATION');
  await kafka.subscribe({ groupId: 'g', topics: ['job-lifecycle'], decode: { readerSchema: avro['job-lifecycle'] } }, async ({ message }) => {
    const value = message.decoded as JobLifecycleEvent;
    const writer: number | undefined = message.schemaId;
    void value;
    void writer;
  });
  void [ok, decoded, same, failed];
}

void schemas;
