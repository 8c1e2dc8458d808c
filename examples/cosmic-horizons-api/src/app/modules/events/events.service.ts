import { Injectable, Logger } from '@nestjs/common';
import { KafkaService, type PublishResult } from '@cosmic-horizons/kafka-native';
import type { EventBase } from '../../../event-models';
import { KAFKA_TOPICS } from './kafka/topics';

/**
 * Publishes the API's durable events (the seeds' KafkaService, on the native client):
 * job lifecycle and metrics keyed by job id, notifications unkeyed, audit events keyed by resource.
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);
  private readonly published = new Map<string, number>();

  constructor(private readonly kafka: KafkaService) {}

  /** Keyed by job id: every event of a job lands on one partition, in order. */
  async publishJobLifecycleEvent(event: EventBase, jobId: string): Promise<PublishResult> {
    const result = await this.send(KAFKA_TOPICS.JOB_LIFECYCLE.name, {
      key: jobId,
      value: JSON.stringify(event),
      headers: {
        'content-type': 'application/json',
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
      value: JSON.stringify(metrics),
      headers: { 'content-type': 'application/json', timestamp: new Date().toISOString() },
    });
  }

  async publishNotificationEvent(event: EventBase): Promise<PublishResult> {
    return this.send(KAFKA_TOPICS.NOTIFICATIONS.name, {
      value: JSON.stringify(event),
      headers: {
        'content-type': 'application/json',
        'correlation-id': event.correlation_id,
        timestamp: event.timestamp,
      },
    });
  }

  async publishAuditEvent(event: EventBase, resourceId: string): Promise<PublishResult> {
    return this.send(KAFKA_TOPICS.AUDIT_TRAIL.name, {
      key: resourceId,
      value: JSON.stringify(event),
      headers: {
        'content-type': 'application/json',
        'correlation-id': event.correlation_id,
        timestamp: event.timestamp,
        'resource-id': resourceId,
      },
    });
  }

  publishedCounts(): Record<string, number> {
    return Object.fromEntries(this.published);
  }

  private async send(topic: string, message: Parameters<KafkaService['publish']>[1]): Promise<PublishResult> {
    try {
      const result = await this.kafka.publish(topic, message);
      this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
      return result;
    } catch (error) {
      this.logger.error(`Failed to publish to ${topic}`, error instanceof Error ? error.stack : String(error));
      throw error;
    }
  }
}
