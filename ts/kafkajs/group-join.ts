// kafkajs' GROUP_JOIN and REBALANCING events for an engine subscription. The engine rebalances
// inside librdkafka and exposes the resulting assignment (`subscription.assignments()`); this
// watcher reads it (an in-memory read, no broker round trip) and reports each new assignment as a
// kafkajs group join, with the member id looked up in the group's description.

import type { KafkaAdmin, Subscription } from '../native/binding';
import type { Instrumentation } from './events';
import { consumerEvents, type ConsumerEventName } from './events';
import { memberPartitions } from './member-assignment';

/** How often the assignment is read while the subscription runs. */
const WATCH_INTERVAL_MS = 50;

/** kafkajs' GROUP_JOIN payload. */
export interface GroupJoinPayload {
  groupId: string;
  memberId: string;
  /**
   * The group leader's member id. librdkafka does not report the leader (its JoinGroup answer
   * stays inside it, and DescribeGroups does not name one): known only when this member is the
   * group's only member, hence its leader; '' otherwise.
   */
  leaderId: string;
  /** Whether this member leads the group: true when it is the only member, false otherwise (see `leaderId`). */
  isLeader: boolean;
  memberAssignment: Record<string, number[]>;
  groupProtocol: string;
  duration: number;
}

export class GroupJoinWatch {
  private timer?: NodeJS.Timeout;
  private last?: string;
  private memberId = '';
  private started = Date.now();
  private readonly joined: Promise<void>;
  private markJoined!: () => void;
  private reporting = Promise.resolve();

  constructor(
    private readonly groupId: string,
    private readonly subscription: Subscription,
    private readonly instrumentation: Instrumentation<ConsumerEventName>,
    private readonly admin: () => KafkaAdmin | undefined,
  ) {
    this.joined = new Promise<void>((resolve) => (this.markJoined = resolve));
    this.timer = setInterval(() => this.check(), WATCH_INTERVAL_MS);
    this.timer.unref();
    this.check();
  }

  /**
   * Resolves once this member has its first assignment and GROUP_JOIN was emitted for it, or when
   * `timeoutMs` passes first (a member of a group with more members than partitions may be given
   * nothing, which the assignment alone cannot tell from a join still under way).
   */
  firstJoin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    return Promise.race([this.joined, timeout]).finally(() => clearTimeout(timer));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.markJoined();
  }

  private check(): void {
    if (!this.subscription.running) return;
    const assigned = this.subscription.assignments();
    const key = assigned.map((a) => `${a.topic}\u0000${a.partition}`).sort().join('\u0001');
    if (key === this.last) return;
    // An empty assignment is the revoked state between two joins (librdkafka's eager protocol
    // revokes everything first): the rebalance starts there, and the join ends it.
    if (assigned.length === 0) {
      if (this.last !== undefined && this.last !== '') {
        this.instrumentation.emit(consumerEvents.REBALANCING, { groupId: this.groupId, memberId: this.memberId });
      }
      if (this.last !== undefined) this.last = '';
      return;
    }
    if (this.last !== undefined && this.last !== '') {
      this.instrumentation.emit(consumerEvents.REBALANCING, { groupId: this.groupId, memberId: this.memberId });
    }
    this.last = key;
    const memberAssignment: Record<string, number[]> = {};
    for (const { topic, partition } of assigned) (memberAssignment[topic] ??= []).push(partition);
    for (const list of Object.values(memberAssignment)) list.sort((a, b) => a - b);
    const duration = Date.now() - this.started;
    this.started = Date.now();
    this.reporting = this.reporting.then(() => this.report(key, memberAssignment, duration));
  }

  private async report(key: string, memberAssignment: Record<string, number[]>, duration: number): Promise<void> {
    let groupProtocol = '';
    let leaderId = '';
    const admin = this.admin();
    if (admin && this.instrumentation.has(consumerEvents.GROUP_JOIN)) {
      try {
        const group = await admin.describeGroup(this.groupId, { timeoutMs: 5000 });
        groupProtocol = group.protocol;
        // The member with this assignment; a group's only member is this one even while the
        // broker's description does not show its assignment yet.
        const mine =
          group.members.find((m) => memberPartitions(m).map((a) => `${a.topic}\u0000${a.partition}`).sort().join('\u0001') === key) ??
          (group.members.length === 1 ? group.members[0] : undefined);
        if (mine) this.memberId = mine.memberId;
        if (mine && group.members.length === 1) leaderId = mine.memberId;
      } catch {
        // The member id is informative; the assignment is what listeners act on.
      }
    }
    const payload: GroupJoinPayload = {
      groupId: this.groupId,
      memberId: this.memberId,
      leaderId,
      isLeader: leaderId !== '' && leaderId === this.memberId,
      memberAssignment,
      groupProtocol,
      duration,
    };
    this.instrumentation.emit(consumerEvents.GROUP_JOIN, payload);
    this.markJoined();
  }
}
