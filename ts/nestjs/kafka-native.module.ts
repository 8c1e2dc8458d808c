// `KafkaNativeModule.forRoot(options)` / `forRootAsync({imports, useFactory, inject})`: provides
// `KafkaService` (connected on init, flushed and disconnected on shutdown), runs the
// `@KafkaSubscriber` methods, and provides `KafkaHealthIndicator`.

import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KafkaService } from '../native/binding';
import { KafkaHealthIndicator } from './kafka.health';
import { KafkaNativeRuntime } from './kafka-native.runtime';
import { nestLogBridge } from './logger';
import type { KafkaNativeModuleAsyncOptions, KafkaNativeModuleOptions } from './options';
import { KAFKA_NATIVE_OPTIONS } from './tokens';

/** The service of these options; engine logs go to Nest's Logger unless a `logger` is given. */
function createService(options: KafkaNativeModuleOptions): KafkaService {
  const { connectOnInit: _connect, disconnectTimeoutMs: _timeout, groupId: _group, ...config } = options;
  return new KafkaService({ ...config, logger: config.logger ?? nestLogBridge() });
}

const shared: Provider[] = [
  { provide: KafkaService, useFactory: createService, inject: [KAFKA_NATIVE_OPTIONS] },
  KafkaNativeRuntime,
  KafkaHealthIndicator,
];
const exported = [KafkaService, KafkaHealthIndicator, KafkaNativeRuntime, KAFKA_NATIVE_OPTIONS];

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
