// `KafkaNativeClient`: a NestJS ClientProxy on the engine. `emit()` publishes an event; `send()`
// publishes a request with NestJS's correlation id, reply topic and reply partition headers and
// settles from the reply the server publishes there, so it calls stock ServerKafka services and
// KafkaNativeServer alike. The reply partition is the lowest of the reply topic's partitions
// assigned to this client right now (NestJS's rule), read from the engine subscription.

import { ClientProxy, KafkaParser } from '@nestjs/microservices';
import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import { KafkaResponseDeserializer } from '@nestjs/microservices/deserializers';
import { KafkaRequestSerializer } from '@nestjs/microservices/serializers';
import { KafkaService, type NativeEachMessagePayload, type PublishMessage, type Subscription } from '../native/binding';
import { nativeError } from '../native/errors';
import { CORRELATION_ID, REPLY_PARTITION, REPLY_TOPIC, headerOf, replyTopicOf } from './headers';
import { DEFAULT_GROUP_ID, type KafkaNativeClientOptions } from './options';

/** How often `connect()` looks at the subscription while waiting for the reply partitions. */
const ASSIGNMENT_POLL_MS = 25;

export class KafkaNativeClient extends ClientProxy {
  private readonly parser: KafkaParser;
  private readonly groupId: string;
  private readonly responsePatterns: string[] = [];
  private service?: KafkaService;
  private subscription?: Subscription;
  private connecting?: Promise<void>;
  /** Requests and events on their way to the broker; `close()` lets them finish. */
  private readonly sending = new Set<Promise<unknown>>();

  constructor(private readonly options: KafkaNativeClientOptions) {
    super();
    this.groupId = (options.groupId ?? DEFAULT_GROUP_ID) + (options.postfixId ?? '-client');
    this.parser = new KafkaParser(options.parser);
    this.serializer = options.serializer ?? new KafkaRequestSerializer();
    this.deserializer = options.deserializer ?? new KafkaResponseDeserializer();
  }

  /** Registers the reply topic of `pattern` (`<pattern>.reply`); call it before `connect()`. */
  subscribeToResponseOf(pattern: unknown): void {
    const topic = replyTopicOf(this.normalizePattern(pattern as string));
    if (!this.responsePatterns.includes(topic)) this.responsePatterns.push(topic);
  }

  /**
   * Connects, and (unless producer-only) subscribes to the reply topics and waits until a
   * partition of each is assigned to this client. Idempotent; `close()` resets it.
   */
  connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.start().catch((e: unknown) => {
        this.connecting = undefined;
        throw e;
      });
    }
    return this.connecting;
  }

  /**
   * Stops the reply subscription and disconnects, after the requests and events already sent
   * reached the broker. Replies to requests still open arrive once the client connects again.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.sending]);
    const subscription = this.subscription;
    const service = this.service;
    this.subscription = undefined;
    this.service = undefined;
    this.connecting = undefined;
    await subscription?.stop();
    await service?.disconnect();
    this._status$.next('disconnected');
  }

  /** `[service, subscription]`: the engine's client and the reply subscription. */
  unwrap<T>(): T {
    if (!this.service) throw new Error('Not initialized. Please call the "connect" method first.');
    return [this.service, this.subscription] as T;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const pattern = this.normalizePattern(packet.pattern);
    const message = (await this.serializer.serialize(packet.data, { pattern })) as PublishMessage;
    return (await this.track(this.connected().publish(pattern, withValue(message)))) as T;
  }

  protected publish(partial: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const packet = this.assignPacketId(partial);
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      this.routingMap.delete(packet.id);
    };
    const fail = (err: unknown) => {
      cleanup();
      callback({ err });
    };
    this.routingMap.set(packet.id, (reply: WritePacket) => {
      if (reply.isDisposed || reply.err) clearTimeout(timer);
      callback(reply);
    });
    const timeoutMs = this.options.requestTimeoutMs ?? 30000;
    if (timeoutMs > 0) {
      timer = setTimeout(() => fail(nativeError(`No reply within ${timeoutMs} ms`, 'ERR__TIMED_OUT', true)), timeoutMs);
    }
    try {
      const pattern = this.normalizePattern(partial.pattern);
      const replyTopic = replyTopicOf(pattern);
      const replyPartition = this.replyPartition(replyTopic);
      const service = this.connected();
      this.track(
        Promise.resolve(this.serializer.serialize(packet.data, { pattern })).then((serialized) => {
          const message = serialized as PublishMessage & { headers: Record<string, string | Buffer> };
          message.headers[CORRELATION_ID] = packet.id;
          message.headers[REPLY_TOPIC] = replyTopic;
          message.headers[REPLY_PARTITION] = String(replyPartition);
          return service.publish(pattern, withValue(message));
        }),
      ).catch(fail);
    } catch (e) {
      fail(e);
    }
    return cleanup;
  }

  private async start(): Promise<void> {
    const service = new KafkaService(this.options.client);
    this.service = service;
    await service.connect();
    if (!this.options.producerOnlyMode && this.responsePatterns.length > 0) {
      const subscription = await service.subscribe(
        { ...this.options.subscribe, groupId: this.groupId, topics: [...this.responsePatterns] },
        { eachMessage: (payload) => this.onReply(payload) },
      );
      this.subscription = subscription;
      await this.untilAssigned(subscription);
    }
    this._status$.next('connected');
  }

  /** Waits until each reply topic has a partition assigned (the group's first join). */
  private async untilAssigned(subscription: Subscription): Promise<void> {
    while (subscription.running && this.subscription === subscription) {
      const topics = new Set(subscription.assignments().map((a) => a.topic));
      if (this.responsePatterns.every((t) => topics.has(t))) return;
      await new Promise((r) => setTimeout(r, ASSIGNMENT_POLL_MS));
    }
    throw nativeError('The reply subscription stopped before it was assigned partitions', 'ERR_DISCONNECTED', false);
  }

  private replyPartition(replyTopic: string): number {
    if (!this.responsePatterns.includes(replyTopic)) {
      throw nativeError(`The client is not subscribed to "${replyTopic}": call subscribeToResponseOf() before connect()`, 'ERR_INVALID_ARG', false);
    }
    const mine = (this.subscription?.assignments() ?? []).filter((a) => a.topic === replyTopic).map((a) => a.partition);
    if (mine.length === 0) {
      throw nativeError(`No partition of "${replyTopic}" is assigned to this client (connected?)`, 'ERR_DISCONNECTED', true);
    }
    return Math.min(...mine);
  }

  private async onReply(payload: NativeEachMessagePayload): Promise<void> {
    const raw = this.parser.parse<{ headers: Record<string, unknown> }>({ ...payload.message, topic: payload.topic, partition: payload.partition });
    if (headerOf(raw.headers, CORRELATION_ID) === undefined) return;
    const { err, response, isDisposed, id } = (await this.deserializer.deserialize(raw)) as WritePacket & { id: string };
    const callback = this.routingMap.get(id);
    if (!callback) return;
    callback(err || isDisposed ? { err, response, isDisposed } : { err, response });
  }

  private track<T>(sending: Promise<T>): Promise<T> {
    this.sending.add(sending);
    const done = () => this.sending.delete(sending);
    sending.then(done, done);
    return sending;
  }

  private connected(): KafkaService {
    if (!this.service) throw nativeError('The client is not connected; call connect() first', 'ERR_DISCONNECTED', false);
    return this.service;
  }
}

/** The engine needs a value: NestJS's serializer leaves an undefined one out. */
function withValue(message: PublishMessage): PublishMessage {
  return message.value === undefined ? { ...message, value: null } : message;
}
