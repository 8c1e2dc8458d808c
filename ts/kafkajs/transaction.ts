// kafkajs' `Transaction` over the engine's: sends and consumed offsets that commit together.

import type { Transaction as NativeTransaction } from '../native/binding';
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors';
import { publishTopicMessages } from './producer';
import type { Offsets, ProducerBatch, ProducerRecord, RecordMetadata } from './types';

export class Transaction {
  private active = true;

  constructor(private readonly native: NativeTransaction) {}

  /** Sends within the transaction; visible to read-committed consumers once committed. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record.topic !== 'string' || record.topic === '') {
      throw new KafkaJSNonRetriableError('Invalid topic', { code: 'ERR_INVALID_ARG' });
    }
    return this.sendBatch({ timeout: record.timeout, topicMessages: [{ topic: record.topic, messages: record.messages }] });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const topicMessages = batch?.topicMessages ?? [];
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) {
        throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`, { code: 'ERR_INVALID_ARG' });
      }
    }
    this.checkActive();
    return publishTopicMessages(this.native, topicMessages, batch.timeout);
  }

  /** Commits `consumerGroupId`'s offsets (the next offsets to consume) with the transaction. */
  async sendOffsets({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }): Promise<void> {
    if (typeof consumerGroupId !== 'string' || consumerGroupId === '' || !Array.isArray(topics)) {
      throw new KafkaJSNonRetriableError('sendOffsets needs {consumerGroupId, topics: [{topic, partitions: [{partition, offset}]}]}', { code: 'ERR_INVALID_ARG' });
    }
    this.checkActive();
    const offsets = topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition, offset: String(offset) })));
    await this.native.sendOffsets({ groupId: consumerGroupId, offsets }).catch((e: unknown) => Promise.reject(toKafkaJSError(e)));
  }

  async commit(): Promise<void> {
    this.checkActive();
    await this.native.commit().catch((e: unknown) => Promise.reject(toKafkaJSError(e)));
    this.active = false;
  }

  async abort(): Promise<void> {
    this.checkActive();
    await this.native.abort().catch((e: unknown) => Promise.reject(toKafkaJSError(e)));
    this.active = false;
  }

  /** Whether the transaction is still open (kafkajs' `isActive`). */
  isActive(): boolean {
    return this.active && this.native.open;
  }

  private checkActive(): void {
    if (!this.isActive()) throw new KafkaJSNonRetriableError('Transaction is not active', { code: 'ERR__STATE' });
  }
}
