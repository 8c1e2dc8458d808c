// kafkajs' `Consumer` over one `KafkaService` subscription. The engine keeps the at-least-once
// contract (an offset is stored only after the handler resolved for it), retries a failing
// handler with backoff, and heartbeats on its own; this class maps kafkajs' calls and payloads.

import type { NativeEachBatchPayload as NativeBatchPayload, NativeEachMessagePayload as NativeMessagePayload, KafkaAdmin, KafkaService, Subscription, SubscribeOptions } from '../native/binding';
import { checkRetry } from './config';
import { PartitionAssigners, logLevel } from './enums';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNotImplemented, refuse, toKafkaJSError } from './errors';
import { commitOffsetsPayload, emitFetchRounds, emitHeartbeats } from './engine-reports';
import { GroupJoinWatch } from './group-join';
import { Instrumentation, consumerEvents, type ConsumerEventName } from './events';
import { kafkajsGroup } from './member-assignment';
import { networkOptions } from './network-events';
import { PendingSeeks } from './seek';
import type { ClientFactory } from './producer';
import { ClientServices } from './services';
import type {
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  GroupDescription,
  InstrumentationEvent,
  KafkaMessage,
  Logger,
  RetryOptions,
  TopicPartition,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from './types';

/** Not in kafkajs: engine subscription settings `run()` passes through (e.g. `fromTimestamp`). */
export type KafkaNativeRunOptions = Partial<Omit<SubscribeOptions, 'groupId' | 'topics' | 'onError' | 'onCommit' | 'onHeartbeat' | 'onFetch'>>;

type Librdkafka = Record<string, string | number | boolean>;

export class Consumer {
  readonly events = consumerEvents;
  private readonly instrumentation = new Instrumentation<ConsumerEventName>(consumerEvents, (message) => this.factory.log.emit('Consumer', logLevel.WARN, message));
  private watch?: GroupJoinWatch;
  private readonly groupId: string;
  private readonly librdkafka: Librdkafka = {};
  private readonly sessionTimeoutMs?: number;
  /** How long `run()` waits for the first assignment: a join takes up to a rebalance timeout. */
  private readonly firstJoinBoundMs: number;
  private readonly retry: RetryOptions;
  private service?: KafkaService;
  private subscription?: Subscription;
  private topics: Array<string | RegExp> = [];
  private fromBeginning?: boolean;
  private running = false;
  private runConfig?: ConsumerRunConfig & { kafkaNative?: KafkaNativeRunOptions };
  private restartTimer?: NodeJS.Timeout;
  /** Counts `run()`s and `stop()`s: a crash, restart or start of an earlier run must not act on a later state. */
  private runs = 0;
  /** The `start()` under way, which `stop()` waits for (it stops what it created). */
  private starting?: Promise<void>;
  private disconnecting?: Promise<void>;
  private readonly engines: ClientServices;
  private readonly pausedTopics = new Map<string, Set<number> | 'all'>();
  private pauseChanged = signal();
  private stopping = signal();
  private lastHandlerError: unknown;
  private nativeAdmin?: KafkaAdmin;
  private readonly seeks = new PendingSeeks(
    () => (this.running ? this.subscription : undefined),
    (message) => this.factory.log.emit('Consumer', 2, message, { groupId: this.groupId }),
  );

  constructor(
    private readonly factory: ClientFactory,
    config: ConsumerConfig,
  ) {
    if (!config || typeof config.groupId !== 'string' || config.groupId === '') {
      throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.', { code: 'ERR_INVALID_CONFIG' });
    }
    this.groupId = config.groupId;
    this.engines = new ClientServices(factory, 'consumer', () => networkOptions(this.instrumentation, consumerEvents, factory.clientId));
    const assigners = config.partitionAssigners;
    if (assigners !== undefined && (!Array.isArray(assigners) || assigners.some((a) => typeof a !== 'function'))) {
      throw new KafkaJSNonRetriableError('partitionAssigners must be an array of assigner factories', { code: 'ERR_INVALID_CONFIG' });
    }
    // librdkafka cannot host a JS assignor: with a custom one its own assignors share the
    // partitions (see PartitionAssigners), and the consumer says so when it is created.
    const custom = (assigners ?? []).filter((a) => a !== PartitionAssigners.roundRobin);
    if (custom.length === 0 && assigners !== undefined && assigners.length > 0) this.librdkafka['partition.assignment.strategy'] = 'roundrobin';
    if (custom.length > 0) {
      factory.log.emit('Consumer', logLevel.INFO, "partitionAssigners: a custom assigner's protocol() and assign() are not called; librdkafka's range,roundrobin assign the partitions", {
        groupId: config.groupId,
      });
    }
    checkRetry(config.retry, 'consumer retry');
    this.retry = config.retry ?? {};
    this.sessionTimeoutMs = config.sessionTimeout;
    this.firstJoinBoundMs = Math.max(config.rebalanceTimeout ?? 60000, config.sessionTimeout ?? 30000);
    const set = (key: string, value: number | string | boolean | undefined) => {
      if (value !== undefined) this.librdkafka[key] = value;
    };
    set('max.poll.interval.ms', config.rebalanceTimeout);
    set('heartbeat.interval.ms', config.heartbeatInterval);
    set('topic.metadata.refresh.interval.ms', config.metadataMaxAge);
    set('max.partition.fetch.bytes', config.maxBytesPerPartition);
    set('fetch.min.bytes', config.minBytes);
    set('fetch.max.bytes', config.maxBytes);
    set('fetch.wait.max.ms', config.maxWaitTimeInMs);
    set('allow.auto.create.topics', config.allowAutoTopicCreation ?? true);
    set('max.in.flight.requests.per.connection', config.maxInFlightRequests ?? undefined);
    set('client.rack', config.rackId);
    if (config.readUncommitted !== undefined) set('isolation.level', config.readUncommitted ? 'read_uncommitted' : 'read_committed');
  }

  /** Creates the consumer's client and waits for the cluster's metadata. */
  async connect(): Promise<void> {
    if (this.service) return;
    this.service = await this.engines.connect({ librdkafka: this.librdkafka });
    this.instrumentation.emit(consumerEvents.CONNECT);
  }

  /** Adds topics (names or RegExps, matched against the cluster's topics at `run()`). */
  async subscribe(subscription: ConsumerSubscribeTopic | ConsumerSubscribeTopics): Promise<void> {
    if (this.running) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running', { code: 'ERR__STATE' });
    const s = subscription as Partial<ConsumerSubscribeTopic & ConsumerSubscribeTopics>;
    const topics = s.topics ?? (s.topic !== undefined ? [s.topic] : []);
    if (topics.length === 0 || topics.some((t) => !(typeof t === 'string' && t !== '') && !(t instanceof RegExp))) {
      throw new KafkaJSNonRetriableError(`Invalid topics array ${JSON.stringify(topics)}`, { code: 'ERR_INVALID_ARG' });
    }
    const fromBeginning = s.fromBeginning ?? false;
    if (this.fromBeginning !== undefined && this.fromBeginning !== fromBeginning) {
      throw new KafkaJSNotImplemented('subscribing topics of one consumer with different fromBeginning values', 'use one consumer per setting');
    }
    this.fromBeginning = fromBeginning;
    this.topics.push(...topics);
  }

  /**
   * Starts consuming; resolves once the member joined its group, has its first assignment
   * (GROUP_JOIN emitted) and the positions it starts from are known, as kafkajs does: a message
   * published after `run()` resolved is consumed, also by a new group starting at the latest
   * offset. Without subscribed topics it starts nothing and resolves (kafkajs allows that;
   * NestJS's emit-only clients do it).
   */
  async run(config: ConsumerRunConfig & { kafkaNative?: KafkaNativeRunOptions } = {}): Promise<void> {
    if (this.running) throw new KafkaJSNonRetriableError('Consumer is already running');
    if (!this.service) throw new KafkaJSNonRetriableError('Consumer is not connected; call connect() first', { code: 'ERR_DISCONNECTED' });
    if (!config.eachMessage === !config.eachBatch) {
      throw new KafkaJSNonRetriableError('Consumer run() needs exactly one of eachMessage or eachBatch', { code: 'ERR_INVALID_ARG' });
    }
    if (config.autoCommitThreshold != null) {
      throw new KafkaJSNotImplemented('autoCommitThreshold', 'offsets are committed on autoCommitInterval, rebalance and stop');
    }
    if (config.eachBatchAutoResolve === false) {
      throw new KafkaJSNotImplemented('eachBatchAutoResolve: false', 'a batch whose handler resolves counts as processed; throw to have it delivered again');
    }
    // A new engine service for an interval, or for network listeners added after connect().
    if (config.autoCommitInterval != null || this.engines.networkOutdated(this.service)) {
      const previous = this.service;
      const librdkafka = config.autoCommitInterval != null ? { ...this.librdkafka, 'auto.commit.interval.ms': config.autoCommitInterval } : this.librdkafka;
      const replacement = await this.engines.connect({ librdkafka });
      if (this.service !== previous || this.running) {
        await this.engines.close(replacement);
        throw new KafkaJSNonRetriableError('The consumer was stopped, disconnected or started while run() prepared it', { code: 'ERR_DISCONNECTED' });
      }
      this.service = replacement;
      await this.engines.close(previous);
    }
    this.runConfig = config;
    this.running = true;
    this.runs += 1;
    try {
      await this.start();
    } catch (e) {
      this.running = false;
      throw toKafkaJSError(e);
    }
  }

  /**
   * Commits the offsets of every message whose handler has finished (the engine's at-least-once
   * commit). The offsets given are checked against the subscription; the engine does not commit
   * an arbitrary offset (rewinding is `admin.resetOffsets` on a stopped group).
   */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (!Array.isArray(offsets)) throw new KafkaJSNonRetriableError('commitOffsets needs an array of {topic, partition, offset}', { code: 'ERR_INVALID_ARG' });
    const subscription = this.subscription;
    if (!subscription || !this.running) throw new KafkaJSNonRetriableError('Consumer is not running', { code: 'ERR_DISCONNECTED' });
    await this.commitUnlessStopping(subscription, true);
  }

  /**
   * kafkajs' seek: the partition's next fetch starts at `offset` ('-2' earliest, '-1' latest),
   * messages already fetched for it are dropped, a running batch finishes (its `isStale()` turns
   * true), and with autoCommit the offset is committed. Needs `run()` first; a seek on a partition
   * not assigned yet applies once it is.
   */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    if (!this.running) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    if (typeof topic !== 'string' || !Number.isInteger(partition) || partition < 0) {
      throw new KafkaJSNonRetriableError('seek() needs {topic, partition, offset}', { code: 'ERR_INVALID_ARG' });
    }
    const text = String(offset);
    if (!/^-?\d+$/.test(text) || Number(text) < -2) {
      throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${text}`, { code: 'ERR_INVALID_ARG' });
    }
    this.seeks.request(topic, partition, text);
  }

  /**
   * Pauses topics (or some of their partitions). Fetching stops when every subscribed partition is
   * paused; a paused partition's remaining messages wait, each holding one of the
   * `partitionsConsumedConcurrently` slots, until `resume`.
   */
  pause(topicPartitions: TopicPartition[]): void {
    for (const { topic, partitions } of checkTopicPartitions(topicPartitions, 'pause')) {
      const current = this.pausedTopics.get(topic);
      if (!partitions) this.pausedTopics.set(topic, 'all');
      else if (current !== 'all') this.pausedTopics.set(topic, new Set([...(current ?? []), ...partitions]));
    }
    this.syncEnginePause();
  }

  resume(topicPartitions: TopicPartition[]): void {
    for (const { topic, partitions } of checkTopicPartitions(topicPartitions, 'resume')) {
      const current = this.pausedTopics.get(topic);
      if (!partitions || current === undefined) {
        this.pausedTopics.delete(topic);
      } else if (current === 'all') {
        const assigned = this.assignedPartitions(topic).filter((p) => !partitions.includes(p));
        if (assigned.length === 0) this.pausedTopics.delete(topic);
        else this.pausedTopics.set(topic, new Set(assigned));
      } else {
        for (const p of partitions) current.delete(p);
        if (current.size === 0) this.pausedTopics.delete(topic);
      }
    }
    this.syncEnginePause();
    this.pauseChanged.fire();
  }

  paused(): TopicPartitions[] {
    return [...this.pausedTopics.entries()].map(([topic, partitions]) => ({
      topic,
      partitions: partitions === 'all' ? this.assignedPartitions(topic) : [...partitions],
    }));
  }

  /**
   * Stops consuming: running handlers finish and their offsets are committed. Final for this
   * run: a pending restart after a crash is cancelled, and a `run()` still joining stops what it
   * created before this resolves.
   */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.runs += 1;
    this.watch?.stop();
    this.watch = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    const starting = this.starting;
    const wasRunning = this.running;
    this.running = false;
    this.pauseChanged.fire();
    this.stopping.fire();
    this.seeks.clear();
    if (subscription) await subscription.stop();
    await starting?.catch(() => undefined);
    this.pausedTopics.clear();
    if (wasRunning) this.instrumentation.emit(consumerEvents.STOP);
  }

  /**
   * Stops (see `stop()`) and closes the consumer's clients, those still connecting too. Final:
   * nothing it raced with starts anything afterwards. A second call made meanwhile resolves with
   * the first.
   */
  disconnect(): Promise<void> {
    this.disconnecting ??= this.disconnectOnce().finally(() => {
      this.disconnecting = undefined;
    });
    return this.disconnecting;
  }

  private async disconnectOnce(): Promise<void> {
    await this.stop();
    const service = this.service;
    this.service = undefined;
    const admin = this.nativeAdmin;
    this.nativeAdmin = undefined;
    await admin?.disconnect().catch(() => undefined);
    await this.engines.closeAll();
    if (service) this.instrumentation.emit(consumerEvents.DISCONNECT);
  }

  /** The group's state and members; rejects with `ERR_DISCONNECTED` before `connect()`. */
  async describeGroup(): Promise<GroupDescription> {
    const admin = this.admin();
    if (!admin) throw new KafkaJSNonRetriableError('Consumer is not connected; call connect() first', { code: 'ERR_DISCONNECTED' });
    return kafkajsGroup(await admin.describeGroup(this.groupId).catch((e: unknown) => Promise.reject(toKafkaJSError(e))));
  }

  logger(): Logger {
    return this.factory.log.logger('Consumer');
  }

  on(eventName: ConsumerEventName, listener: (event: InstrumentationEvent<unknown>) => void): () => void {
    return this.instrumentation.on(eventName, listener);
  }

  /**
   * Commits, but gives up waiting when the consumer stops: a commit awaited inside a handler
   * must not hold up `stop()`, which waits for that handler and commits anyway.
   */
  private async commitUnlessStopping(subscription: Subscription, rethrow: boolean): Promise<void> {
    const commit = subscription.commit().catch((e: unknown) => {
      if (rethrow && this.running) throw toKafkaJSError(e);
    });
    await Promise.race([commit, this.stopping.wait()]);
  }

  private async resolveTopics(service: KafkaService): Promise<string[]> {
    const names = new Set<string>();
    const patterns = this.topics.filter((t): t is RegExp => t instanceof RegExp);
    for (const t of this.topics) if (typeof t === 'string') names.add(t);
    if (patterns.length > 0) {
      const { topics } = await service.connect();
      for (const name of topics) if (patterns.some((p) => p.test(name))) names.add(name);
    }
    if (names.size === 0) throw new KafkaJSNonRetriableError(`No topic of the cluster matches ${patterns.map(String).join(', ')}`);
    return [...names];
  }

  private start(): Promise<void> {
    const starting = this.subscribeRun(this.runs).finally(() => {
      if (this.starting === starting) this.starting = undefined;
    });
    this.starting = starting;
    return starting;
  }

  /** Subscribes for run number `run`; what it creates after that run ended is stopped at once. */
  private async subscribeRun(run: number): Promise<void> {
    const service = this.service;
    const config = this.runConfig;
    if (!service || !config || this.topics.length === 0) return;
    const current = () => this.running && run === this.runs && service === this.service;
    const topics = await this.resolveTopics(service);
    if (!current()) return;
    const options: SubscribeOptions = {
      groupId: this.groupId,
      topics,
      fromBeginning: this.fromBeginning ?? false,
      autoCommit: config.autoCommit ?? true,
      concurrency: Math.max(1, config.partitionsConsumedConcurrently ?? 1),
      onError: (error) => {
        if (run === this.runs) this.crashed(error);
      },
      // Commits and heartbeats are few (intervals, rebalances, stops): reported always, so that a
      // listener added after run() hears them. Poll rounds are many: counted only for a listener
      // present at run() (a later one is heard from the next run()).
      onCommit: (commit) => {
        if (this.instrumentation.has(consumerEvents.COMMIT_OFFSETS)) this.instrumentation.emit(consumerEvents.COMMIT_OFFSETS, commitOffsetsPayload(commit));
      },
      onHeartbeat: (heartbeat) => {
        if (this.instrumentation.has(consumerEvents.HEARTBEAT)) emitHeartbeats(this.instrumentation, heartbeat);
      },
      ...config.kafkaNative,
    };
    if (this.instrumentation.has(consumerEvents.FETCH_START) || this.instrumentation.has(consumerEvents.FETCH)) {
      options.onFetch = (rounds) => emitFetchRounds(this.instrumentation, rounds);
    }
    if (this.sessionTimeoutMs !== undefined) options.sessionTimeoutMs = this.sessionTimeoutMs;
    if (this.retry.retries !== undefined) options.retries = this.retry.retries;
    if (this.retry.initialRetryTime !== undefined) options.retryBackoffMs = this.retry.initialRetryTime;
    const handler = config.eachMessage
      ? { eachMessage: this.eachMessage(config.eachMessage) }
      : { eachBatch: this.eachBatch(config.eachBatch as NonNullable<ConsumerRunConfig['eachBatch']>) };
    const subscription = await service.subscribe(options, handler);
    if (!current()) {
      await subscription.stop();
      return;
    }
    this.subscription = subscription;
    this.syncEnginePause();
    this.watch?.stop();
    const watch = new GroupJoinWatch(this.groupId, subscription, this.instrumentation, () => this.admin());
    this.watch = watch;
    // The engine resolves "latest" start positions before it reports the assignment, so a
    // message published once the first join is seen is always consumed (as with kafkajs).
    await watch.firstJoin(this.firstJoinBoundMs);
  }

  private admin(): KafkaAdmin | undefined {
    if (!this.nativeAdmin && this.service) this.nativeAdmin = this.service.admin();
    return this.nativeAdmin;
  }

  /** kafkajs restarts a crashed consumer when `retry.restartOnFailure` (default: always) says so. */
  private crashed(error: unknown): void {
    const kafkajsError = toKafkaJSError(error);
    // As in kafkajs, the error the handler threw is the crash error's `originalError`.
    if (this.lastHandlerError !== undefined) Object.assign(kafkajsError, { originalError: this.lastHandlerError });
    const restartOnFailure = this.retry.restartOnFailure ?? (async () => true);
    const crashedSubscription = this.subscription;
    this.subscription = undefined;
    // A stop() (or disconnect()) from here on, even from a CRASH listener, cancels the restart.
    const run = this.runs;
    const current = () => this.running && run === this.runs;
    void (async () => {
      let restart: boolean;
      try {
        restart = current() && (await restartOnFailure(kafkajsError));
      } catch {
        restart = false;
      }
      restart = restart && current();
      this.instrumentation.emit(consumerEvents.CRASH, { error: kafkajsError, groupId: this.groupId, restart });
      this.factory.log.emit('Consumer', 1, `Crash: ${kafkajsError.name}: ${kafkajsError.message}`, { groupId: this.groupId, restart });
      if (!restart) {
        if (run === this.runs) this.running = false;
        return;
      }
      if (!current()) return;
      // The crashed member first commits what its handlers finished and leaves the group, as
      // kafkajs disconnects before it restarts: a new member joining earlier would be handed the
      // partitions at the older committed offsets and see those messages again.
      await crashedSubscription?.stop().catch(() => undefined);
      if (!current()) return;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!current()) return;
        this.start().catch((e: unknown) => {
          if (current()) this.crashed(e);
        });
      }, this.retry.initialRetryTime ?? 300);
    })();
  }

  private isPaused(topic: string, partition: number): boolean {
    const p = this.pausedTopics.get(topic);
    return p === 'all' || (p !== undefined && p.has(partition));
  }

  private async waitWhilePaused(topic: string, partition: number): Promise<void> {
    while (this.isPaused(topic, partition)) {
      if (!this.running) throw new KafkaJSError('The consumer stopped while the partition was paused', { retriable: false });
      await this.pauseChanged.wait();
    }
  }

  private pauseOne(topic: string, partition: number): () => void {
    this.pause([{ topic, partitions: [partition] }]);
    return () => this.resume([{ topic, partitions: [partition] }]);
  }

  private assignedPartitions(topic: string): number[] {
    const subscription = this.subscription;
    if (!subscription) return [];
    return subscription
      .assignments()
      .filter((a) => a.topic === topic)
      .map((a) => a.partition)
      .sort((a, b) => a - b);
  }

  /** Pauses fetching in the engine when nothing subscribed is left to deliver. */
  private syncEnginePause(): void {
    const subscription = this.subscription;
    if (!subscription) return;
    const assigned = subscription.assignments();
    const everything =
      this.pausedTopics.size > 0 &&
      (assigned.length > 0 ? assigned.every((a) => this.isPaused(a.topic, a.partition)) : [...this.pausedTopics.values()].every((p) => p === 'all'));
    if (everything && !subscription.paused) subscription.pause();
    else if (!everything && subscription.paused) subscription.resume();
  }

  private eachMessage(user: NonNullable<ConsumerRunConfig['eachMessage']>) {
    return async (p: NativeMessagePayload): Promise<void> => {
      const { topic, partition } = p;
      if (this.pausedTopics.size > 0) await this.waitWhilePaused(topic, partition);
      const payload: EachMessagePayload = {
        topic,
        partition,
        // The engine's unpack (js_support.js) already gives kafkajs' shape, `null` for an absent key or value.
        message: p.message as unknown as KafkaMessage,
        heartbeat: p.heartbeat,
        pause: () => this.pauseOne(topic, partition),
      };
      try {
        await user(payload);
      } catch (e) {
        this.lastHandlerError = e;
        throw e;
      }
    };
  }

  private eachBatch(user: NonNullable<ConsumerRunConfig['eachBatch']>) {
    return async (p: NativeBatchPayload): Promise<void> => {
      const native = p.batch;
      const { topic, partition } = native;
      if (this.pausedTopics.size > 0) await this.waitWhilePaused(topic, partition);
      // A copy: the handler may reorder its array without touching what resolveOffset reads.
      const messages = native.messages.slice() as unknown as KafkaMessage[];
      const seekGeneration = this.seeks.generation(topic, partition);
      let resolved: string | undefined;
      const lag = () => this.lagOf(topic, partition);
      const last = () => (messages.length ? messages[messages.length - 1].offset : String(-1));
      const batch: Batch = {
        topic,
        partition,
        messages,
        get highWatermark() {
          return String(Number(last()) + 1 + lag());
        },
        isEmpty: () => messages.length === 0,
        firstOffset: () => (messages.length ? messages[0].offset : null),
        lastOffset: last,
        offsetLag: () => String(lag()),
        offsetLagLow: () => String(lag() + messages.length - 1),
      };
      const payload: EachBatchPayload = {
        batch,
        resolveOffset: (offset: string) => {
          resolved = String(offset);
          p.resolveOffset(resolved);
        },
        heartbeat: p.heartbeat,
        pause: () => this.pauseOne(topic, partition),
        commitOffsetsIfNecessary: async (offsets?: unknown) => {
          refuse(offsets, 'commitOffsetsIfNecessary(offsets)', 'call it without arguments');
          // Offsets of this batch are stored when the handler resolves; earlier ones commit now.
          const subscription = this.subscription;
          if (this.runConfig?.autoCommit === false || !subscription || !this.running) return;
          await this.commitUnlessStopping(subscription, false);
        },
        uncommittedOffsets: () => ({
          topics: resolved === undefined ? [] : [{ topic, partitions: [{ partition, offset: String(Number(resolved) + 1) }] }],
        }),
        isRunning: () => this.running,
        isStale: () => !this.running || !this.assignedPartitions(topic).includes(partition) || this.seeks.generation(topic, partition) !== seekGeneration,
      };
      const report = this.instrumentation.has(consumerEvents.START_BATCH_PROCESS) || this.instrumentation.has(consumerEvents.END_BATCH_PROCESS);
      const started = Date.now();
      const described = report
        ? {
            topic,
            partition,
            highWatermark: batch.highWatermark,
            offsetLag: batch.offsetLag(),
            offsetLagLow: batch.offsetLagLow(),
            batchSize: messages.length,
            firstOffset: batch.firstOffset(),
            lastOffset: batch.lastOffset(),
          }
        : undefined;
      if (described) this.instrumentation.emit(consumerEvents.START_BATCH_PROCESS, described);
      try {
        await user(payload);
      } catch (e) {
        this.lastHandlerError = e;
        throw e;
      }
      if (described) this.instrumentation.emit(consumerEvents.END_BATCH_PROCESS, { ...described, duration: Date.now() - started });
    };
  }

  private lagOf(topic: string, partition: number): number {
    const service = this.service;
    if (!service) return 0;
    const row = service.stats().consumer.lag.find((l) => l.topic === topic && l.partition === partition);
    return row ? Math.max(0, row.lag) : 0;
  }
}

function checkTopicPartitions(list: TopicPartition[], what: string): TopicPartition[] {
  if (!Array.isArray(list) || list.some((t) => !t || typeof t.topic !== 'string')) {
    throw new KafkaJSNonRetriableError(`${what}() needs an array of {topic, partitions?}`, { code: 'ERR_INVALID_ARG' });
  }
  return list;
}

/** A promise that resolves at the next `fire()`, renewed each time. */
function signal(): { wait(): Promise<void>; fire(): void } {
  let release!: () => void;
  let current = new Promise<void>((r) => (release = r));
  return {
    wait: () => current,
    fire: () => {
      const done = release;
      current = new Promise<void>((r) => (release = r));
      done();
    },
  };
}
