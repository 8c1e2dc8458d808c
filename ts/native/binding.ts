// The package's own entry point (napi-generated index.js / index.d.ts), as the subpath layers
// see it. Relative, so that dist/ loads the very addon it was shipped with.
import * as binding from '../../index';

export const KafkaService = binding.KafkaService;
export type KafkaService = binding.KafkaService;
export const KafkaNativeError = binding.KafkaNativeError;
export type KafkaNativeError = binding.KafkaNativeError;
export const MockCluster = binding.MockCluster;
export type MockCluster = binding.MockCluster;
export type Subscription = binding.Subscription;
export type KafkaAdmin = binding.KafkaAdmin;
export type Transaction = binding.Transaction;
export const SchemaRegistry = binding.SchemaRegistry;
export type SchemaRegistry = binding.SchemaRegistry;

export type {
  BatchPublishResult,
  ClusterDescription,
  ClusterInfo,
  ConsumedMessage,
  EachBatchPayload as NativeEachBatchPayload,
  EachMessagePayload as NativeEachMessagePayload,
  GroupDescription as NativeGroupDescription,
  GroupMember as NativeGroupMember,
  HealthReport,
  KafkaConfig,
  LogRecord,
  NetworkReport,
  PartitionDescription,
  PartitionOffset,
  ProducerOptions,
  PublishMessage,
  PublishRecord,
  PublishResult,
  ReplayDeadLettersOptions,
  ReplayReport,
  RetryOptions,
  SaslOptions,
  SchemaRegistryOptions,
  ServiceStats,
  SslOptions,
  SubscribeOptions,
  SubscriptionCommit,
  SubscriptionFetch,
  SubscriptionHeartbeat,
  TopicPartition,
  TopicSpec,
} from '../../index';

/** Whether `e` is the package's `KafkaNativeError` (by class, or by shape across realms). */
export function isKafkaNativeError(e: unknown): e is KafkaNativeError {
  if (e instanceof binding.KafkaNativeError) return true;
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'KafkaNativeError' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}
