// kafkajs' `Producer` over `KafkaService`. acks and compression are per send in kafkajs but per
// librdkafka producer in the engine, so the producer keeps one engine service per (acks, codec)
// pair that its sends use, created on first use; most applications use exactly one. A custom
// `createPartitioner` (kafkajs' `LegacyPartitioner` among them) runs in JS and gives every message
// an explicit partition; the default one is the engine's own, identical, murmur2 mapping.

import { KafkaService, type BatchPublishResult, type KafkaConfig as NativeKafkaConfig, type PublishMessage } from '../native/binding';
import { checkRetry } from './config';
import { CompressionTypes, Partitioners, codecName, logLevel } from './enums';
import type { PartitionerArgs } from './partitioners';
import { TopicMetadata } from './topic-metadata';
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSRequestTimeoutError,
  kafkajsErrors,
  refuse,
  toKafkaJSError,
} from './errors';
import { Instrumentation, producerEvents, type ProducerEventName } from './events';
import type { LogSink } from './logging';
import { networkOptions, type NetworkOptions } from './network-events';
import { ClientServices } from './services';
import { Transaction } from './transaction';
import type { InstrumentationEvent, Logger, Message, ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata, TopicMessages } from './types';

/** What a producer needs of its `Kafka`. */
export interface ClientFactory {
  log: LogSink;
  /** The client id the brokers see (kafkajs' default: 'kafkajs'). */
  clientId: string;
  service(own: {
    network?: NetworkOptions;
    librdkafka?: Record<string, string | number | boolean>;
    producer?: NativeKafkaConfig['producer'];
    transactionalId?: string;
    transactionTimeoutMs?: number;
  }): Promise<KafkaService>;
}

type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export class Producer {
  readonly events = producerEvents;
  private readonly services = new Map<string, Promise<KafkaService>>();
  private readonly engines: ClientServices;
  private readonly instrumentation = new Instrumentation<ProducerEventName>(producerEvents, (message) => this.factory.log.emit('Producer', logLevel.WARN, message));
  private readonly idempotent: boolean;
  private readonly defaultCodec: Codec;
  private readonly librdkafka: Record<string, string | number | boolean> = {};
  private readonly maxInFlight?: number;
  private readonly partitioner?: (args: PartitionerArgs) => number;
  private readonly metadata: TopicMetadata;
  private readonly transactional?: { transactionalId: string; transactionTimeoutMs?: number };
  private activeTransaction?: Transaction;
  private connected = false;

  constructor(
    private readonly factory: ClientFactory,
    config: ProducerConfig = {},
  ) {
    this.engines = new ClientServices(factory, 'producer', () => networkOptions(this.instrumentation, producerEvents, factory.clientId));
    if (config.transactionalId !== undefined) {
      if (typeof config.transactionalId !== 'string' || config.transactionalId === '') {
        throw new KafkaJSNonRetriableError('transactionalId must be a non-empty string', { code: 'ERR_INVALID_CONFIG' });
      }
      this.transactional = { transactionalId: config.transactionalId, transactionTimeoutMs: config.transactionTimeout };
    }
    const create = config.createPartitioner;
    if (create !== undefined && typeof create !== 'function') {
      throw new KafkaJSNonRetriableError('createPartitioner must be a function', { code: 'ERR_INVALID_CONFIG' });
    }
    if (create !== undefined && create !== Partitioners.DefaultPartitioner && create !== Partitioners.JavaCompatiblePartitioner) {
      this.partitioner = create();
    }
    this.metadata = new TopicMetadata(config.metadataMaxAge ?? 300000, config.allowAutoTopicCreation ?? true);
    checkRetry(config.retry, 'producer retry');
    refuse(config.retry?.restartOnFailure, 'producer retry.restartOnFailure');
    // As in kafkajs, a transactional producer is idempotent.
    this.idempotent = this.transactional !== undefined || (config.idempotent ?? false);
    const codec = codecName(config.compression ?? CompressionTypes.None);
    if (codec === undefined) throw new KafkaJSNonRetriableError(`Unsupported compression codec ${String(config.compression)}`);
    this.defaultCodec = codec;
    this.librdkafka['allow.auto.create.topics'] = config.allowAutoTopicCreation ?? true;
    if (config.metadataMaxAge !== undefined) this.librdkafka['topic.metadata.refresh.interval.ms'] = config.metadataMaxAge;
    if (config.retry?.retries !== undefined) this.librdkafka['message.send.max.retries'] = config.retry.retries;
    if (config.retry?.initialRetryTime !== undefined) this.librdkafka['retry.backoff.ms'] = config.retry.initialRetryTime;
    if (config.retry?.maxRetryTime !== undefined) this.librdkafka['retry.backoff.max.ms'] = config.retry.maxRetryTime;
    if (config.maxInFlightRequests != null) this.maxInFlight = config.maxInFlightRequests;
  }

  /** Creates the producer and waits for the cluster's metadata. */
  async connect(): Promise<void> {
    await this.service(-1, this.defaultCodec);
    this.connected = true;
    this.instrumentation.emit(producerEvents.CONNECT);
  }

  /** Publishes `messages` to `topic`; resolves once the broker acknowledged all of them (per `acks`). */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record.topic !== 'string' || record.topic === '') {
      throw new KafkaJSNonRetriableError(`Invalid topic`, { code: 'ERR_INVALID_ARG' });
    }
    return this.sendBatch({
      acks: record.acks,
      timeout: record.timeout,
      compression: record.compression,
      topicMessages: [{ topic: record.topic, messages: record.messages }],
    });
  }

  /** Publishes to several topics at once; resolves with one entry per topic-partition written. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const topicMessages = batch?.topicMessages ?? [];
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) {
        throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`, { code: 'ERR_INVALID_ARG' });
      }
    }
    if (!this.connected) throw new KafkaJSError('The producer is disconnected', { retriable: false, code: 'ERR_DISCONNECTED' });
    if (this.transactional) {
      throw new KafkaJSNonRetriableError('Cannot send messages outside of a transaction: this producer has a transactionalId; use producer.transaction()', {
        code: 'ERR__STATE',
      });
    }
    const acks = batch.acks ?? -1;
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      throw new KafkaJSNonRetriableError(`Invalid acks ${acks}: use -1, 0 or 1`, { code: 'ERR_INVALID_ARG' });
    }
    if (this.idempotent && acks !== -1) {
      throw new KafkaJSNonRetriableError(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
        { code: 'ERR_INVALID_ARG' },
      );
    }
    const codec = batch.compression === undefined ? this.defaultCodec : codecName(batch.compression);
    if (codec === undefined) throw new KafkaJSNonRetriableError(`Unsupported compression codec ${String(batch.compression)}`);
    const service = await this.service(acks, codec);
    return publishTopicMessages(service, topicMessages, batch.timeout, (topic, messages) => this.partitioned(service, topic, messages));
  }

  /**
   * Delivers what is queued (at most 10 s), then closes. Idempotent and final: a `connect()` or
   * `send()` still connecting when it began rejects with `ERR_DISCONNECTED`.
   */
  async disconnect(): Promise<void> {
    const pending = [...this.services.values()];
    this.services.clear();
    await this.metadata.close();
    const wasConnected = this.connected;
    this.connected = false;
    await this.engines.closeAll();
    await Promise.all(pending.map((s) => s.catch(() => undefined)));
    if (wasConnected) this.instrumentation.emit(producerEvents.DISCONNECT);
  }

  isIdempotent(): boolean {
    return this.idempotent;
  }

  /**
   * Begins a transaction (kafkajs): needs `transactionalId`, one open transaction at a time.
   * Its sends and `sendOffsets` commit together at `commit()`, or never (`abort()`).
   */
  async transaction(): Promise<Transaction> {
    if (!this.transactional) {
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer', { code: 'ERR_INVALID_CONFIG' });
    }
    if (!this.connected) throw new KafkaJSError('The producer is disconnected', { retriable: false, code: 'ERR_DISCONNECTED' });
    if (this.activeTransaction?.isActive()) {
      throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.', {
        code: 'ERR__STATE',
      });
    }
    const service = await this.service(-1, this.defaultCodec);
    const native = await service.transaction().catch((e: unknown) => Promise.reject(toKafkaJSError(e)));
    this.activeTransaction = new Transaction(native);
    return this.activeTransaction;
  }

  logger(): Logger {
    return this.factory.log.logger('Producer');
  }

  on(eventName: ProducerEventName, listener: (event: InstrumentationEvent<unknown>) => void): () => void {
    return this.instrumentation.on(eventName, listener);
  }

  /** The messages with the partition the custom partitioner picks for each (kafkajs calls it for every one). */
  private async partitioned(service: KafkaService, topic: string, messages: Message[]): Promise<Message[]> {
    const partitioner = this.partitioner;
    if (!partitioner) return messages;
    const partitionMetadata = await this.metadata.partitions(service, topic);
    return kafkajsErrors(() =>
      messages.map((message) => {
        const partition = partitioner({ topic, partitionMetadata, message: message as unknown as PartitionerArgs['message'] });
        if (!Number.isInteger(partition) || partition < 0 || partition >= partitionMetadata.length) {
          throw new KafkaJSNonRetriableError(`The partitioner returned ${String(partition)} for topic "${topic}" of ${partitionMetadata.length} partitions`, {
            code: 'ERR_INVALID_ARG',
            topic,
          });
        }
        return { ...message, partition };
      }),
    );
  }

  private service(acks: number, codec: Codec): Promise<KafkaService> {
    const key = `${acks}/${codec}`;
    let service = this.services.get(key);
    if (!service) {
      const producer: NonNullable<NativeKafkaConfig['producer']> = { acks, idempotent: this.idempotent, compression: codec };
      if (this.maxInFlight !== undefined) producer.maxInFlight = this.maxInFlight;
      const created = this.engines.connect({ librdkafka: this.librdkafka, producer, ...this.transactional }).catch((e: unknown) => {
        if (this.services.get(key) === created) this.services.delete(key);
        throw e;
      });
      service = created;
      this.services.set(key, service);
    }
    return service;
  }
}

/** A kafkajs message as the engine reads it: headers without `undefined` values. */
function engineMessage(m: Message): Message {
  const headers = m.headers;
  if (!headers) return m;
  for (const k in headers) {
    if (headers[k] === undefined) {
      const clean: Message['headers'] = {};
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) clean[name] = value;
      return { ...m, headers: clean };
    }
  }
  return m;
}

/** Publishes kafkajs topic messages through `target` (a service or a transaction). */
export async function publishTopicMessages(
  target: Pick<KafkaService, 'publishBatch'>,
  topicMessages: TopicMessages[],
  timeoutMs: number | undefined,
  partitioned: (topic: string, messages: Message[]) => Message[] | Promise<Message[]> = (_topic, messages) => messages,
): Promise<RecordMetadata[]> {
  const publish = Promise.all(
    topicMessages
      .filter((t) => t.messages.length > 0)
      .map(async ({ topic, messages }) => target.publishBatch(topic, (await partitioned(topic, messages)).map(engineMessage) as PublishMessage[])),
  ).catch((e: unknown) => {
    throw toKafkaJSError(e);
  });
  const results = await bounded(publish, timeoutMs);
  return recordMetadata(results.flat());
}

function bounded<T>(work: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined || !(timeoutMs > 0)) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new KafkaJSRequestTimeoutError(`Request timed out after ${timeoutMs}ms (the messages may still be delivered)`, {
            code: 'ERR__TIMED_OUT',
          }),
        ),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * kafkajs' result of a send: one entry per topic-partition written, with the offset of the
 * first message written there. Rejects with the first message's error if any failed.
 */
function recordMetadata(results: BatchPublishResult[]): RecordMetadata[] {
  const failed = results.find((r) => r.error);
  if (failed?.error) throw toKafkaJSError(failed.error);
  const byPartition = new Map<string, RecordMetadata>();
  for (const r of results) {
    const key = `${r.topic}\u0000${r.partition}`;
    const seen = byPartition.get(key);
    if (!seen) {
      byPartition.set(key, {
        topicName: r.topic,
        partition: r.partition,
        errorCode: 0,
        baseOffset: String(r.offset),
        logAppendTime: '-1',
        logStartOffset: '-1',
      });
    } else if (Number(seen.baseOffset) > r.offset) {
      seen.baseOffset = String(r.offset);
    }
  }
  return [...byPartition.values()];
}
