import { Injectable, Logger } from '@nestjs/common';
import { KafkaSubscriber } from '@cosmic-horizons/kafka-native/nestjs';
import type { EachMessagePayload } from '@cosmic-horizons/kafka-native';
import { EVENT_TOPICS } from './kafka/topics';

export interface ProcessedEvent {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  eventType?: string;
  correlationId?: string;
}

const RECENT = 200;

/**
 * The `event-processor` consumer group of the seeds: reads every event topic, parses the JSON
 * payload and keeps per-topic counts and the most recent events (what a dashboard would read).
 * A message that cannot be parsed is retried, then dead-lettered to `events.dlq`.
 */
@Injectable()
export class EventProcessorService {
  private readonly logger = new Logger(EventProcessorService.name);
  private readonly processed = new Map<string, number>();
  private readonly recent: ProcessedEvent[] = [];

  @KafkaSubscriber({
    groupId: 'event-processor',
    topics: EVENT_TOPICS,
    concurrency: 3,
    fromBeginning: true,
    retries: 2,
    retryBackoffMs: 50,
    deadLetterTopic: 'events.dlq',
  })
  async handle({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const body = JSON.parse(message.value?.toString() ?? 'null') as { event_type?: string; correlation_id?: string } | null;
    const correlation = message.headers['correlation-id'];
    const event: ProcessedEvent = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString() : null,
      eventType: body?.event_type,
      correlationId: correlation ? String(correlation) : body?.correlation_id,
    };
    this.processed.set(topic, (this.processed.get(topic) ?? 0) + 1);
    this.recent.push(event);
    if (this.recent.length > RECENT) this.recent.shift();
    this.logger.debug(`processed ${topic}[${partition}]@${message.offset} ${event.eventType ?? ''}`);
  }

  processedCounts(): Record<string, number> {
    return Object.fromEntries(this.processed);
  }

  recentEvents(): ProcessedEvent[] {
    return [...this.recent];
  }
}
