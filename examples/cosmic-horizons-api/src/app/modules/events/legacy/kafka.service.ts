// apps/cosmic-horizons-api/src/app/modules/events/kafka.service.ts — seed 000, ported verbatim.

import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
// The one change from the seed: kafkajs → the kafkajs facade of kafka-native. (CompressionTypes
// joins the import list: the seed uses it without importing it, which kafkajs does not compile either.)
import { Kafka, Producer, Consumer, Admin, EachMessagePayload, CompressionTypes } from '@cosmic-horizons/kafka-native/kafkajs';
import { EventBase } from '../../../../event-models'; // stands in for @cosmic-horizons/event-models

/**
 * KafkaService
 * 
 * Handles Kafka 3-broker cluster connection and durable event publishing
 * 
 * Sprint 5.2 Goals:
 * - 3-broker cluster with Zookeeper coordination
 * - Schema Registry integration (Avro schemas)
 * - 1000+ events/second throughput
 * - Topic partitioning by job_id for message ordering
 * - Consumer group management for replay capability
 * - Offset management in PostgreSQL (enable "replay from date")
 */
@Injectable()
export class KafkaService implements OnModuleDestroy {
  private readonly logger = new Logger(KafkaService.name);
  private kafka: Kafka | null = null;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private consumers: Map<string, Consumer> = new Map();
  private connected = false;

  // Topic names
  private readonly JOB_LIFECYCLE_TOPIC = 'job-lifecycle';      // 3 partitions, 30-day retention
  private readonly JOB_METRICS_TOPIC = 'job-metrics';          // 2 partitions, 7-day retention
  private readonly NOTIFICATIONS_TOPIC = 'notifications';      // 1 partition, 7-day retention
  private readonly AUDIT_TRAIL_TOPIC = 'audit-trail';          // 3 partitions, 90-day retention

  constructor(private readonly configService: ConfigService) {}

  /**
   * Connect to Kafka cluster
   * Required: KAFKA_BROKERS env var (comma-separated: localhost:9092,localhost:9093,localhost:9094)
   */
  async connect(): Promise<void> {
    this.logger.log('Connecting to Kafka cluster...');

    try {
      const brokers = this.configService.get('KAFKA_BROKERS', 'localhost:9092').split(',');
      
      this.kafka = new Kafka({
        clientId: 'cosmic-horizons-api',
        brokers: brokers.map(b => b.trim()),
        connectionTimeout: 5000,
        requestTimeout: 10000,
        retry: {
          retries: 5,
          initialRetryTime: 100,
          maxRetryTime: 1000,
        },
      });

      // Initialize producer
      this.producer = this.kafka.producer({
        transactionTimeout: 60000,
        idempotent: true, // Enable idempotent producer
        maxInFlightRequests: 5,
        compression: CompressionTypes.GZIP,
      });

      await this.producer.connect();
      this.logger.log('Kafka producer connected');

      // Initialize admin
      this.admin = this.kafka.admin();
      await this.admin.connect();
      this.logger.log('Kafka admin client connected');

      // Create topics if they don't exist
      await this.createTopics();

      // Create default consumer group for event processing
      await this.createConsumerGroup('event-processor');

      this.connected = true;
      this.logger.log('Kafka cluster connection established');
    } catch (error) {
      this.logger.error('Failed to connect to Kafka', error);
      throw error;
    }
  }

  /**
   * Create Kafka topics if they don't exist
   * Topics with different retention policies and replication factors
   */
  private async createTopics(): Promise<void> {
    if (!this.admin) throw new Error('Admin client not initialized');

    try {
      const topics = [
        {
          name: this.JOB_LIFECYCLE_TOPIC,
          numPartitions: 3,     // Partition by job_id for ordering
          replicationFactor: 3,
          configEntries: [
            { name: 'retention.ms', value: '2592000000' }, // 30 days
            { name: 'compression.type', value: 'gzip' },
            { name: 'min.insync.replicas', value: '2' },
          ],
        },
        {
          name: this.JOB_METRICS_TOPIC,
          numPartitions: 2,
          replicationFactor: 3,
          configEntries: [
            { name: 'retention.ms', value: '604800000' }, // 7 days
            { name: 'compression.type', value: 'gzip' },
          ],
        },
        {
          name: this.NOTIFICATIONS_TOPIC,
          numPartitions: 1,      // Single partition for broadcast
          replicationFactor: 3,
          configEntries: [
            { name: 'retention.ms', value: '604800000' }, // 7 days
          ],
        },
        {
          name: this.AUDIT_TRAIL_TOPIC,
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [
            { name: 'retention.ms', value: '7776000000' }, // 90 days for compliance
            { name: 'compression.type', value: 'gzip' },
            { name: 'min.insync.replicas', value: '2' },
          ],
        },
      ];

      // Create topics (will skip if already exist)
      const existingTopics = await this.admin.listTopics();
      const toCreate = topics.filter(t => !existingTopics.includes(t.name));

      if (toCreate.length > 0) {
        await this.admin.createTopics({
          topics: toCreate,
          validateOnly: false,
          timeout: 10000,
        });
        this.logger.log(`Created ${toCreate.length} topics`);
      } else {
        this.logger.log('All topics already exist');
      }
    } catch (error) {
      this.logger.warn('Failed to create topics (may already exist)', error);
      // Non-fatal - topics may already exist
    }
  }

  /**
   * Publish a job lifecycle event to Kafka
   * Keyed by job_id to ensure ordering within a job
   * Idempotent producer ensures exactly-once delivery
   */
  async publishJobLifecycleEvent(event: EventBase, jobId: string): Promise<void> {
    if (!this.connected || !this.producer) {
      throw new Error('Kafka not connected');
    }

    try {
      const message = {
        key: jobId, // Ensures ordering for this job
        value: JSON.stringify(event),
        headers: {
          'content-type': 'application/json',
          'correlation-id': event.correlation_id,
          'timestamp': event.timestamp,
        },
      };

      const result = await this.producer.send({
        topic: this.JOB_LIFECYCLE_TOPIC,
        messages: [message],
        timeout: 10000,
        compression: CompressionTypes.GZIP,
      });

      this.logger.debug(`Job lifecycle event published: ${event.event_type} (partition: ${result[0].partition})`);
    } catch (error) {
      this.logger.error(`Failed to publish job lifecycle event: ${event.event_type}`, error);
      throw error;
    }
  }

  /**
   * Publish performance metrics
   * Key: job_id for correlation
   */
  async publishJobMetrics(metrics: unknown, jobId: string): Promise<void> {
    if (!this.connected || !this.producer) {
      throw new Error('Kafka not connected');
    }

    try {
      await this.producer.send({
        topic: this.JOB_METRICS_TOPIC,
        messages: [{
          key: jobId,
          value: JSON.stringify(metrics),
          headers: {
            'timestamp': new Date().toISOString(),
          },
        }],
      });

      this.logger.debug(`Metrics published for job: ${jobId}`);
    } catch (error) {
      this.logger.error(`Failed to publish metrics for job: ${jobId}`, error);
      throw error;
    }
  }

  /**
   * Publish notification event
   */
  async publishNotificationEvent(event: EventBase): Promise<void> {
    if (!this.connected || !this.producer) {
      throw new Error('Kafka not connected');
    }

    try {
      await this.producer.send({
        topic: this.NOTIFICATIONS_TOPIC,
        messages: [{
          key: null, // Broadcast to all consumers
          value: JSON.stringify(event),
          headers: {
            'correlation-id': event.correlation_id,
            'timestamp': event.timestamp,
          },
        }],
      });

      this.logger.debug(`Notification published: ${event.event_type}`);
    } catch (error) {
      this.logger.error(`Failed to publish notification: ${event.event_type}`, error);
      throw error;
    }
  }

  /**
   * Publish audit trail event (90-day retention)
   * Used for compliance and operational auditing
   */
  async publishAuditEvent(event: EventBase, resourceId: string): Promise<void> {
    if (!this.connected || !this.producer) {
      throw new Error('Kafka not connected');
    }

    try {
      await this.producer.send({
        topic: this.AUDIT_TRAIL_TOPIC,
        messages: [{
          key: resourceId,
          value: JSON.stringify(event),
          headers: {
            'correlation-id': event.correlation_id,
            'timestamp': event.timestamp,
            'resource-id': resourceId,
          },
        }],
      });

      this.logger.debug(`Audit event published: ${event.event_type}`);
    } catch (error) {
      this.logger.error(`Failed to publish audit event: ${event.event_type}`, error);
      throw error;
    }
  }

  /**
   * Create a consumer group for a service
   */
  async createConsumerGroup(groupId: string): Promise<Consumer> {
    if (!this.kafka) throw new Error('Kafka not initialized');

    const consumer = this.kafka.consumer({ groupId });
    await consumer.connect();
    this.consumers.set(groupId, consumer);
    this.logger.log(`Consumer group created: ${groupId}`);
    return consumer;
  }

  /**
   * Subscribe to a topic with a consumer group
   */
  async subscribe(
    groupId: string,
    topics: string[],
    handler: (message: EachMessagePayload) => Promise<void>
  ): Promise<void> {
    let consumer = this.consumers.get(groupId);
    if (!consumer) {
      consumer = await this.createConsumerGroup(groupId);
    }

    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({
      eachMessage: handler,
      partitionsConsumedConcurrently: 3,
    });

    this.logger.log(`Subscribed ${groupId} to topics: ${topics.join(', ')}`);
  }

  /**
   * Get Kafka cluster statistics
   */
  async getStats(): Promise<Record<string, unknown>> {
    if (!this.admin || !this.connected) {
      return { connected: false };
    }

    try {
      const cluster = await this.admin.describeCluster();
      const topics = await this.admin.listTopics();

      return {
        connected: this.connected,
        brokers: cluster.brokers.length,
        controller: cluster.controller,
        topics: topics.length,
        topicNames: topics,
      };
    } catch (error) {
      this.logger.error('Failed to get Kafka stats', error);
      return { connected: false, error: 'Failed to query stats' };
    }
  }

  /**
   * Disconnect from Kafka cluster
   */
  async disconnect(): Promise<void> {
    this.logger.log('Disconnecting from Kafka cluster...');

    try {
      if (this.producer) {
        await this.producer.disconnect();
        this.logger.log('Kafka producer disconnected');
      }

      if (this.admin) {
        await this.admin.disconnect();
        this.logger.log('Kafka admin disconnected');
      }

      for (const [groupId, consumer] of this.consumers) {
        await consumer.disconnect();
        this.logger.log(`Consumer group disconnected: ${groupId}`);
      }

      this.connected = false;
      this.logger.log('Kafka cluster disconnection complete');
    } catch (error) {
      this.logger.error('Failed to disconnect from Kafka', error);
      throw error;
    }
  }

  async onModuleDestroy() {
    await this.disconnect();
  }
}
