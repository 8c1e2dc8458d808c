import { Module } from '@nestjs/common';
import { EventProcessorService } from './event-processor.service';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

/**
 * Durable events. `KafkaService` comes from the global `KafkaNativeModule` (see AppModule);
 * the processor's `@KafkaSubscriber` method is subscribed when the application bootstraps.
 */
@Module({
  controllers: [EventsController],
  providers: [EventsService, EventProcessorService],
  exports: [EventsService],
})
export class EventsModule {}
