import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { KafkaService, SchemaRegistry, type PublishResult } from '@cosmic-horizons/kafka-native';
import { avro } from '@cosmic-horizons/kafka-native/schemas';
import type { EventBase } from '../../../event-models';
import { KAFKA_TOPICS } from './kafka/topics';

type Message = { key?: string; value: unknown; headers: Record<string, string> };

/**
 * Publishes the API's durable events (the seeds' KafkaService, on the native client):
 * job lifecycle and metrics keyed by job id, notifications unkeyed, audit events keyed by resource.
 * Values are JSON text or, when the app has a Schema Registry (`SCHEMA_REGISTRY_URL`), Avro in the
 * Confluent wire format: the shipped schemas are registered at start-up (`<topic>-value`; the
 * same schema again gets the same id) and the engine encodes each event object off the JS thread.
 */
@Injectable()
export class EventsService implements OnModuleInit {
  private readonly logger = new Logger(EventsService.name);
  private readonly published = new Map<string, number>();
  /** Registry id of each topic's schema, with a registry. */
  private readonly schemaIds = new Map<string, number>();

  constructor(
    private readonly kafka: KafkaService,
    // Null without `schemaRegistry` in the module's options (no SCHEMA_REGISTRY_URL).
    @Inject(SchemaRegistry) private readonly registry: SchemaRegistry | null,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.registry) return;
    for (const topic of Object.values(KAFKA_TOPICS)) {
      const id = await this.registry.register(`${topic.name}-value`, avro[topic.schema]);
      this.schemaIds.set(topic.name, id);
      this.logger.log(`${topic.name}: Avro, schema id ${id}`);
    }
  }

  /** How values are written: `json`, or `avro` through the registry. */
  encoding(): 'json' | 'avro' {
    return this.registry ? 'avro' : 'json';
  }

  /** Keyed by job id: every event of a job lands on one partition, in order. */
  async publishJobLifecycleEvent(event: EventBase, jobId: string): Promise<PublishResult> {
    const result = await this.send(KAFKA_TOPICS.JOB_LIFECYCLE.name, {
      key: jobId,
      value: event,
      headers: {
        'correlation-id': event.correlation_id,
        timestamp: event.timestamp,
      },
    });
    this.logger.debug(`Job lifecycle event published: ${event.event_type} (partition: ${result.partition})`);
    return result;
  }

  async publishJobMetrics(metrics: Record<string, unknown>, jobId: string): Promise<PublishResult> {
    return this.send(KAFKA_TOPICS.JOB_METRICS.name, {
      key: jobId,
      value: metrics,
      headers: { timestamp: new Date().toISOString() },
    });
  }

  async publishNotificationEvent(event: EventBase): Promise<PublishResult> {
    return this.send(KAFKA_TOPICS.NOTIFICATIONS.name, {
      value: event,
      headers: {
        'correlation-id': event.correlation_id,
        timestamp: event.timestamp,
      },
    });
  }

  async publishAuditEvent(event: EventBase, resourceId: string): Promise<PublishResult> {
    return this.send(KAFKA_TOPICS.AUDIT_TRAIL.name, {
      key: resourceId,
      value: event,
      headers: {
        'correlation-id': event.correlation_id,
        timestamp: event.timestamp,
        'resource-id': resourceId,
      },
    });
  }

  publishedCounts(): Record<string, number> {
    return Object.fromEntries(this.published);
  }

  private async send(topic: string, message: Message): Promise<PublishResult> {
    try {
      const id = this.schemaIds.get(topic);
      const result =
        id === undefined
          ? await this.kafka.publish(topic, { ...message, value: JSON.stringify(message.value), headers: { 'content-type': 'application/json', ...message.headers } })
          : await this.kafka.publish(topic, { ...message, headers: { 'content-type': 'avro/binary', ...message.headers } }, { schema: { id } });
      this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
      return result;
    } catch (error) {
      this.logger.error(`Failed to publish to ${topic}`, error instanceof Error ? error.stack : String(error));
      throw error;
    }
  }
}
