import { Injectable } from '@nestjs/common';
import type { EachMessagePayload } from '@cosmic-horizons/kafka-native';

/** The envelope fields of an event value that the log keeps. */
export interface EventBody {
  event_type?: string;
  correlation_id?: string;
}

/** One consumed event, as `GET /events/stats` shows it. */
export interface ProcessedEvent {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  eventType?: string;
  correlationId?: string;
  /** The registry id of the value's writer schema (Avro events only). */
  schemaId?: number;
}

const RECENT = 200;

/** What the `event-processor` group consumed: per-topic counts and the most recent events. */
@Injectable()
export class EventLog {
  private readonly processed = new Map<string, number>();
  private readonly recent: ProcessedEvent[] = [];

  /** Records a consumed message whose value was read (parsed or decoded) as `body`. */
  recordMessage({ topic, partition, message }: EachMessagePayload, body: EventBody | null): ProcessedEvent {
    const correlation = message.headers['correlation-id'];
    const event: ProcessedEvent = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString() : null,
      eventType: body?.event_type,
      correlationId: correlation ? String(correlation) : body?.correlation_id,
      schemaId: message.schemaId,
    };
    this.processed.set(topic, (this.processed.get(topic) ?? 0) + 1);
    this.recent.push(event);
    if (this.recent.length > RECENT) this.recent.shift();
    return event;
  }

  processedCounts(): Record<string, number> {
    return Object.fromEntries(this.processed);
  }

  recentEvents(): ProcessedEvent[] {
    return [...this.recent];
  }
}
