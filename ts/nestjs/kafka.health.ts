// `KafkaHealthIndicator` for @nestjs/terminus (11+): `health.check([() => kafka.isHealthy('kafka')])`.
// Built on the engine's `health()`.
//
// Up means the application can use Kafka: the cluster answered within the timeout and no
// partition is offline. The engine's stricter verdict (every broker answered on its own
// connection, nothing under-replicated) is reported as `healthy`, and decides with `strict`.

import { Injectable, Optional } from '@nestjs/common';
import { KafkaService } from '../native/binding';
import { KafkaNativeRuntime } from './kafka-native.runtime';

/** terminus' `HealthIndicatorResult`: `{[key]: {status: 'up' | 'down', ...details}}`. */
export type KafkaHealthResult<Key extends string = string> = Record<Key, { status: 'up' | 'down'; [detail: string]: unknown }>;

@Injectable()
export class KafkaHealthIndicator {
  constructor(
    private readonly service: KafkaService,
    @Optional() private readonly runtime?: KafkaNativeRuntime,
  ) {}

  /**
   * Resolves (never rejects) with `{[key]: {status, ...}}`: down when the cluster does not answer
   * within `timeoutMs`, when a partition is offline, when a `@KafkaSubscriber` stopped on a
   * failing message, or (with `strict`) when the engine's `health()` is not `healthy`.
   */
  async isHealthy<Key extends string = 'kafka'>(
    key: Key = 'kafka' as Key,
    options: { timeoutMs?: number; strict?: boolean } = {},
  ): Promise<KafkaHealthResult<Key>> {
    const timeoutMs = options.timeoutMs ?? 3000;
    const details = await this.probe(timeoutMs).catch((e: unknown) => ({
      reachable: false,
      healthy: false,
      error: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e),
    }));
    const subscribers = this.runtime?.subscribers() ?? [];
    const failed = subscribers.filter((s) => s.failed !== undefined || (s.subscription && !s.subscription.running)).map((s) => s.name);
    const { reachable, ...rest } = details;
    const up = (options.strict ? details.healthy : reachable) && failed.length === 0;
    const result: { status: 'up' | 'down'; [detail: string]: unknown } = { status: up ? 'up' : 'down', ...rest };
    if (subscribers.length > 0) result.subscribers = { total: subscribers.length, stopped: failed };
    return { [key]: result } as KafkaHealthResult<Key>;
  }

  private async probe(timeoutMs: number): Promise<{ reachable: boolean; healthy: boolean; [detail: string]: unknown }> {
    const h = await this.service.health({ timeoutMs });
    const offline = h.topics.offline.length;
    if (h.error) return { reachable: false, healthy: false, error: `${h.error.code}: ${h.error.message}` };
    return {
      reachable: offline === 0,
      healthy: h.healthy,
      latencyMs: h.latencyMs,
      clusterId: h.clusterId ?? null,
      controller: h.controller ?? null,
      brokers: h.brokers.length,
      brokersDown: h.brokers.filter((b) => !b.up).map((b) => b.id),
      underReplicated: h.topics.underReplicated.length,
      offline,
    };
  }
}
