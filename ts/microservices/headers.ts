// The headers NestJS's Kafka transport puts on requests and replies (its `KafkaHeaders`), and
// reading one from a parsed message. Written out so that the wire format is visible here.

export const CORRELATION_ID = 'kafka_correlationId';
export const REPLY_TOPIC = 'kafka_replyTopic';
export const REPLY_PARTITION = 'kafka_replyPartition';
export const NEST_ERR = 'kafka_nest-err';
export const NEST_IS_DISPOSED = 'kafka_nest-is-disposed';

/** A header of a parsed message (KafkaParser decodes them to strings) as a string, if present. */
export function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined || v === null) return undefined;
  return Buffer.isBuffer(v) ? v.toString() : String(v);
}

/** The reply topic of a request pattern, as NestJS names it. */
export function replyTopicOf(pattern: string): string {
  return `${pattern}.reply`;
}
