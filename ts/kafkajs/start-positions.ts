// kafkajs resolves a new member's fetch positions before `run()` resolves: a partition the group
// never committed starts at the offset that was latest then, so a message published right after
// `run()` is consumed. librdkafka resolves "latest" on its own, asynchronously after the
// assignment, so a message published in between would be skipped. This pins those partitions to
// the high watermark read before `run()` resolves.

import type { Subscription } from '../native/binding';
import { readGroupOffsets, readPartitionOffsets, type NativeAdmin } from '../native/admin-contract';

/** The largest time a JS Date holds: no message is at or after it, so the lookup answers the high watermark. */
const END_OF_TIME = 8.64e15;

/** Bound on each lookup: a slow cluster delays `run()` by at most this, then librdkafka's own resolution stands. */
const LOOKUP_TIMEOUT_MS = 10000;

/**
 * Seeks every assigned partition the group has no committed offset for to its current high
 * watermark. Resolves when done; a failed lookup is reported through `warn` and leaves
 * librdkafka's own "latest" resolution in place.
 */
export async function pinLatestPositions(groupId: string, subscription: Subscription, admin: NativeAdmin | undefined, warn: (message: string) => void): Promise<void> {
  const assigned = subscription.assignments();
  if (assigned.length === 0 || !admin?.groupOffsets || !admin.offsetsForTimes) return;
  const topics = [...new Set(assigned.map((a) => a.topic))];
  try {
    const committed = readGroupOffsets(await admin.groupOffsets(groupId, { topics, timeoutMs: LOOKUP_TIMEOUT_MS }));
    const uncommitted = assigned.filter(
      (a) => !committed.some((c) => c.topic === a.topic && c.partition === a.partition && Number(c.offset) >= 0),
    );
    const byTopic = new Set(uncommitted.map((a) => a.topic));
    const ends = await Promise.all(
      [...byTopic].map(async (topic) => ({ topic, rows: readPartitionOffsets(await admin.offsetsForTimes!(topic, END_OF_TIME, { timeoutMs: LOOKUP_TIMEOUT_MS })) })),
    );
    for (const { topic, partition } of uncommitted) {
      const end = ends.find((e) => e.topic === topic)?.rows.find((r) => r.partition === partition);
      if (end === undefined || !subscription.running) continue;
      // A partition revoked meanwhile (`ERR_INVALID_ARG`) is its next owner's to resolve.
      await subscription.seek(topic, partition, end.offset).catch((e: unknown) => {
        if ((e as { code?: string }).code !== 'ERR_INVALID_ARG') throw e;
      });
    }
  } catch (e) {
    warn(`could not pin the start positions of group ${groupId} (${(e as { code?: string }).code ?? String(e)}): messages published while librdkafka resolves the latest offsets may be skipped`);
  }
}
