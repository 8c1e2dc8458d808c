// `KafkaNativeClientsModule.register([...])`: NestJS's `ClientsModule.register` for the native
// client. Each entry becomes a provider under its `name` token (inject it with `@Inject(name)`),
// connected when the application starts and closed when it shuts down.

import { Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { KafkaNativeClient } from './client';
import type { KafkaNativeClientOptions } from './options';

export interface KafkaNativeClientRegistration {
  /** The injection token (a string or symbol, like ClientsModule's `name`). */
  name: string | symbol;
  options: KafkaNativeClientOptions;
  /** Request–response patterns whose replies this client reads (`subscribeToResponseOf`). */
  responsePatterns?: string[];
}

/** Closes the clients it was given when the application shuts down. */
class ClientsCloser implements OnApplicationShutdown {
  constructor(private readonly clients: KafkaNativeClient[]) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

@Module({})
export class KafkaNativeClientsModule {
  /** One connected `KafkaNativeClient` per registration; `global` makes them application-wide. */
  static register(registrations: KafkaNativeClientRegistration[], options: { global?: boolean } = {}): DynamicModule {
    const clients = new Map<string | symbol, KafkaNativeClient>();
    const providers: Provider[] = registrations.map((r) => ({
      provide: r.name,
      useFactory: async () => {
        const client = new KafkaNativeClient(r.options);
        for (const pattern of r.responsePatterns ?? []) client.subscribeToResponseOf(pattern);
        await client.connect();
        clients.set(r.name, client);
        return client;
      },
    }));
    const closer = Symbol('KafkaNativeClientsCloser');
    providers.push({ provide: closer, useFactory: () => new ClientsCloser([...clients.values()]), inject: registrations.map((r) => r.name) });
    return {
      module: KafkaNativeClientsModule,
      global: options.global ?? false,
      providers,
      exports: registrations.map((r) => r.name),
    };
  }
}
