import { Controller, Get } from '@nestjs/common';
import { KafkaService } from '@cosmic-horizons/kafka-native';
import { EventLog } from './event-log.service';
import { EventsService } from './events.service';

@Controller('events')
export class EventsController {
  constructor(
    private readonly kafka: KafkaService,
    private readonly events: EventsService,
    private readonly log: EventLog,
  ) {}

  /** What was published and processed, with the engine's counters and latencies. */
  @Get('stats')
  stats() {
    const engine = this.kafka.stats();
    return {
      state: engine.state,
      encoding: this.events.encoding(),
      published: this.events.publishedCounts(),
      processed: this.log.processedCounts(),
      recent: this.log.recentEvents().slice(-50),
      producer: {
        sent: engine.producer.sent,
        acknowledged: engine.producer.acknowledged,
        failed: engine.producer.failed,
        ackLatencyMs: { p50: engine.producer.ackLatency.p50, p99: engine.producer.ackLatency.p99 },
      },
      consumer: { consumed: engine.consumer.consumed, processed: engine.consumer.processed, lag: engine.consumer.lag },
      brokers: engine.brokers.map((b) => ({ id: b.id, state: b.state })),
      subscriptions: engine.subscriptions,
    };
  }
}
