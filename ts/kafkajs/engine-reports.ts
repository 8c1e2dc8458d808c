// kafkajs' COMMIT_OFFSETS, HEARTBEAT, FETCH_START and FETCH events from what an engine
// subscription reports (`onCommit`, `onHeartbeat`, `onFetch`). The engine tells of each commit
// the group coordinator accepted (its own and librdkafka's auto-commits), of the heartbeats
// librdkafka sent (counted in its statistics), and of each round of its poll loop that handed
// messages to the handlers, per broker they came from.

import type { SubscriptionCommit, SubscriptionFetch, SubscriptionHeartbeat } from '../native/binding';
import { consumerEvents, type ConsumerEventName, type Instrumentation } from './events';

/** kafkajs' COMMIT_OFFSETS payload. */
export interface CommitOffsetsPayload {
  groupId: string;
  /** The member id and generation as of the member's latest rebalance or commit. */
  memberId: string;
  groupGenerationId: number;
  /** Only the partitions whose offset the commit wrote; `offset` is the next one to consume. */
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

export function commitOffsetsPayload(commit: SubscriptionCommit): CommitOffsetsPayload {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of commit.offsets) {
    let partitions = byTopic.get(topic);
    if (!partitions) byTopic.set(topic, (partitions = []));
    partitions.push({ partition, offset });
  }
  return {
    groupId: commit.groupId,
    memberId: commit.memberId,
    groupGenerationId: commit.generationId,
    topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
  };
}

/**
 * One FETCH_START and one FETCH (`{numberOfBatches, duration, nodeId}`) per broker of a poll
 * round. Both are emitted once the round is over (the engine reports rounds, not requests), so
 * FETCH_START's timestamp is not the round's start: `duration` is what measures it.
 */
export function emitFetchRounds(instrumentation: Instrumentation<ConsumerEventName>, rounds: SubscriptionFetch[]): void {
  for (const { nodeId, batches, durationMs } of rounds) {
    instrumentation.emit(consumerEvents.FETCH_START, { nodeId });
    instrumentation.emit(consumerEvents.FETCH, { numberOfBatches: batches, duration: Math.round(durationMs), nodeId });
  }
}

/**
 * One HEARTBEAT (`{groupId, memberId, groupGenerationId}`) per heartbeat request librdkafka sent,
 * emitted at the statistics interval that counted it (1 s by default), not at the moment.
 */
export function emitHeartbeats(instrumentation: Instrumentation<ConsumerEventName>, heartbeat: SubscriptionHeartbeat): void {
  const payload = { groupId: heartbeat.groupId, memberId: heartbeat.memberId, groupGenerationId: heartbeat.generationId };
  for (let i = 0; i < heartbeat.count; i += 1) instrumentation.emit(consumerEvents.HEARTBEAT, { ...payload });
}
