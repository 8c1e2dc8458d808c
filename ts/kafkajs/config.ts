// kafkajs' client configuration translated to the engine's `KafkaConfig`. Options with an engine
// equivalent are mapped; options without one throw `KafkaJSNotImplemented` naming them.

import type { KafkaConfig as NativeKafkaConfig, SslOptions } from '../native/binding';
import { KafkaJSNonRetriableError, KafkaJSNotImplemented, refuse } from './errors';
import type { LogSink } from './logging';
import type { KafkaConfig, RetryOptions, SASLOptions } from './types';

type Librdkafka = Record<string, string | number | boolean>;

const SSL_KEYS = new Set(['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized']);

function pem(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list
    .map((v) => {
      if (typeof v === 'string') return v;
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      throw new KafkaJSNotImplemented(`ssl.${what} as ${typeof v}`, 'give PEM strings or Buffers');
    })
    .join('\n');
}

/** kafkajs' `ssl` (boolean or `tls.ConnectionOptions`) as the engine's. */
export function sslOptions(ssl: KafkaConfig['ssl']): boolean | SslOptions | undefined {
  if (ssl === undefined || typeof ssl === 'boolean') return ssl;
  for (const [k, v] of Object.entries(ssl)) {
    if (!SSL_KEYS.has(k) && v !== undefined) {
      throw new KafkaJSNotImplemented(`ssl.${k}`, 'the TLS options supported are ca, cert, key, passphrase, rejectUnauthorized');
    }
  }
  const out: SslOptions = {};
  const ca = pem(ssl.ca, 'ca');
  if (ca !== undefined) out.ca = ca;
  const cert = pem(ssl.cert, 'cert');
  if (cert !== undefined) out.cert = cert;
  const key = pem((ssl as { key?: unknown }).key, 'key');
  if (key !== undefined) out.key = key;
  if (typeof ssl.passphrase === 'string') out.passphrase = ssl.passphrase;
  if (ssl.rejectUnauthorized !== undefined) out.rejectUnauthorized = ssl.rejectUnauthorized;
  return out;
}

/** kafkajs' `sasl` options as the engine's. */
export function saslOptions(sasl: SASLOptions | undefined): NativeKafkaConfig['sasl'] {
  if (sasl === undefined) return undefined;
  const mechanism = String(sasl.mechanism).toLowerCase();
  if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
    throw new KafkaJSNotImplemented(`sasl mechanism '${sasl.mechanism}'`, 'the mechanisms supported are plain, scram-sha-256, scram-sha-512');
  }
  if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string') {
    throw new KafkaJSNonRetriableError('sasl: username and password must be strings', { code: 'ERR_INVALID_CONFIG' });
  }
  return { mechanism, username: sasl.username, password: sasl.password };
}

/** Throws for what the engine cannot do with a `Kafka` config; called by the constructor. */
export function checkKafkaConfig(config: KafkaConfig): void {
  if (!config || (typeof config.brokers !== 'function' && typeof config.brokers !== 'string' && !Array.isArray(config.brokers))) {
    throw new KafkaJSNonRetriableError('Failed to connect: brokers parameter should not be null', { code: 'ERR_INVALID_CONFIG' });
  }
  if (Array.isArray(config.brokers) && config.brokers.length === 0) {
    throw new KafkaJSNonRetriableError('Failed to connect: "config.brokers" array is empty', { code: 'ERR_INVALID_CONFIG' });
  }
  refuse(config.socketFactory, 'socketFactory', 'connections are librdkafka sockets');
  refuse(config.authenticationTimeout, 'authenticationTimeout');
  refuse(config.reauthenticationThreshold, 'reauthenticationThreshold');
  if (config.enforceRequestTimeout === false) {
    throw new KafkaJSNotImplemented('enforceRequestTimeout: false', 'requests are always bounded by requestTimeout');
  }
  checkRetry(config.retry, 'retry');
  if (typeof config.sasl === 'object') saslOptions(config.sasl);
  sslOptions(config.ssl);
}

/** Throws for the parts of `retry` that have no engine equivalent. */
export function checkRetry(retry: RetryOptions | undefined, where: string): void {
  if (!retry) return;
  refuse(retry.factor, `${where}.factor`, 'librdkafka backs off exponentially with its own jitter');
  refuse(retry.multiplier, `${where}.multiplier`, 'librdkafka backs off exponentially with its own jitter');
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(v)));
}

/** The bound on `connect()`: `requestTimeout`, or kafkajs' default of 30 s. */
export function connectBound(config: KafkaConfig): number {
  return clamp(config.requestTimeout ?? 30000, 1, 2 ** 31 - 1);
}

/**
 * The engine configuration shared by every client of a `Kafka`: brokers and SASL resolved
 * (kafkajs allows functions for both), TLS, timeouts, logging and `kafkaNative` overrides, plus
 * the client's own librdkafka properties.
 */
export async function nativeConfig(
  config: KafkaConfig,
  log: LogSink,
  own: {
    librdkafka?: Librdkafka;
    producer?: NativeKafkaConfig['producer'];
    transactionalId?: string;
    transactionTimeoutMs?: number;
    network?: Pick<NativeKafkaConfig, 'onNetwork' | 'networkReports'>;
  } = {},
): Promise<NativeKafkaConfig> {
  const brokers = typeof config.brokers === 'function' ? await config.brokers() : config.brokers;
  const sasl = typeof config.sasl === 'function' ? await config.sasl() : config.sasl;
  const librdkafka: Librdkafka = {};
  if (config.connectionTimeout !== undefined) {
    librdkafka['socket.connection.setup.timeout.ms'] = clamp(config.connectionTimeout, 1000, 2 ** 31 - 1);
  }
  if (config.requestTimeout !== undefined) {
    librdkafka['socket.timeout.ms'] = clamp(config.requestTimeout, 10, 300000);
  }
  const extra = config.kafkaNative ?? {};
  const native: NativeKafkaConfig = {
    brokers: Array.isArray(brokers) ? brokers.map((b) => b.trim()) : brokers,
    clientId: config.clientId ?? 'kafkajs',
    connectionTimeoutMs: connectBound(config),
    logLevel: log.engineLevel,
    logger: log.engineLogger,
    ...extra,
    librdkafka: { ...librdkafka, ...own.librdkafka, ...extra.librdkafka },
    producer: { ...own.producer, ...extra.producer },
  };
  if (own.network !== undefined) Object.assign(native, own.network);
  if (own.transactionalId !== undefined) native.transactionalId = own.transactionalId;
  if (own.transactionTimeoutMs !== undefined) native.transactionTimeoutMs = own.transactionTimeoutMs;
  const ssl = sslOptions(config.ssl);
  if (ssl !== undefined) native.ssl = ssl;
  const nativeSasl = saslOptions(sasl);
  if (nativeSasl !== undefined) native.sasl = nativeSasl;
  return native;
}
