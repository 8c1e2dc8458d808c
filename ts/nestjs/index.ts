// `@cosmic-horizons/kafka-native/nestjs`: the NestJS module, the `@KafkaSubscriber` decorator,
// the terminus health indicator, the Prometheus `/metrics` controller and the Nest logger bridge.

export { KafkaNativeModule } from './kafka-native.module';
export { KafkaNativeRuntime, type SubscriberState } from './kafka-native.runtime';
export { KafkaSubscriber, type KafkaSubscriberOptions } from './subscriber.decorator';
export { KafkaHealthIndicator, type KafkaHealthResult } from './kafka.health';
export { nestLogBridge } from './logger';
export { KafkaMetricsController, kafkaMetricsController, PROMETHEUS_CONTENT_TYPE } from './metrics.controller';
export { DEAD_LETTER_HEADERS, subscriberRetry, withFailureLog, type FailureLogOptions } from './dead-letter';
export { kafkaOptionsFromConfig, type ConfigSource, type KafkaNativeModuleOptions, type KafkaNativeModuleAsyncOptions } from './options';
export { KAFKA_NATIVE_OPTIONS } from './tokens';
export { KafkaService, KafkaNativeError, SchemaRegistry } from '../native/binding';
export type { EachMessagePayload, EachBatchPayload, ConsumedMessage, PublishMessage, PublishResult } from '../../index';
