// OpenTelemetry tracing the binding compiles once per Node environment (see tracing.rs). It reads
// the OpenTelemetry API's global registry (what `trace.setGlobalTracerProvider`,
// `context.setGlobalContextManager` and `propagation.setGlobalPropagator` of @opentelemetry/api 1.x
// register) and never loads a module: with no tracer provider registered, every check below is one
// property read and a publish or a consumed batch costs nothing more.
//
// Not a module of the subpath layers: `scripts/js-support.js` emits it as src/binding/tracing.js,
// which the binding includes (js_support.rs) and runs with `run_script`; the script evaluates to
// `tracing`. It imports types only: nothing is loaded at run time.

import type {
  Attributes,
  Context as ApiContext,
  ContextManager,
  Exception,
  Link,
  Span,
  SpanContext,
  SpanKind,
  SpanOptions,
  SpanStatusCode,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import type { HandlerFailureFate } from '../../index';

/** The OpenTelemetry API's global registry, as @opentelemetry/api 1.x keeps it. */
export interface OtelRegistry {
  trace?: TracerProvider;
  context?: ContextManager;
  propagation?: TextMapPropagator;
}

/** The registry with a tracer provider registered. */
type Registered = OtelRegistry & { trace: TracerProvider };

/** A message being published, as `publish` / `publishBatch` take it (checked by the native side). */
interface Outgoing {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  partition?: unknown;
  topic?: unknown;
}

/** A consumed message, as the handlers get it (js-support.ts). */
interface Consumed {
  key: unknown;
  value: { length: number } | null;
  offset: string;
  headers: Record<string, unknown> | null | undefined;
}

/** A handler's report to the engine (`Delivered` in js-support.ts), as far as tracing fills it. */
interface Report {
  pendingSpan?: { id: number; traceparent?: string };
}

/** A publish's outcome, or a batch slot's. */
interface Acknowledged {
  error?: unknown;
  partition: number;
  offset: number | string;
}

/**
 * A tracer's wrapper, with `pend(report)`: puts the id of its last failed call's span (still
 * open) into the report, for the engine to end it with what became of the message, and the
 * span's traceparent when it is sampled, for the copy the engine republishes to link to it.
 */
export type Traced<F> = F & { pend(report: Report): void };

/** The methods of `KafkaService.prototype` that `instrument` wraps. */
interface PublishingPrototype {
  publish: (this: unknown, topic: unknown, message: unknown, options?: unknown) => Promise<Acknowledged>;
  publishBatch: (this: unknown, first?: unknown, second?: unknown, third?: unknown) => Promise<Acknowledged[]>;
}

const API = Symbol.for('opentelemetry.js.api.1');
// The API's context key of the active span (`createContextKey` makes keys with Symbol.for).
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
// SpanKind and SpanStatusCode of the API (stable values of the specification).
const PRODUCER = 3 as SpanKind;
const CONSUMER = 4 as SpanKind;
const ERROR = 2 as SpanStatusCode;
const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';
// The retry ladder's headers (retry_headers.rs): the W3C traceparent of the failed handling a
// republished message carries, and the due time only a retry step's copy has.
const FAILED_TRACEPARENT = 'x-failed-traceparent';
const RETRY_DUE = 'x-retry-due';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const NAME = '@cosmic-horizons/kafka-native';

/** The registered OpenTelemetry globals when a tracer provider is registered, else undefined. */
function registry(): Registered | undefined {
  const g = (globalThis as unknown as Record<symbol, OtelRegistry | undefined>)[API];
  return g !== undefined && g.trace !== undefined ? (g as Registered) : undefined;
}

// An immutable context like the API's ROOT_CONTEXT, for when no context manager is registered.
class Context implements ApiContext {
  values: Map<symbol, unknown>;

  constructor(values: Map<symbol, unknown>) {
    this.values = values;
  }
  getValue(key: symbol): unknown {
    return this.values.get(key);
  }
  setValue(key: symbol, value: unknown): Context {
    const next = new Map(this.values);
    next.set(key, value);
    return new Context(next);
  }
  deleteValue(key: symbol): Context {
    const next = new Map(this.values);
    next.delete(key);
    return new Context(next);
  }
}
const ROOT = new Context(new Map());

const setter: TextMapSetter<Record<string, unknown>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<Record<string, unknown>> = {
  get(carrier, key) {
    const v = carrier[key];
    if (v == null) return undefined;
    if (Array.isArray(v)) return v.map(String);
    return String(v);
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

function activeContext(g: Registered): ApiContext {
  return g.context !== undefined ? g.context.active() : ROOT;
}

function tracer(g: Registered): Tracer {
  return g.trace.getTracer(NAME);
}

// Sampling, learned once per tracer: `true` once a span started under an unsampled parent came
// out unsampled and not recording (what the SDK's default ParentBased samplers decide), `false`
// once one came out recording. While `true`, a publish or handled message under an unsampled
// parent starts no span: its headers carry the parent's context and the handler runs in it, so
// the trace id and the unsampled flag propagate exactly as through a non-recording span, and the
// per-message cost is the extraction alone. A sampler that samples children of unsampled parents
// is seen recording and keeps every span.
const dropsUnsampled = new WeakMap<Tracer, boolean>();

/** The parent's span when it is valid and unsampled, else undefined. */
function unsampledSpan(parent: ApiContext): Span | undefined {
  const span = parent.getValue(SPAN_KEY) as Span | undefined;
  if (span === undefined) return undefined;
  const c = span.spanContext();
  return (c.traceFlags & 1) === 0 && c.traceId !== INVALID_TRACE_ID ? span : undefined;
}

/** Whether a span under `parent` would be dropped, as learned from `t`'s earlier spans. */
function skipsUnder(t: Tracer, parent: ApiContext): boolean {
  return dropsUnsampled.get(t) === true && unsampledSpan(parent) !== undefined;
}

/** Learns from a span just started under `parent` whether the sampler drops such spans. */
function learn(t: Tracer, parent: ApiContext, span: Span): void {
  if (dropsUnsampled.has(t) || unsampledSpan(parent) === undefined) return;
  dropsUnsampled.set(t, !span.isRecording() && (span.spanContext().traceFlags & 1) === 0);
}

function keyAttribute(key: unknown): string | undefined {
  if (key == null) return undefined;
  return typeof key === 'string' ? key : Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
}

function bodySize(value: unknown): number {
  if (value == null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : (value as { length: number }).length;
}

// Errors are recognised by shape, not `instanceof`: a handler may run in another realm (a vm
// context, Jest) whose Error is not this script's.
function failed(span: Span, e: unknown): void {
  const error = e as { message?: unknown; code?: unknown; name?: unknown };
  const isError = e !== null && typeof e === 'object' && typeof error.message === 'string';
  const code = isError && error.code != null ? String(error.code) : isError && typeof error.name === 'string' ? error.name : 'Error';
  span.setAttribute('error.type', code);
  span.setStatus({ code: ERROR, message: code });
  if (isError) span.recordException(e as Exception);
}

// A producer span for one message, and the message with the span's context injected into its
// headers (a copy: the caller's object is left alone).
function producerSpan(g: Registered, t: Tracer, parent: ApiContext, topic: unknown, message: unknown): { span: Span | undefined; message: unknown } {
  if (message === null || typeof message !== 'object') return { span: undefined, message };
  const m = message as Outgoing;
  if (skipsUnder(t, parent)) return { span: undefined, message: injected(g, parent, m) };
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'publish',
    'messaging.operation.type': 'send',
    'messaging.destination.name': String(topic),
    'messaging.message.body.size': bodySize(m.value),
  };
  const key = keyAttribute(m.key);
  if (key !== undefined) attributes['messaging.kafka.message.key'] = key;
  if (typeof m.partition === 'number') attributes['messaging.destination.partition.id'] = String(m.partition);
  const span = t.startSpan(`publish ${topic}`, { kind: PRODUCER, attributes }, parent);
  learn(t, parent, span);
  return { span, message: injected(g, parent.setValue(SPAN_KEY, span), m) };
}

// The message with `context` injected into its headers (a copy: the caller's object is left
// alone); as it is when its headers are not an object.
function injected(g: Registered, context: ApiContext, message: Outgoing): Outgoing {
  const headers = message.headers;
  if (headers != null && (typeof headers !== 'object' || Array.isArray(headers))) return message;
  const carrier: Record<string, unknown> = {};
  if (g.propagation !== undefined) g.propagation.inject(context, carrier, setter);
  return { ...message, headers: { ...(headers as object | null | undefined), ...carrier } };
}

function acknowledged(span: Span, result: Acknowledged): void {
  if (result.error) {
    failed(span, result.error);
  } else {
    span.setAttribute('messaging.destination.partition.id', String(result.partition));
    span.setAttribute('messaging.kafka.offset', Number(result.offset));
  }
  span.end();
}

/** Wraps `publish` and `publishBatch` of the service's prototype with producer spans. */
function instrument(prototype: PublishingPrototype): void {
  const publish = prototype.publish;
  const publishBatch = prototype.publishBatch;
  // `options` ({schema}) passes through untouched.
  prototype.publish = function (this: unknown, topic: unknown, message: unknown, options?: unknown): Promise<Acknowledged> {
    const g = registry();
    // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
    if (g === undefined) return publish.apply(this, arguments as unknown as [unknown, unknown, unknown?]);
    const traced = producerSpan(g, tracer(g), activeContext(g), topic, message);
    const span = traced.span;
    if (span === undefined) return publish.call(this, topic, traced.message, options);
    return publish.call(this, topic, traced.message, options).then(
      (result) => {
        acknowledged(span, result);
        return result;
      },
      (e: unknown) => {
        failed(span, e);
        span.end();
        throw e;
      },
    );
  };
  prototype.publishBatch = function (this: unknown, first?: unknown, second?: unknown, third?: unknown): Promise<Acknowledged[]> {
    const g = registry();
    const list = typeof first === 'string' ? second : first;
    // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
    if (g === undefined || !Array.isArray(list)) return publishBatch.apply(this, arguments as unknown as [unknown?, unknown?, unknown?]);
    const t = tracer(g);
    const parent = activeContext(g);
    const spans: Array<Span | undefined> = new Array(list.length);
    const messages: unknown[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const m: unknown = list[i];
      const topic = typeof first === 'string' ? first : m && (m as Outgoing).topic;
      const traced = producerSpan(g, t, parent, topic, m);
      spans[i] = traced.span;
      messages[i] = traced.message;
    }
    const call =
      typeof first === 'string' ? publishBatch.call(this, first, messages, third) : publishBatch.call(this, messages, second);
    return call.then(
      (results) => {
        for (let i = 0; i < spans.length; i++) if (spans[i] !== undefined) acknowledged(spans[i] as Span, results[i]);
        return results;
      },
      (e: unknown) => {
        for (const span of spans) {
          if (span === undefined) continue;
          failed(span, e);
          span.end();
        }
        throw e;
      },
    );
  };
}

function consumerAttributes(topic: string, partition: number, groupId: string): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(partition),
    'messaging.consumer.group.name': groupId,
  };
}

// Runs `call` with `span` active and ends the span when what it returns resolves; a handler that
// returns no promise costs no extra microtask. A failure sets the span's status and hands the
// span to `hold`, which keeps it open until the engine tells what became of the message.
function runInSpan(g: Registered, span: Span, parent: ApiContext, call: () => unknown, hold: (span: Span) => void): unknown {
  let result: unknown;
  try {
    result = g.context === undefined ? call() : g.context.with(parent.setValue(SPAN_KEY, span), call);
  } catch (e) {
    failed(span, e);
    hold(span);
    return Promise.reject(e);
  }
  if (result === null || typeof result !== 'object' || typeof (result as { then?: unknown }).then !== 'function') {
    span.end();
    return result;
  }
  return (result as PromiseLike<unknown>).then(
    () => span.end(),
    (e: unknown) => {
      failed(span, e);
      hold(span);
      throw e;
    },
  );
}

// Spans of failed handler calls waiting for the engine to tell what became of their message
// (settleFailedSpan), by id. The engine tells every one it is given; one whose report never
// reached it (a handler past handlerTimeoutMs) is ended without an event once the map is full.
const failedSpans = new Map<number, Span>();
const MAX_FAILED_SPANS = 1000;
let nextFailedSpan = 0;

/** A span context as a W3C traceparent (version 00). */
function traceparent(c: SpanContext): string {
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * A tracer's slot for the span of its failed call: `hold(span)` keeps it open, `pend(report)`
 * puts its id into the handler's report to the engine (as `pendingSpan.id`) and, when the span
 * is sampled, its traceparent (as `pendingSpan.traceparent`: the engine writes it into the copy
 * it republishes to a retry or dead-letter topic, whose handling then links to this span).
 */
function failureSlot(): { hold(span: Span): void; pend(report: Report): void } {
  let held: number | undefined;
  let heldSpan: Span | undefined;
  return {
    hold(span) {
      if (failedSpans.size >= MAX_FAILED_SPANS) {
        const [oldest, stale] = failedSpans.entries().next().value as [number, Span];
        failedSpans.delete(oldest);
        stale.end();
      }
      nextFailedSpan = nextFailedSpan >= 0xffffffff ? 1 : nextFailedSpan + 1;
      failedSpans.set(nextFailedSpan, span);
      held = nextFailedSpan;
      heldSpan = span;
    },
    pend(report) {
      if (held === undefined) return;
      const span = heldSpan as Span;
      const c = span.spanContext();
      report.pendingSpan = span.isRecording() && (c.traceFlags & 1) === 1 ? { id: held, traceparent: traceparent(c) } : { id: held };
      held = undefined;
      heldSpan = undefined;
    },
  };
}

/**
 * Ends a failed handler call's span with what the engine did with its message (a
 * HandlerFailureFate): a `retry` event (in place after `delayMs`, or republished to a retry
 * topic due at `dueMs`), a `dead-letter` event, or none (the subscription stopped, or the
 * partition was revoked).
 */
function settleFailedSpan(fate: HandlerFailureFate): void {
  const span = failedSpans.get(fate.span);
  if (span === undefined) return;
  failedSpans.delete(fate.span);
  if (fate.kind !== 'none') {
    const attributes: Attributes = { 'messaging.kafka.attempt': fate.attempt, 'error.type': fate.code };
    if (fate.topic != null) attributes['messaging.destination.name'] = fate.topic;
    if (fate.dueMs != null) attributes['kafka_native.retry.due_time_ms'] = fate.dueMs;
    if (fate.delayMs != null) attributes['kafka_native.retry.delay_ms'] = fate.delayMs;
    span.addEvent(fate.kind, attributes);
  }
  span.end();
}

/** The last value of a consumed message's header as text, or undefined. */
function headerText(message: Consumed, name: string): string | undefined {
  const headers = message.headers;
  if (headers == null) return undefined;
  const v = headers[name];
  if (v == null) return undefined;
  return String(Array.isArray(v) ? v[v.length - 1] : v);
}

/**
 * The link to the failed handling whose retry or dead-letter copy `message` is (its
 * `x-failed-traceparent`), or undefined: none, or not a valid traceparent (a header the
 * engine did not write is checked like one it did).
 */
function failedLink(message: Consumed): Link | undefined {
  const text = headerText(message, FAILED_TRACEPARENT);
  if (text === undefined) return undefined;
  const m = TRACEPARENT.exec(text);
  if (m === null || m[1] === INVALID_TRACE_ID || m[2] === INVALID_SPAN_ID) return undefined;
  return {
    context: { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16) & 1, isRemote: true },
    attributes: { 'kafka_native.link': headerText(message, RETRY_DUE) === undefined ? 'dead-letter-of' : 'retry-of' },
  };
}

function extracted(g: Registered, message: Consumed): ApiContext {
  if (g.propagation === undefined) return ROOT;
  return g.propagation.extract(ROOT, message.headers, getter);
}

/**
 * The tracing around one `eachMessage` call, or undefined when no tracer provider is registered:
 * `(topic, partition, message, call) => Promise`, with the span's parent taken from the message's
 * headers (a retried or dead-lettered copy's span also links to the handling that failed), and
 * `pend(report)` that hands a failed call's span to the engine's report.
 */
function messageTracer(groupId: string): Traced<(topic: string, partition: number, message: Consumed, call: () => unknown) => unknown> | undefined {
  const g = registry();
  if (g === undefined) return undefined;
  const t = tracer(g);
  const slot = failureSlot();
  const traced = (topic: string, partition: number, message: Consumed, call: () => unknown): unknown => {
    const parent = extracted(g, message);
    if (skipsUnder(t, parent)) {
      // No span: the handler runs in the producer's unsampled context, which its publishes carry.
      return g.context === undefined ? call() : g.context.with(activeContext(g).setValue(SPAN_KEY, parent.getValue(SPAN_KEY)), call);
    }
    const attributes = consumerAttributes(topic, partition, groupId);
    attributes['messaging.kafka.offset'] = Number(message.offset);
    attributes['messaging.message.body.size'] = message.value == null ? 0 : message.value.length;
    const key = keyAttribute(message.key);
    if (key !== undefined) attributes['messaging.kafka.message.key'] = key;
    const options: SpanOptions = { kind: CONSUMER, attributes };
    const link = failedLink(message);
    if (link !== undefined) options.links = [link];
    const span = t.startSpan(`process ${topic}`, options, parent);
    learn(t, parent, span);
    return runInSpan(g, span, activeContext(g), call, slot.hold);
  };
  traced.pend = slot.pend;
  return traced;
}

// Whether a tracer's spans take links after their start (`addLinks`), learned from its first
// batch span.
const addsLinks = new WeakMap<Tracer, boolean>();

/** Links to the producer contexts of `messages`, and to the failed handlings they retry. */
function messageLinks(g: Registered, messages: Consumed[]): Link[] {
  const links: Link[] = [];
  for (const m of messages) {
    const span = extracted(g, m).getValue(SPAN_KEY) as Span | undefined;
    if (span !== undefined) links.push({ context: span.spanContext() });
    const failed = failedLink(m);
    if (failed !== undefined) links.push(failed);
  }
  return links;
}

/**
 * The tracing around one `eachBatch` call, or undefined when no tracer provider is registered:
 * one span for the batch, linked to each message's producer context (and to the failed handling
 * a retried or dead-lettered copy carries). Extracting every message's
 * context is the cost of a batch span, so with a tracer whose spans take links after their start
 * (`addLinks`: SDK 1.26 on) they are extracted only for a span that records: an unsampled batch
 * extracts nothing. A sampler therefore decides without the links (ParentBased, TraceIdRatio and
 * AlwaysOn never look at them).
 */
function batchTracer(groupId: string): Traced<(topic: string, partition: number, messages: Consumed[], call: () => unknown) => unknown> | undefined {
  const g = registry();
  if (g === undefined) return undefined;
  const t = tracer(g);
  const slot = failureSlot();
  const traced = (topic: string, partition: number, messages: Consumed[], call: () => unknown): unknown => {
    const attributes = consumerAttributes(topic, partition, groupId);
    attributes['messaging.batch.message_count'] = messages.length;
    let span: Span;
    if (addsLinks.get(t) === true) {
      span = t.startSpan(`process ${topic}`, { kind: CONSUMER, attributes }, activeContext(g));
      if (span.isRecording()) span.addLinks(messageLinks(g, messages));
    } else {
      span = t.startSpan(`process ${topic}`, { kind: CONSUMER, attributes, links: messageLinks(g, messages) }, activeContext(g));
      addsLinks.set(t, typeof span.addLinks === 'function');
    }
    return runInSpan(g, span, activeContext(g), call, slot.hold);
  };
  traced.pend = slot.pend;
  return traced;
}

/** The tracing helpers the binding keeps (js_support.rs) and hands to `jsSupport` (js-support.ts). */
export const tracing = { instrument, messageTracer, batchTracer, settleFailedSpan };
