import { Module } from '@nestjs/common';
import { ConditionalModule } from '@nestjs/config';
import { AvroEventProcessorService } from './avro-event-processor.service';
import { EventLogModule } from './event-log.module';
import { EventProcessorService } from './event-processor.service';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

/** The JSON `event-processor` (no registry configured). */
@Module({ imports: [EventLogModule], providers: [EventProcessorService] })
export class JsonEventProcessorModule {}

/** The Avro `event-processor` (`SCHEMA_REGISTRY_URL` set). */
@Module({ imports: [EventLogModule], providers: [AvroEventProcessorService] })
export class AvroEventProcessorModule {}

const withRegistry = (env: NodeJS.ProcessEnv): boolean => Boolean(env.SCHEMA_REGISTRY_URL);

/**
 * Durable events. `KafkaService` (and, with `SCHEMA_REGISTRY_URL`, `SchemaRegistry`) come from the
 * global `KafkaNativeModule` (see AppModule). Events are JSON, or Avro through the registry when
 * `SCHEMA_REGISTRY_URL` is set; the matching processor's `@KafkaSubscriber` method is subscribed
 * when the application bootstraps.
 */
@Module({
  imports: [
    EventLogModule,
    ConditionalModule.registerWhen(JsonEventProcessorModule, (env) => !withRegistry(env)),
    ConditionalModule.registerWhen(AvroEventProcessorModule, withRegistry),
  ],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
