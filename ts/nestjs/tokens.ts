// Injection tokens and metadata keys of the NestJS layer.

/** The resolved `KafkaNativeModuleOptions`. */
export const KAFKA_NATIVE_OPTIONS = Symbol('KAFKA_NATIVE_OPTIONS');

/** Metadata key `@KafkaSubscriber` stores its options under. */
export const KAFKA_SUBSCRIBER_METADATA = 'kafka-native:subscriber';
