// `@cosmic-horizons/kafka-native/kafkajs`: the kafkajs 2 API over the native engine. Changing
// `from 'kafkajs'` to `from '@cosmic-horizons/kafka-native/kafkajs'` is the migration; what is
// not supported throws `KafkaJSNotImplemented` (a `KafkaJSNonRetriableError`) naming the feature.

export { Kafka } from './kafka';
export { Producer } from './producer';
export { Consumer, type KafkaNativeRunOptions } from './consumer';
export { Admin, ConfigResourceTypes } from './admin';
export { CompressionTypes, CompressionCodecs, logLevel, Partitioners, PartitionAssigners, partitionForKey, legacyPartitionForKey } from './enums';
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSTimeout,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSBrokerNotFound,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSSASLAuthenticationError,
  KafkaJSNotImplemented,
  toKafkaJSError,
} from './errors';
export { AssignerProtocol, decodeMemberAssignment } from './member-assignment';
export type * from './types';
