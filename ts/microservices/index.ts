// `@cosmic-horizons/kafka-native/microservices`: a NestJS microservices transport on the engine,
// wire-compatible with NestJS's Transport.KAFKA (its headers and serialisation), so that services
// of one fleet migrate one at a time.

export { KafkaNativeServer, KAFKA_NATIVE_TRANSPORT } from './server';
export { KafkaNativeClient } from './client';
export { KafkaNativeClientsModule, type KafkaNativeClientRegistration } from './clients.module';
export type { KafkaNativeClientOptions, KafkaNativeServerOptions, KafkaNativeSubscribeOptions, KafkaNativeTransportOptions } from './options';
export { CORRELATION_ID, REPLY_TOPIC, REPLY_PARTITION, NEST_ERR, NEST_IS_DISPOSED } from './headers';
