// Options of `KafkaNativeModule`, and the reading of the usual `KAFKA_*` environment settings
// (through `ConfigService` or `process.env`).

import { readFileSync } from 'fs';
import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { KafkaConfig, SchemaRegistryOptions, SslOptions } from '../native/binding';
import { nativeError } from '../native/errors';

export interface KafkaNativeModuleOptions extends KafkaConfig {
  /**
   * Connect (wait for the cluster's metadata) when the module initialises, so that the
   * application does not start without Kafka. Default true.
   */
  connectOnInit?: boolean;
  /** Longest wait for queued messages when the application shuts down. Default 10000. */
  disconnectTimeoutMs?: number;
  /** The consumer group of `@KafkaSubscriber` methods that name none (KAFKA_CONSUMER_GROUP). */
  groupId?: string;
  /**
   * A Confluent-API Schema Registry: the module provides `SchemaRegistry` and gives it to the
   * `KafkaService` (`publish(..., {schema})`, `@KafkaSubscriber({decode: true})`).
   */
  schemaRegistry?: SchemaRegistryOptions;
}

export interface KafkaNativeModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Register the module globally (one `KafkaService` for the whole application). */
  global?: boolean;
  useFactory: FactoryProvider<KafkaNativeModuleOptions>['useFactory'];
  inject?: FactoryProvider['inject'];
}

/** Anything with `get(key)`, such as `@nestjs/config`'s `ConfigService`, or a plain record like `process.env`. */
export type ConfigSource = { get(key: string): unknown } | Record<string, string | undefined>;

function reader(source: ConfigSource): (key: string) => string | undefined {
  const get = (source as { get?: unknown }).get;
  return (key) => {
    const v = typeof get === 'function' ? (get as (k: string) => unknown).call(source, key) : (source as Record<string, unknown>)[key];
    if (v === undefined || v === null || v === '') return undefined;
    return String(v);
  };
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return /^(1|true|yes|on)$/i.test(v.trim());
}

function int(v: string | undefined, key: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw nativeError(`${key} must be a number of milliseconds (got '${v}')`, 'ERR_INVALID_CONFIG', false);
  return Math.round(n);
}

function acksOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const acks = v.trim().toLowerCase() === 'all' ? -1 : Number(v);
  if (acks !== -1 && acks !== 0 && acks !== 1) throw nativeError(`KAFKA_PRODUCER_ACKS must be -1 (or all), 0 or 1 (got '${v}')`, 'ERR_INVALID_CONFIG', false);
  return acks;
}

/**
 * Kafka settings from `KAFKA_*` variables (the README's "Configuration from the environment"
 * table documents each):
 * KAFKA_BROKERS (comma-separated; else KAFKA_HOST:KAFKA_PORT; default localhost:9092),
 * KAFKA_CLIENT_ID, KAFKA_CONSUMER_GROUP, KAFKA_CONNECTION_TIMEOUT and KAFKA_REQUEST_TIMEOUT (ms),
 * KAFKA_RETRY_RETRIES, KAFKA_RETRY_INITIAL_RETRY_TIME and KAFKA_RETRY_MAX_RETRY_TIME (ms),
 * KAFKA_PRODUCER_ACKS (-1/all, 0, 1), KAFKA_COMPRESSION, KAFKA_LOG_LEVEL,
 * KAFKA_SSL / KAFKA_SSL_ENABLED, KAFKA_SSL_CA / _CERT / _KEY (PEM, or the KAFKA_SSL_CA_FILE /
 * _CERT_FILE / _KEY_FILE paths), KAFKA_SSL_KEY_PASSPHRASE, KAFKA_SSL_REJECT_UNAUTHORIZED,
 * KAFKA_SASL_ENABLED, KAFKA_SASL_MECHANISM (default plain), KAFKA_SASL_USERNAME,
 * KAFKA_SASL_PASSWORD. Malformed numbers throw `ERR_INVALID_CONFIG` naming the variable. `overrides` win. The Schema
 * Registry from SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD,
 * SCHEMA_REGISTRY_CA (PEM, or SCHEMA_REGISTRY_CA_FILE).
 */
export function kafkaOptionsFromConfig(source: ConfigSource, overrides: Partial<KafkaNativeModuleOptions> = {}): KafkaNativeModuleOptions {
  const get = reader(source);
  const host = get('KAFKA_HOST');
  const hostPort = host ? `${host}:${get('KAFKA_PORT') ?? '9092'}` : undefined;
  const options: KafkaNativeModuleOptions = { brokers: get('KAFKA_BROKERS') ?? hostPort ?? 'localhost:9092' };
  const clientId = get('KAFKA_CLIENT_ID');
  if (clientId) options.clientId = clientId;
  const groupId = get('KAFKA_CONSUMER_GROUP');
  if (groupId) options.groupId = groupId;
  const librdkafka: Record<string, number> = {};
  const setMs = (variable: string, property: string) => {
    const v = int(get(variable), variable);
    if (v !== undefined) librdkafka[property] = v;
  };
  setMs('KAFKA_REQUEST_TIMEOUT', 'socket.timeout.ms');
  setMs('KAFKA_RETRY_RETRIES', 'message.send.max.retries');
  setMs('KAFKA_RETRY_INITIAL_RETRY_TIME', 'retry.backoff.ms');
  setMs('KAFKA_RETRY_MAX_RETRY_TIME', 'retry.backoff.max.ms');
  if (Object.keys(librdkafka).length > 0) options.librdkafka = librdkafka;
  const pem = (name: string) => {
    const inline = get(name);
    if (inline) return inline;
    const file = get(`${name}_FILE`);
    return file ? readFileSync(file, 'utf8') : undefined;
  };
  const ssl: SslOptions = {};
  const ca = pem('KAFKA_SSL_CA');
  if (ca) ssl.ca = ca;
  const cert = pem('KAFKA_SSL_CERT');
  if (cert) ssl.cert = cert;
  const key = pem('KAFKA_SSL_KEY');
  if (key) ssl.key = key;
  const passphrase = get('KAFKA_SSL_KEY_PASSPHRASE');
  if (passphrase) ssl.passphrase = passphrase;
  const reject = bool(get('KAFKA_SSL_REJECT_UNAUTHORIZED'));
  if (reject !== undefined) ssl.rejectUnauthorized = reject;
  const sslOn = bool(get('KAFKA_SSL') ?? get('KAFKA_SSL_ENABLED'));
  if (Object.keys(ssl).length > 0 && sslOn !== false) options.ssl = ssl;
  else if (sslOn) options.ssl = true;
  const saslOn = bool(get('KAFKA_SASL_ENABLED'));
  const mechanism = get('KAFKA_SASL_MECHANISM') ?? (saslOn ? 'plain' : undefined);
  if (mechanism && saslOn !== false) {
    options.sasl = {
      mechanism: mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512',
      username: get('KAFKA_SASL_USERNAME') ?? '',
      password: get('KAFKA_SASL_PASSWORD') ?? '',
    };
  }
  const timeout = int(get('KAFKA_CONNECTION_TIMEOUT'), 'KAFKA_CONNECTION_TIMEOUT');
  if (timeout !== undefined) options.connectionTimeoutMs = timeout;
  const compression = get('KAFKA_COMPRESSION');
  if (compression) options.producer = { compression: compression.toLowerCase() as 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' };
  const acks = acksOf(get('KAFKA_PRODUCER_ACKS'));
  if (acks !== undefined) options.producer = { ...options.producer, acks };
  const logLevel = get('KAFKA_LOG_LEVEL');
  if (logLevel) options.logLevel = logLevel.toLowerCase() as KafkaConfig['logLevel'];
  const registryUrl = get('SCHEMA_REGISTRY_URL');
  if (registryUrl) {
    const registry: SchemaRegistryOptions = { url: registryUrl };
    const user = get('SCHEMA_REGISTRY_USERNAME');
    if (user) registry.username = user;
    const password = get('SCHEMA_REGISTRY_PASSWORD');
    if (password) registry.password = password;
    const registryCa = pem('SCHEMA_REGISTRY_CA');
    if (registryCa) registry.ca = registryCa;
    options.schemaRegistry = registry;
  }
  return {
    ...options,
    ...overrides,
    producer: { ...options.producer, ...overrides.producer },
    ...(options.librdkafka || overrides.librdkafka ? { librdkafka: { ...options.librdkafka, ...overrides.librdkafka } } : {}),
  };
}
