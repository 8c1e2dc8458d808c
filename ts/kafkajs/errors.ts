// kafkajs' error classes, and the one mapping from the engine's `KafkaNativeError` to them. Every
// error keeps the engine's `code` (librdkafka's name, e.g. `ERR__MSG_TIMED_OUT`), `retriable`,
// `fatal`, `topic` and `partition`, and the original error as `cause`.

import { isKafkaNativeError, type KafkaNativeError } from '../native/binding';
import { PROTOCOL_CODES } from './protocol-codes';

export interface KafkaJSErrorMetadata {
  retriable?: boolean;
  topic?: string;
  partitionId?: number;
  cause?: unknown;
  code?: string;
}

/** Base of every error the facade throws or rejects with (kafkajs' `KafkaJSError`). */
export class KafkaJSError extends Error {
  readonly retriable: boolean;
  /**
   * The engine's stable code (`ERR__TIMED_OUT`, `ERR_NOT_SUPPORTED`, ...), when there is one; on a
   * `KafkaJSProtocolError`, kafkajs' numeric protocol code instead (3 for an unknown topic).
   */
  readonly code?: string | number;
  /** The engine's stable string code, on every error that has one (`code` before the protocol number). */
  readonly engineCode?: string;
  readonly fatal: boolean;
  readonly topic?: string;
  readonly partition?: number;
  readonly helpUrl?: string;
  override readonly cause?: unknown;

  constructor(e: Error | string, metadata: KafkaJSErrorMetadata = {}) {
    super(typeof e === 'string' ? e : e.message);
    this.name = new.target.name;
    this.retriable = metadata.retriable ?? true;
    const native = isKafkaNativeError(e) ? e : isKafkaNativeError(metadata.cause) ? metadata.cause : undefined;
    this.code = metadata.code ?? native?.code;
    this.engineCode = metadata.code ?? native?.code;
    this.fatal = native?.fatal ?? false;
    const topic = metadata.topic ?? native?.topic;
    if (topic !== undefined) this.topic = topic;
    const partition = metadata.partitionId ?? native?.partition;
    if (partition !== undefined) this.partition = partition;
    const cause = metadata.cause ?? (typeof e === 'string' ? undefined : e);
    if (cause !== undefined) this.cause = cause;
  }
}

/** An error that retrying will not fix (kafkajs' `KafkaJSNonRetriableError`). */
export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string, metadata: KafkaJSErrorMetadata = {}) {
    super(e, { ...metadata, retriable: false });
  }
}

/** An error a broker answered with (kafkajs' `KafkaJSProtocolError`); `type` is kafkajs' name. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string;
  /** kafkajs' numeric protocol code (-1 when the engine's code names no protocol error). */
  declare readonly code: number;
  constructor(e: Error | string, metadata: KafkaJSErrorMetadata & { type?: string } = {}) {
    super(e, metadata);
    this.type = metadata.type ?? protocolType(this.engineCode);
    (this as { code: number }).code = PROTOCOL_CODES[(this.engineCode ?? '').replace(/^ERR_/, '')] ?? -1;
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {}

/** A consumer handler kept failing, or a call ran out of retries. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number;
  readonly retryTime: number;
  constructor(e: Error | string, metadata: KafkaJSErrorMetadata & { retryCount?: number; retryTime?: number } = {}) {
    super(e, metadata);
    this.retryCount = metadata.retryCount ?? 0;
    this.retryTime = metadata.retryTime ?? 0;
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker?: string;
  constructor(e: Error | string, metadata: KafkaJSErrorMetadata & { broker?: string } = {}) {
    super(e, metadata);
    if (metadata.broker !== undefined) this.broker = metadata.broker;
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {}
export class KafkaJSTimeout extends KafkaJSError {}
export class KafkaJSMetadataNotLoaded extends KafkaJSError {}
export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {}
export class KafkaJSBrokerNotFound extends KafkaJSError {}
export class KafkaJSGroupCoordinatorNotFound extends KafkaJSError {}
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {}

/**
 * A kafkajs feature the facade does not implement. It names the feature; it is a
 * `KafkaJSNonRetriableError`, so existing `instanceof` checks treat it as final.
 */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  /** The kafkajs option or call refused, as the message names it. */
  readonly feature: string;

  constructor(feature: string, hint?: string) {
    super(`${feature} is not supported by @cosmic-horizons/kafka-native/kafkajs${hint ? `: ${hint}` : ''}`, {
      code: 'ERR_NOT_SUPPORTED',
    });
    this.feature = feature;
  }
}

/** Throws `KafkaJSNotImplemented` for `feature` when `value` is set (not undefined). */
export function refuse(value: unknown, feature: string, hint?: string): void {
  if (value !== undefined) throw new KafkaJSNotImplemented(feature, hint);
}

const CONNECTION_CODES = new Set([
  'ERR__TRANSPORT',
  'ERR__ALL_BROKERS_DOWN',
  'ERR__RESOLVE',
  'ERR__TIMED_OUT',
  'ERR_NETWORK_EXCEPTION',
  'ERR__SSL',
]);
const TIMEOUT_CODES = new Set(['ERR__MSG_TIMED_OUT', 'ERR_REQUEST_TIMED_OUT', 'ERR__TIMED_OUT_QUEUE']);
const AUTH_CODES = new Set([
  'ERR__AUTHENTICATION',
  'ERR_SASL_AUTHENTICATION_FAILED',
  'ERR_TOPIC_AUTHORIZATION_FAILED',
  'ERR_GROUP_AUTHORIZATION_FAILED',
  'ERR_CLUSTER_AUTHORIZATION_FAILED',
]);

/** kafkajs' protocol error names where they differ from librdkafka's (minus its `ERR_` prefix). */
const KAFKAJS_TYPES: Record<string, string> = {
  ERR_UNKNOWN_TOPIC_OR_PART: 'UNKNOWN_TOPIC_OR_PARTITION',
  ERR_MSG_SIZE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  ERR_INVALID_MSG: 'CORRUPT_MESSAGE',
  ERR_INVALID_MSG_SIZE: 'INVALID_FETCH_SIZE',
  ERR_LEADER_NOT_AVAILABLE: 'LEADER_NOT_AVAILABLE',
  ERR_NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_FOR_PARTITION',
  ERR_NOT_ENOUGH_REPLICAS: 'NOT_ENOUGH_REPLICAS',
  ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  ERR_TOPIC_EXCEPTION: 'INVALID_TOPIC_EXCEPTION',
  ERR_TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  ERR_COORDINATOR_NOT_AVAILABLE: 'GROUP_COORDINATOR_NOT_AVAILABLE',
  ERR_NOT_COORDINATOR: 'NOT_COORDINATOR_FOR_GROUP',
  ERR_REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  ERR_UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  ERR_ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
};

function protocolType(code: string | undefined): string {
  if (!code) return 'UNKNOWN';
  return KAFKAJS_TYPES[code] ?? code.replace(/^ERR_+/, '');
}

/**
 * The kafkajs-shaped error for anything the engine (or a handler) threw: a `KafkaNativeError`
 * becomes the matching `KafkaJS*` class with its `code` and `retriable`; a `KafkaJSError` passes
 * through; anything else becomes a `KafkaJSError` with it as `cause`.
 */
export function toKafkaJSError(e: unknown): KafkaJSError {
  if (e instanceof KafkaJSError) return e;
  if (!isKafkaNativeError(e)) {
    const err = e instanceof Error ? e : new Error(String(e));
    return new KafkaJSError(err, { cause: e, retriable: false });
  }
  const native: KafkaNativeError = e;
  const meta = { cause: native, retriable: native.retriable, code: native.code };
  const code = native.code;
  if (code === 'ERR_HANDLER_FAILED') return new KafkaJSNumberOfRetriesExceeded(native, meta);
  if (code === 'ERR_OFFSET_OUT_OF_RANGE') return new KafkaJSOffsetOutOfRange(native, meta);
  if (AUTH_CODES.has(code)) return new KafkaJSSASLAuthenticationError(native, meta);
  if (TIMEOUT_CODES.has(code)) return new KafkaJSRequestTimeoutError(native, meta);
  if (CONNECTION_CODES.has(code)) return new KafkaJSConnectionError(native, meta);
  if (!native.retriable && (code.startsWith('ERR__') || !code.startsWith('ERR_') || isPackageCode(code))) {
    return new KafkaJSNonRetriableError(native, meta);
  }
  if (code.startsWith('ERR_') && !code.startsWith('ERR__') && !isPackageCode(code)) {
    return new KafkaJSProtocolError(native, meta);
  }
  return new KafkaJSError(native, meta);
}

/**
 * The package's own codes (`ERR_INVALID_CONFIG`, ..., and the schema codes such as
 * `ERR_SCHEMA_DECODE` that a subscription stopped at an undecodable message fails with), as
 * opposed to Kafka protocol errors.
 */
function isPackageCode(code: string): boolean {
  return (
    code === 'ERR_INVALID_CONFIG' ||
    code === 'ERR_INVALID_ARG' ||
    code === 'ERR_DISCONNECTED' ||
    code === 'ERR_HANDLER_FAILED' ||
    code.startsWith('ERR_SCHEMA_')
  );
}

/** Runs `call`, rejecting with the kafkajs-shaped error of whatever it throws. */
export async function kafkajsErrors<T>(call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toKafkaJSError(e);
  }
}
