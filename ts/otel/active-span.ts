// Events on the active OpenTelemetry span (the consumer span a handler runs in), read from the
// OpenTelemetry API's global registry like the engine's tracing (src/binding/tracing.js): nothing is
// loaded, and with no tracer provider registered nothing happens.

const API = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

type Attributes = Record<string, string | number | boolean>;

interface SpanLike {
  addEvent(name: string, attributes?: Attributes): unknown;
}

interface Registry {
  trace?: unknown;
  context?: { active(): { getValue(key: symbol): unknown } };
}

/** Adds an event to the active span, when a tracer provider and a context manager are registered. */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  const registry = (globalThis as Record<symbol, Registry | undefined>)[API];
  if (registry?.trace === undefined || registry.context === undefined) return;
  const span = registry.context.active().getValue(SPAN_KEY) as SpanLike | undefined;
  span?.addEvent(name, attributes);
}
