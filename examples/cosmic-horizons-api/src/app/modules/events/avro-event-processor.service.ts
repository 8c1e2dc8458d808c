import { Injectable, Logger } from '@nestjs/common';
import { KafkaSubscriber } from '@cosmic-horizons/kafka-native/nestjs';
import type { EachMessagePayload } from '@cosmic-horizons/kafka-native';
import { EventLog, type EventBody } from './event-log.service';
import { EVENT_PROCESSOR_SUBSCRIPTION } from './kafka/topics';

/**
 * The `event-processor` consumer group for Avro events (with `SCHEMA_REGISTRY_URL`): the engine
 * decodes each value by the schema id in its frame, off the JS thread, so the handler gets
 * `message.decoded` (and `message.schemaId`). A value that cannot be decoded (not framed,
 * corrupt, unknown schema id) never reaches the handler: it goes to `events.dlq` at once with its
 * raw bytes and `x-error-code`.
 */
@Injectable()
export class AvroEventProcessorService {
  private readonly logger = new Logger(AvroEventProcessorService.name);

  constructor(private readonly log: EventLog) {}

  @KafkaSubscriber({ ...EVENT_PROCESSOR_SUBSCRIPTION, decode: true })
  async handle(payload: EachMessagePayload): Promise<void> {
    const event = this.log.recordMessage(payload, payload.message.decoded as EventBody | null);
    this.logger.debug(`processed ${event.topic}[${event.partition}]@${event.offset} schema ${event.schemaId}`);
  }
}
