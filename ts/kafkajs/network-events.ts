// kafkajs' `network.*` events (REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE) of a producer,
// consumer or admin client, from the engine's network reports. A client asks the engine for
// them only when one of these events has a listener as its engine service is created
// (`connect()`, and the consumer's `run()`): a client without such a listener turns nothing on.
// The engine reads requests from librdkafka's protocol debug lines (on its own threads, parsed
// there, kept out of the log) and queue sizes from its statistics, and hands them over in batches.

import type { KafkaConfig as NativeKafkaConfig, NetworkReport } from '../native/binding';
import type { Instrumentation } from './events';

/** The three network event names of one client kind. */
export interface NetworkEventNames<N extends string> {
  REQUEST: N;
  REQUEST_TIMEOUT: N;
  REQUEST_QUEUE_SIZE: N;
}

/** The engine options that ask for network reports. */
export type NetworkOptions = Required<Pick<NativeKafkaConfig, 'onNetwork' | 'networkReports'>>;

/**
 * The engine options for the network events that have listeners now; undefined when none has
 * (the engine then builds no report and turns no debug context on).
 */
export function networkOptions<N extends string>(
  instrumentation: Instrumentation<N>,
  events: NetworkEventNames<N>,
  clientId: string,
): NetworkOptions | undefined {
  const kinds: NetworkOptions['networkReports'] = [];
  if (instrumentation.has(events.REQUEST) || instrumentation.has(events.REQUEST_TIMEOUT)) kinds.push('requests');
  if (instrumentation.has(events.REQUEST_QUEUE_SIZE)) kinds.push('queueSizes');
  if (kinds.length === 0) return undefined;
  return {
    networkReports: kinds,
    onNetwork: (reports) => {
      for (const report of reports) emitNetworkReport(instrumentation, events, clientId, report);
    },
  };
}

/** Which network reports `options` asks for ('' for none), to tell whether a service has what its client's listeners want. */
export function networkKey(options: NetworkOptions | undefined): string {
  return options ? options.networkReports.join(',') : '';
}

/**
 * One event with kafkajs' payload. librdkafka does not tell when a request was queued, so
 * `createdAt` is `sentAt` and `pendingDuration` 0; `size` is the response's, as in kafkajs.
 */
function emitNetworkReport<N extends string>(instrumentation: Instrumentation<N>, events: NetworkEventNames<N>, clientId: string, r: NetworkReport): void {
  const { broker } = r;
  if (r.kind === 'queueSize') {
    instrumentation.emit(events.REQUEST_QUEUE_SIZE, { broker, clientId, queueSize: r.queueSize ?? 0 });
    return;
  }
  const sentAt = r.sentAt ?? Date.now();
  const common = { broker, clientId, correlationId: r.correlationId ?? -1, createdAt: sentAt, sentAt, pendingDuration: 0 };
  const api = { apiName: r.apiName ?? '', apiKey: r.apiKey ?? -1, apiVersion: r.apiVersion ?? -1 };
  if (r.kind === 'timeout') {
    instrumentation.emit(events.REQUEST_TIMEOUT, { ...common, ...api });
  } else {
    instrumentation.emit(events.REQUEST, { ...common, size: r.size ?? 0, duration: Math.round(r.durationMs ?? 0), ...api });
  }
}
