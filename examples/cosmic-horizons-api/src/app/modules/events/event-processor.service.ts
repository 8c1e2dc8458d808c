import { Injectable, Logger } from '@nestjs/common';
import { KafkaSubscriber } from '@cosmic-horizons/kafka-native/nestjs';
import type { EachMessagePayload } from '@cosmic-horizons/kafka-native';
import { EventLog, type EventBody } from './event-log.service';
import { EVENT_PROCESSOR_SUBSCRIPTION } from './kafka/topics';

/**
 * The `event-processor` consumer group of the seeds, for JSON events (no `SCHEMA_REGISTRY_URL`):
 * reads every event topic, parses the JSON payload and records it in the `EventLog` (what a
 * dashboard would read). A message that cannot be parsed is retried, then dead-lettered to
 * `events.dlq`.
 */
@Injectable()
export class EventProcessorService {
  private readonly logger = new Logger(EventProcessorService.name);

  constructor(private readonly log: EventLog) {}

  @KafkaSubscriber(EVENT_PROCESSOR_SUBSCRIPTION)
  async handle(payload: EachMessagePayload): Promise<void> {
    const body = JSON.parse(payload.message.value?.toString() ?? 'null') as EventBody | null;
    const event = this.log.recordMessage(payload, body);
    this.logger.debug(`processed ${event.topic}[${event.partition}]@${event.offset} ${event.eventType ?? ''}`);
  }
}
