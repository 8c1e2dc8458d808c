// `KafkaNativeServer`: a NestJS microservice transport (CustomTransportStrategy) on the engine.
// It consumes every @EventPattern / @MessagePattern topic in one engine subscription (at-least-once:
// an offset is committed only after its handler, and its reply, completed) and answers requests
// the way NestJS's ServerKafka does: same parser, serializer, headers and reply partition, so
// stock Transport.KAFKA clients call it unchanged.

import { KafkaContext, KafkaParser, KafkaRetriableException, Server } from '@nestjs/microservices';
import { KafkaRequestDeserializer } from '@nestjs/microservices/deserializers';
import { KafkaRequestSerializer } from '@nestjs/microservices/serializers';
import type { CustomTransportStrategy, IncomingRequest, OutgoingResponse, ReadPacket } from '@nestjs/microservices';
import { ReplaySubject, isObservable, lastValueFrom, type Observable } from 'rxjs';
import { KafkaService, type KafkaNativeError, type NativeEachMessagePayload, type PublishMessage, type Subscription } from '../native/binding';
import { CORRELATION_ID, NEST_ERR, NEST_IS_DISPOSED, REPLY_PARTITION, REPLY_TOPIC, headerOf } from './headers';
import { DEFAULT_GROUP_ID, type KafkaNativeServerOptions } from './options';

/** NestJS's answer to a request for a pattern without a handler. */
const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';

/** The `Transport` id of this strategy (NestJS hooks and interceptors see it). */
export const KAFKA_NATIVE_TRANSPORT = Symbol('KAFKA_NATIVE');

export class KafkaNativeServer extends Server implements CustomTransportStrategy {
  override readonly transportId = KAFKA_NATIVE_TRANSPORT;
  private readonly parser: KafkaParser;
  private readonly groupId: string;
  private service?: KafkaService;
  private subscription?: Subscription;

  constructor(private readonly options: KafkaNativeServerOptions) {
    super();
    this.groupId = (options.groupId ?? DEFAULT_GROUP_ID) + (options.postfixId ?? '-server');
    this.parser = new KafkaParser(options.parser);
    this.serializer = options.serializer ?? new KafkaRequestSerializer();
    this.deserializer = options.deserializer ?? new KafkaRequestDeserializer();
  }

  /**
   * Connects, subscribes the group to every pattern's topic and calls `callback` once the
   * subscription runs; a connection or subscription error goes to `callback(error)`.
   */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const service = new KafkaService(this.options.client);
      this.service = service;
      await service.connect();
      const topics = [...this.messageHandlers.keys()];
      if (topics.length > 0) {
        this.subscription = await service.subscribe(
          {
            ...this.options.subscribe,
            groupId: this.groupId,
            topics,
            onError: (error: KafkaNativeError) => this.logger.error(`Subscription of ${this.groupId} stopped: ${error.code} ${error.message}`),
          },
          { eachMessage: (payload) => this.handleMessage(payload) },
        );
      }
      this._status$.next('connected');
      callback();
    } catch (e) {
      callback(e);
    }
  }

  /** Stops consuming (running handlers finish, their offsets are committed), then disconnects. */
  async close(): Promise<void> {
    const subscription = this.subscription;
    const service = this.service;
    this.subscription = undefined;
    this.service = undefined;
    await subscription?.stop();
    await service?.disconnect();
    this._status$.next('disconnected');
  }

  /** `[service, subscription]`: the engine's client and the group subscription. */
  unwrap<T>(): T {
    if (!this.service) throw new Error('Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.');
    return [this.service, this.subscription] as T;
  }

  on(): never {
    throw new Error('Method is not supported for the kafka-native server');
  }

  private async handleMessage(payload: NativeEachMessagePayload): Promise<void> {
    const { topic, partition } = payload;
    const raw = this.parser.parse<Record<string, unknown> & { headers: Record<string, unknown> }>({ ...payload.message, topic, partition });
    const correlationId = headerOf(raw.headers, CORRELATION_ID);
    const replyTopic = headerOf(raw.headers, REPLY_TOPIC);
    const replyPartition = headerOf(raw.headers, REPLY_PARTITION);
    const packet = (await this.deserializer.deserialize(raw, { channel: topic })) as IncomingRequest;
    const context = new KafkaContext([raw as never, partition, topic, this.subscription as never, payload.heartbeat, this.service as never]);
    const handler = this.getHandlerByPattern(packet.pattern);
    if (handler?.isEventHandler || !correlationId || !replyTopic) {
      await this.handleEvent(packet.pattern, packet as ReadPacket, context);
      return;
    }
    const publish = (response: OutgoingResponse) => this.reply(response, replyTopic, replyPartition, correlationId);
    if (!handler) {
      await publish({ id: correlationId, err: NO_MESSAGE_HANDLER });
      return;
    }
    // The replies are sent before the handler counts as done, so that its offset is committed
    // only once every reply was acknowledged; a KafkaRetriableException delivers it again.
    const response$ = this.transformToObservable(await handler(packet.data, context)) as Observable<unknown>;
    const replies: Promise<unknown>[] = [];
    const replay = new ReplaySubject<unknown>();
    let retriable: unknown;
    await new Promise<void>((resolve) => {
      response$.subscribe({
        next: (v) => replay.next(v),
        error: (err) => {
          if (err instanceof KafkaRetriableException) retriable = err;
          replay.error(err);
          resolve();
        },
        complete: () => {
          replay.complete();
          resolve();
        },
      });
    });
    if (retriable !== undefined) throw retriable;
    await new Promise<void>((resolve) => {
      this.send(replay, (data) => {
        replies.push(publish(data as OutgoingResponse));
        if ((data as OutgoingResponse).isDisposed) resolve();
      });
    });
    await Promise.all(replies);
  }

  private async reply(response: OutgoingResponse, replyTopic: string, replyPartition: string | undefined, correlationId: string): Promise<void> {
    const out = (await this.serializer.serialize(response.response)) as PublishMessage & { headers: Record<string, Buffer | string> };
    if (replyPartition !== undefined) out.partition = parseFloat(replyPartition);
    out.headers[CORRELATION_ID] = Buffer.from(correlationId);
    if (response.err) out.headers[NEST_ERR] = Buffer.from(typeof response.err === 'object' ? JSON.stringify(response.err) : String(response.err));
    if (response.isDisposed) out.headers[NEST_IS_DISPOSED] = Buffer.alloc(1);
    const service = this.service;
    if (!service) return;
    if (out.value === undefined) out.value = null;
    await service.publish(replyTopic, out);
  }

  override async handleEvent(pattern: string, packet: ReadPacket, context: KafkaContext): Promise<unknown> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      this.logger.error(`There is no matching event handler defined in the remote service. Event pattern: ${pattern}`);
      return;
    }
    const result = await handler(packet.data, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    return result;
  }
}
