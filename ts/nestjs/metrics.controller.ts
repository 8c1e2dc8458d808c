// A `/metrics` endpoint for Prometheus: the engine's `metrics()` exposition, served as
// `text/plain; version=0.0.4`. Add `KafkaMetricsController` to a module's `controllers` (the module
// must see `KafkaService`, e.g. with `KafkaNativeModule.forRoot({global: true, ...})`), or make one
// at another path with `kafkaMetricsController('internal/metrics')`.

import { Controller, Get, Header, Type } from '@nestjs/common';
import { KafkaService } from '../native/binding';

/** The content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A controller class serving `GET /<path>` with the service's metrics. */
export function kafkaMetricsController(path = 'metrics'): Type<{ scrape(): string }> {
  @Controller(path)
  class MetricsController {
    constructor(readonly service: KafkaService) {}

    /** The exposition, as of now. */
    @Get()
    @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
    @Header('Cache-Control', 'no-store')
    scrape(): string {
      return this.service.metrics();
    }
  }
  return MetricsController;
}

/** `GET /metrics`: the engine's figures in the Prometheus text format. */
export const KafkaMetricsController = kafkaMetricsController();
