// kafkajs' `consumer.seek()` over the engine's `subscription.seek()`: seeks are synchronous in
// kafkajs and apply on the partition's next fetch, also for a partition assigned later, so they
// wait here until the subscription holds their partition.

import type { Subscription } from '../native/binding';

const RETRY_MS = 250;

interface Seek {
  topic: string;
  partition: number;
  offset: string;
}

export class PendingSeeks {
  private readonly pending = new Map<string, Seek>();
  private readonly generations = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private applying = false;

  constructor(
    private readonly subscription: () => Subscription | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /** Records a seek (the last one per partition wins) and applies it as soon as possible. */
  request(topic: string, partition: number, offset: string): void {
    const key = `${topic}\u0000${partition}`;
    this.pending.set(key, { topic, partition, offset });
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    void this.apply();
  }

  /** Changes with every seek of the partition: a batch started before one is stale. */
  generation(topic: string, partition: number): number {
    return this.generations.get(`${topic}\u0000${partition}`) ?? 0;
  }

  /** Forgets seeks not applied yet (the consumer stopped). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private async apply(): Promise<void> {
    if (this.applying) return;
    this.applying = true;
    try {
      for (const [key, seek] of [...this.pending]) {
        const subscription = this.subscription();
        if (!subscription) return;
        if (!subscription.assignments().some((a) => a.topic === seek.topic && a.partition === seek.partition)) continue;
        this.pending.delete(key);
        try {
          await subscription.seek(seek.topic, seek.partition, seek.offset);
        } catch (e) {
          const code = (e as { code?: string }).code;
          // Revoked between the check and the seek: it applies to the next assignment.
          if (code === 'ERR_INVALID_ARG' && !this.pending.has(key)) this.pending.set(key, seek);
          else if (code !== 'ERR_DISCONNECTED') this.warn(`seek of ${seek.topic}[${seek.partition}] to ${seek.offset} failed: ${code}`);
        }
      }
    } finally {
      this.applying = false;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.pending.size === 0 || this.timer || !this.subscription()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.apply();
    }, RETRY_MS);
    this.timer.unref();
  }
}
