// `drainOnSignals(service, options)`: graceful drain of a KafkaService on SIGTERM / SIGINT.
// JavaScript by nature (process signal listeners); the package exports it as `drainOnSignals`
// (typed in index.d.ts from the binding's declaration).
//
// Not a module of the subpath layers: `scripts/js-support.js` emits it as src/binding/shutdown.js,
// which the binding includes (mod.rs) and runs with `run_script`; the script evaluates to
// `drainOnSignals`. It imports types only: nothing is loaded at run time.

import type { DrainOnSignalsOptions } from '../../index';

/** What `drainOnSignals` needs of a service (a KafkaService; checked at run time). */
interface Drainable {
  disconnect(options: { timeoutMs: number }): Promise<unknown>;
}

const CODES: Record<string, number> = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 };

/** Drains `service` on the first of `options.signals`, then exits (see DrainOnSignalsOptions); returns the uninstaller. */
export function drainOnSignals(service: Drainable, options?: DrainOnSignalsOptions | null): () => void {
  const o = options || {};
  const signals = o.signals || ['SIGTERM', 'SIGINT'];
  const timeoutMs = o.timeoutMs == null ? 30000 : o.timeoutMs;
  const exit = o.exit !== false;
  if (!service || typeof service.disconnect !== 'function') {
    throw new TypeError('drainOnSignals needs a KafkaService');
  }
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== 'string')) {
    throw new TypeError('drainOnSignals: signals must be an array of signal names');
  }
  let draining: Promise<void> | null = null;
  const onSignal = (signal: string): void => {
    const code = CODES[signal] || 1;
    // A second signal while draining: leave at once.
    if (draining) process.exit(code);
    if (typeof o.onSignal === 'function') o.onSignal(signal);
    // The whole drain is bounded: running handlers (each subscription's drainTimeoutMs), the
    // commit, leaving the group and the flush (timeoutMs).
    const guard = setTimeout(() => process.exit(code), timeoutMs + 5000);
    guard.unref();
    draining = Promise.resolve()
      .then(() => service.disconnect({ timeoutMs }))
      .then(
        () => 0,
        () => 1,
      )
      .then((status) => {
        clearTimeout(guard);
        if (typeof o.onDrained === 'function') o.onDrained(status);
        if (exit) process.exit(status);
      });
  };
  for (const s of signals) process.on(s, onSignal);
  return function uninstall() {
    for (const s of signals) process.removeListener(s, onSignal);
  };
}
