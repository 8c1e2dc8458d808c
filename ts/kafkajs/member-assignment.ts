// A group member's assignment in the consumer protocol's binary form (version 0), which is what
// kafkajs' `describeGroups` returns as `memberAssignment` and `AssignerProtocol` decodes.

import type { NativeGroupDescription, NativeGroupMember } from '../native/binding';
import type { GroupDescription } from './types';

export function encodeMemberAssignment(assignments: Array<{ topic: string; partition: number }>): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of assignments) {
    const list = byTopic.get(topic);
    if (list) list.push(partition);
    else byTopic.set(topic, [partition]);
  }
  const parts: Buffer[] = [];
  const int16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    parts.push(b);
  };
  const int32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  int16(0);
  int32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    const name = Buffer.from(topic, 'utf8');
    int16(name.length);
    parts.push(name);
    int32(partitions.length);
    for (const p of partitions.sort((a, b) => a - b)) int32(p);
  }
  int32(0);
  return Buffer.concat(parts);
}

/** A group as kafkajs' `describeGroups` / `consumer.describeGroup()` shape it. */
export function kafkajsGroup(g: NativeGroupDescription): GroupDescription {
  return {
    groupId: g.groupId,
    protocol: g.protocol,
    protocolType: g.protocolType,
    state: g.state,
    errorCode: 0,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberAssignment: encodeMemberAssignment(memberPartitions(m)),
      memberMetadata: Buffer.alloc(0),
    })),
  };
}

/** A member's assignment (the engine's per-topic lists) as one topic-partition list. */
export function memberPartitions(m: NativeGroupMember): Array<{ topic: string; partition: number }> {
  return m.assignment.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
}

/** The inverse of `encodeMemberAssignment`: `{topic: [partitions]}`. */
export function decodeMemberAssignment(buffer: Buffer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  let at = 2;
  const topics = buffer.readInt32BE(at);
  at += 4;
  for (let i = 0; i < topics; i++) {
    const length = buffer.readInt16BE(at);
    at += 2;
    const topic = buffer.toString('utf8', at, at + length);
    at += length;
    const count = buffer.readInt32BE(at);
    at += 4;
    const partitions: number[] = [];
    for (let j = 0; j < count; j++, at += 4) partitions.push(buffer.readInt32BE(at));
    out[topic] = partitions;
  }
  return out;
}

/** kafkajs' `AssignerProtocol`, for decoding the `memberAssignment` of `describeGroups`. */
export const AssignerProtocol = {
  MemberAssignment: {
    encode({ assignment }: { version?: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer {
      const list: Array<{ topic: string; partition: number }> = [];
      for (const [topic, partitions] of Object.entries(assignment)) for (const partition of partitions) list.push({ topic, partition });
      return encodeMemberAssignment(list);
    },
    decode(buffer: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer } | null {
      if (!buffer || buffer.length < 6) return null;
      return { version: buffer.readInt16BE(0), assignment: decodeMemberAssignment(buffer), userData: Buffer.alloc(0) };
    },
  },
};
