// The engine services one facade client (producer, consumer, admin) created, so that its
// `disconnect()` is final: it reaches services that are still connecting, and a `connect()` or
// `run()` that was under way when it began cannot keep (or start) anything afterwards.

import type { KafkaService } from '../native/binding';
import { KafkaJSError, toKafkaJSError } from './errors';
import { networkKey, type NetworkOptions } from './network-events';
import type { ClientFactory } from './producer';

type Own = Parameters<ClientFactory['service']>[0];

/** The error of a call that `disconnect()` overtook. */
export function disconnectedError(what: string): KafkaJSError {
  return new KafkaJSError(`The ${what} was disconnected`, { retriable: false, code: 'ERR_DISCONNECTED' });
}

export class ClientServices {
  private readonly open = new Set<KafkaService>();
  /** The network reports each service was created with (see `networkKey`). */
  private readonly networkOf = new WeakMap<KafkaService, string>();
  private generation = 0;

  /** `network`: the network reports the client's listeners want now (none: undefined). */
  constructor(
    private readonly factory: ClientFactory,
    private readonly what: string,
    private readonly network: () => NetworkOptions | undefined = () => undefined,
  ) {}

  /** Whether the client's listeners now want network reports that `service` was created without. */
  networkOutdated(service: KafkaService): boolean {
    const wanted = networkKey(this.network());
    return wanted !== '' && wanted !== this.networkOf.get(service);
  }

  /** Which `closeAll()` round the client is in; work begun in an earlier one must not go on. */
  get current(): number {
    return this.generation;
  }

  /**
   * Creates a service and waits for the cluster's metadata. Rejects with `ERR_DISCONNECTED`
   * (having disconnected the new service) when `closeAll()` ran meanwhile.
   */
  async connect(own: Own): Promise<KafkaService> {
    const generation = this.generation;
    const network = this.network();
    const service = await this.factory.service(network ? { ...own, network } : own);
    this.networkOf.set(service, networkKey(network));
    if (generation !== this.generation) {
      await service.disconnect().catch(() => undefined);
      throw disconnectedError(this.what);
    }
    this.open.add(service);
    try {
      await service.connect();
    } catch (e) {
      await this.close(service);
      throw generation !== this.generation ? disconnectedError(this.what) : toKafkaJSError(e);
    }
    if (generation !== this.generation) throw disconnectedError(this.what);
    return service;
  }

  /** Disconnects one service (flushing what it queued). */
  async close(service: KafkaService): Promise<void> {
    this.open.delete(service);
    await service.disconnect().catch(() => undefined);
  }

  /** Disconnects every service, those still connecting too; `connect()`s under way then reject. */
  async closeAll(): Promise<void> {
    this.generation += 1;
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((s) => s.disconnect().catch(() => undefined)));
  }
}
