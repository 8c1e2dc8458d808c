// The module's lifecycle: connect on init, subscribe every `@KafkaSubscriber` method at
// bootstrap, stop the subscriptions when the module is destroyed, and flush and disconnect on
// application shutdown (`app.close()`, or a signal with `app.enableShutdownHooks()`).

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { KafkaService, type NativeEachMessagePayload, type Subscription } from '../native/binding';
import { nativeError } from '../native/errors';
import { subscriberRetry, withFailureLog } from './dead-letter';
import type { KafkaNativeModuleOptions } from './options';
import type { KafkaSubscriberOptions } from './subscriber.decorator';
import { KAFKA_NATIVE_OPTIONS, KAFKA_SUBSCRIBER_METADATA } from './tokens';

/** A discovered `@KafkaSubscriber` method and its running subscription. */
export interface SubscriberState {
  /** `ClassName.method`. */
  name: string;
  options: KafkaSubscriberOptions;
  subscription?: Subscription;
  /** Set when the subscription stopped on its own (a message kept failing without a dead-letter topic). */
  failed?: unknown;
}

const DEFAULT_RETRIES = 5;

@Injectable()
export class KafkaNativeRuntime implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('KafkaNative');
  private readonly states: SubscriberState[] = [];
  private stopping = false;

  constructor(
    private readonly service: KafkaService,
    @Inject(KAFKA_NATIVE_OPTIONS) private readonly options: KafkaNativeModuleOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** The discovered subscribers and whether each is running. */
  subscribers(): ReadonlyArray<SubscriberState> {
    return this.states;
  }

  async onModuleInit(): Promise<void> {
    if (this.options.connectOnInit === false) return;
    const info = await this.service.connect();
    this.logger.log(`Connected to Kafka (${info.brokers.length} brokers, ${info.topics.length} topics)`);
  }

  async onApplicationBootstrap(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance) || !wrapper.isDependencyTreeStatic()) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const options = this.reflector.get<KafkaSubscriberOptions | undefined>(KAFKA_SUBSCRIBER_METADATA, fn as () => void);
        if (!options) continue;
        if (this.stopping) return;
        await this.start(`${instance.constructor.name}.${method}`, options, (fn as (p: NativeEachMessagePayload) => unknown).bind(instance));
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.states.map((s) => s.subscription?.stop().catch(() => undefined)));
  }

  /** Stops this subscription if the module is already shutting down; true then. */
  private async stoppedAtShutdown(subscription: Subscription): Promise<boolean> {
    if (!this.stopping) return false;
    await subscription.stop().catch(() => undefined);
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.service.disconnect({ timeoutMs: this.options.disconnectTimeoutMs ?? 10000 });
    this.logger.log('Disconnected from Kafka');
  }

  private async start(name: string, options: KafkaSubscriberOptions, method: (p: NativeEachMessagePayload) => unknown): Promise<void> {
    const { topics, deadLetterTopic, retry: ladder, retries = DEFAULT_RETRIES, ...rest } = options;
    const groupId = options.groupId ?? this.options.groupId;
    if (!groupId) {
      throw nativeError(`${name}: @KafkaSubscriber needs a groupId (or the module's groupId, KAFKA_CONSUMER_GROUP)`, 'ERR_INVALID_CONFIG', false);
    }
    const state: SubscriberState = { name, options };
    const retry = subscriberRetry(ladder, deadLetterTopic);
    const next = ladder?.delays?.length ? 'the retry ladder' : deadLetterTopic;
    const handler = withFailureLog(async (payload) => {
      await method(payload);
    }, {
      retries,
      onFailure: (payload, error, attempt, final) => {
        const where = `${payload.topic}[${payload.partition}]@${payload.message.offset}`;
        const what = `${name} failed on ${where} (attempt ${attempt} of ${retries + 1})`;
        const trace = error instanceof Error ? error.stack : String(error);
        if (final) this.logger.error(`${what}${next ? `; sending it to ${next}` : '; giving up'}`, trace);
        else this.logger.warn(`${what}; retrying: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    state.subscription = await this.service.subscribe(
      {
        ...rest,
        groupId,
        topics: [topics].flat(),
        retries,
        retry,
        onError: (error) => {
          if (this.stopping) return;
          state.failed = error;
          this.logger.error(
            `${name} stopped consuming ${[topics].flat().join(', ')} (group ${groupId}): ${error.code}: ${error.message}`,
          );
        },
      },
      { eachMessage: handler },
    );
    // A subscribe still joining when the module began shutting down is stopped, not kept.
    if (await this.stoppedAtShutdown(state.subscription)) return;
    this.states.push(state);
    this.logger.log(`${name} subscribed to ${[topics].flat().join(', ')} as group ${groupId}`);
  }
}
