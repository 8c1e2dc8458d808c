// Options of `KafkaNativeModule`, and the reading of the usual `KAFKA_*` environment settings
// (through `ConfigService` or `process.env`).

import { readFileSync } from 'fs';
import type { ModuleMetadata } from '@nestjs/common';
import type { KafkaConfig, SchemaRegistryOptions, SslOptions } from '../native/binding';

export interface KafkaNativeModuleOptions extends KafkaConfig {
  /**
   * Connect (wait for the cluster's metadata) when the module initialises, so that the
   * application does not start without Kafka. Default true.
   */
  connectOnInit?: boolean;
  /** Longest wait for queued messages when the application shuts down. Default 10000. */
  disconnectTimeoutMs?: number;
  /**
   * A Confluent-API Schema Registry: the module provides `SchemaRegistry` and gives it to the
   * `KafkaService` (`publish(..., {schema})`, `@KafkaSubscriber({decode: true})`).
   */
  schemaRegistry?: SchemaRegistryOptions;
}

export interface KafkaNativeModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Register the module globally (one `KafkaService` for the whole application). */
  global?: boolean;
  useFactory: (...args: any[]) => KafkaNativeModuleOptions | Promise<KafkaNativeModuleOptions>;
  inject?: any[];
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
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key} must be a number of milliseconds (got '${v}')`);
  return Math.round(n);
}

/**
 * Kafka settings from `KAFKA_*` variables: KAFKA_BROKERS (comma-separated; default
 * localhost:9092), KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SSL_CA / _CERT / _KEY (PEM, or the
 * KAFKA_SSL_CA_FILE / _CERT_FILE / _KEY_FILE paths), KAFKA_SSL_KEY_PASSPHRASE,
 * KAFKA_SSL_REJECT_UNAUTHORIZED, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD,
 * KAFKA_CONNECTION_TIMEOUT (ms), KAFKA_COMPRESSION, KAFKA_LOG_LEVEL; and the Schema Registry from
 * SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD, SCHEMA_REGISTRY_CA (PEM,
 * or SCHEMA_REGISTRY_CA_FILE). `overrides` win.
 */
export function kafkaOptionsFromConfig(source: ConfigSource, overrides: Partial<KafkaNativeModuleOptions> = {}): KafkaNativeModuleOptions {
  const get = reader(source);
  const options: KafkaNativeModuleOptions = { brokers: get('KAFKA_BROKERS') ?? 'localhost:9092' };
  const clientId = get('KAFKA_CLIENT_ID');
  if (clientId) options.clientId = clientId;
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
  const sslOn = bool(get('KAFKA_SSL'));
  if (Object.keys(ssl).length > 0 && sslOn !== false) options.ssl = ssl;
  else if (sslOn) options.ssl = true;
  const mechanism = get('KAFKA_SASL_MECHANISM');
  if (mechanism) {
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
  return { ...options, ...overrides, producer: { ...options.producer, ...overrides.producer } };
}
