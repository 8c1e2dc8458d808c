// `KafkaNativeModule.forRoot(options)` / `forRootAsync({imports, useFactory, inject})`: provides
// `KafkaService` (connected on init, flushed and disconnected on shutdown), runs the
// `@KafkaSubscriber` methods, and provides `KafkaHealthIndicator` and (with `schemaRegistry`) the
// `SchemaRegistry` the service encodes and decodes through.

import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KafkaService, SchemaRegistry } from '../native/binding';
import { KafkaHealthIndicator } from './kafka.health';
import { KafkaNativeRuntime } from './kafka-native.runtime';
import { nestLogBridge } from './logger';
import type { KafkaNativeModuleAsyncOptions, KafkaNativeModuleOptions } from './options';
import { KAFKA_NATIVE_OPTIONS } from './tokens';

/** The registry of these options, or null without `schemaRegistry`. */
function createRegistry(options: KafkaNativeModuleOptions): SchemaRegistry | null {
  return options.schemaRegistry ? new SchemaRegistry(options.schemaRegistry) : null;
}

/** The service of these options; engine logs go to Nest's Logger unless a `logger` is given. */
function createService(options: KafkaNativeModuleOptions, registry: SchemaRegistry | null): KafkaService {
  const { connectOnInit: _connect, disconnectTimeoutMs: _timeout, groupId: _group, schemaRegistry: _registry, ...config } = options;
  const service = new KafkaService({ ...config, logger: config.logger ?? nestLogBridge() });
  if (registry) service.useSchemaRegistry(registry);
  return service;
}

const shared: Provider[] = [
  { provide: SchemaRegistry, useFactory: createRegistry, inject: [KAFKA_NATIVE_OPTIONS] },
  { provide: KafkaService, useFactory: createService, inject: [KAFKA_NATIVE_OPTIONS, SchemaRegistry] },
  KafkaNativeRuntime,
  KafkaHealthIndicator,
];
const exported = [KafkaService, SchemaRegistry, KafkaHealthIndicator, KafkaNativeRuntime, KAFKA_NATIVE_OPTIONS];

@Module({})
export class KafkaNativeModule {
  static forRoot(options: KafkaNativeModuleOptions & { global?: boolean }): DynamicModule {
    const { global = false, ...rest } = options;
    return {
      module: KafkaNativeModule,
      global,
      imports: [DiscoveryModule],
      providers: [{ provide: KAFKA_NATIVE_OPTIONS, useValue: rest }, ...shared],
      exports: exported,
    };
  }

  static forRootAsync(options: KafkaNativeModuleAsyncOptions): DynamicModule {
    return {
      module: KafkaNativeModule,
      global: options.global ?? false,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [{ provide: KAFKA_NATIVE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ...shared],
      exports: exported,
    };
  }
}
