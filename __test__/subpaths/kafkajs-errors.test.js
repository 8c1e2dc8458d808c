'use strict';

// Every engine error maps to the kafkajs error class kafkajs code checks for, keeping `code`,
// `retriable`, `fatal`, `topic`, `partition` and the engine error as `cause`.

const { kafkajs, KafkaNativeError } = require('./helpers');

function nativeError(code, retriable, extra = {}) {
  return new KafkaNativeError(`engine says ${code}`, code, retriable, false, extra.topic, extra.partition);
}

test.each([
  ['ERR__MSG_TIMED_OUT', true, 'KafkaJSRequestTimeoutError'],
  ['ERR__TIMED_OUT', true, 'KafkaJSConnectionError'],
  ['ERR__TRANSPORT', true, 'KafkaJSConnectionError'],
  ['ERR__ALL_BROKERS_DOWN', true, 'KafkaJSConnectionError'],
  ['ERR_SASL_AUTHENTICATION_FAILED', false, 'KafkaJSSASLAuthenticationError'],
  ['ERR_OFFSET_OUT_OF_RANGE', false, 'KafkaJSOffsetOutOfRange'],
  ['ERR_HANDLER_FAILED', false, 'KafkaJSNumberOfRetriesExceeded'],
  ['ERR_INVALID_CONFIG', false, 'KafkaJSNonRetriableError'],
  ['ERR_INVALID_ARG', false, 'KafkaJSNonRetriableError'],
  ['ERR_DISCONNECTED', false, 'KafkaJSNonRetriableError'],
  ['ERR_SCHEMA_DECODE', false, 'KafkaJSNonRetriableError'],
  ['ERR_SCHEMA_NOT_FOUND', false, 'KafkaJSNonRetriableError'],
  ['ERR_SCHEMA_REGISTRY', true, 'KafkaJSError'],
  ['ERR_MSG_SIZE_TOO_LARGE', false, 'KafkaJSProtocolError'],
  ['ERR_NOT_ENOUGH_REPLICAS', true, 'KafkaJSProtocolError'],
  ['ERR__UNKNOWN_PARTITION', false, 'KafkaJSNonRetriableError'],
  ['ERR__QUEUE_FULL', true, 'KafkaJSError'],
])('%s (retriable %s) becomes %s', (code, retriable, name) => {
  const m = kafkajs();
  const error = m.toKafkaJSError(nativeError(code, retriable, { topic: 't', partition: 2 }));
  expect(error.name).toBe(name);
  expect(error).toBeInstanceOf(m[name]);
  expect(error).toBeInstanceOf(m.KafkaJSError);
  expect(error).toBeInstanceOf(Error);
  expect(error.engineCode).toBe(code);
  // kafkajs' protocol errors carry the protocol's number (OFFSET_OUT_OF_RANGE is 1, ...).
  const protocol = { ERR_OFFSET_OUT_OF_RANGE: 1, ERR_MSG_SIZE_TOO_LARGE: 10, ERR_NOT_ENOUGH_REPLICAS: 19 };
  expect(error.code).toBe(protocol[code] ?? code);
  expect(error.retriable).toBe(name === 'KafkaJSNonRetriableError' || name === 'KafkaJSNumberOfRetriesExceeded' || name === 'KafkaJSSASLAuthenticationError' ? false : retriable);
  expect(error.topic).toBe('t');
  expect(error.partition).toBe(2);
  expect(error.cause).toBeInstanceOf(KafkaNativeError);
  expect(error.message).toBe(`engine says ${code}`);
});

test("protocol errors carry kafkajs' type name and numeric code", () => {
  const { toKafkaJSError } = kafkajs();
  expect(toKafkaJSError(nativeError('ERR_UNKNOWN_TOPIC_OR_PART', true)).code).toBe(3);
  expect(toKafkaJSError(nativeError('ERR_REBALANCE_IN_PROGRESS', true)).code).toBe(27);
  expect(toKafkaJSError(nativeError('ERR_MSG_SIZE_TOO_LARGE', false)).type).toBe('MESSAGE_TOO_LARGE');
  expect(toKafkaJSError(nativeError('ERR_UNKNOWN_TOPIC_OR_PART', true)).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  expect(toKafkaJSError(nativeError('ERR_POLICY_VIOLATION', false)).type).toBe('POLICY_VIOLATION');
});

test('anything else becomes a KafkaJSError with it as cause; KafkaJS errors pass through', () => {
  const { toKafkaJSError, KafkaJSError, KafkaJSTimeout } = kafkajs();
  const plain = new TypeError('boom');
  const wrapped = toKafkaJSError(plain);
  expect(wrapped).toBeInstanceOf(KafkaJSError);
  expect(wrapped.cause).toBe(plain);
  const own = new KafkaJSTimeout('late');
  expect(toKafkaJSError(own)).toBe(own);
  expect(own.retriable).toBe(true);
});
