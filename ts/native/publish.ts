// The publish boundary, compiled once per Node environment (see js_support.rs and packed.rs).
// `publish` is called with the packed layout (defined in packed.rs) and returns `install` (wraps
// KafkaService.prototype's `publish` / `publishBatch`) and `settle` (called by the settlement
// round with the outcomes of that round).
//
// Crossing into native code costs more than the work on either side, so:
// - the single publishes of one event-loop turn cross together, in one call, when the turn's
//   synchronous code is done (a microtask); a call that must see them queued first (publishBatch,
//   a schema'd publish, transaction, disconnect) sends them before it runs;
// - but the first single publish of a turn (in a `for (…) await publish()` loop, the only one)
//   crosses at once and alone, with the least work: no deferral, no packed arrays; the rest of the
//   turn's publishes queue behind it;
// - messages cross packed: keys and values written back to back into one reused Buffer, the rest
//   as numbers in one Float64Array; a message of another shape (headers, a timestamp, an odd
//   value) crosses as the object itself and is read field by field as before, with the same errors;
// - a schema'd publish or publishBatch (`{schema}`) crosses packed the same way, its values as
//   JSON text, which the native side encodes on the runtime: one JSON array text of them, from a
//   few `JSON.stringify` calls of runs of values (one call per value costs ~40 % more), whose
//   elements the native side finds;
// - the resolvers stay in JS, indexed by a sequence number: a settlement round hands over the
//   outcomes of many publishes in one call (`settle`, or `settleOne` for a round of one message),
//   and the result objects are built here.
//
// Not a module of the subpath layers: `scripts/js-support.js` emits it as src/binding/publish.js,
// which the binding includes (js_support.rs) and runs with `run_script`; the script evaluates to
// `publish`. It imports types only: nothing is loaded at run time.

import type { KafkaService, PublishResult } from './binding';

/** The packed layout of published messages and of their settled outcomes (packed.rs). */
export interface PackedLayout {
  /** Numbers per message in `meta`, and the index of each. */
  fields: number;
  /** Index into the call's topic names, or `noTopic` / `recordTopic`. */
  topic: number;
  /** Index into the call's objects when the message crosses as itself, else -1. */
  object: number;
  keyStart: number;
  /** -1 for no key. */
  keyLength: number;
  valueStart: number;
  /** -1 for a null value (a tombstone). */
  valueLength: number;
  /** -1 to let the partitioner choose. */
  partition: number;
  /** The topic given was not a string. */
  noTopic: number;
  /** The topic is the `topic` of the object (a `publishBatch(records)` entry that crosses as itself). */
  recordTopic: number;
  /** The value length of a schema'd slot whose JSON text is the next element of the call's array text. */
  inArray: number;
  /** Numbers per message in a settlement round's results, and the index of each. */
  resultFields: number;
  resultPartition: number;
  /** -1 for a failed message. */
  resultOffset: number;
  /** NaN for none. */
  resultTimestamp: number;
}

/** A publish's outcome as the promise resolves with it (a batch's slot may carry its error). */
interface Outcome {
  topic: string | undefined;
  partition: number;
  offset: number;
  timestamp: number | null;
  error?: unknown;
}

/** An unsettled publish: a single publish, or a batch (`batch`) with each slot's topic in `topics` when the records name theirs. */
interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  topic: unknown;
  topics?: string[];
  batch?: boolean;
}

/** A settlement round's outcomes (see `settle`) and its publishes after the first large batch, still to settle. */
interface Round {
  numbers: Float64Array;
  errorIndex: Int32Array;
  errors: unknown[];
  /** Each publish with its first message's index in the round (`m`), its first error's index in `errorIndex` (`e`) and its message count. */
  items: { p: Pending; m: number; e: number; n: number }[];
}

/** A single publish of this turn not yet sent. */
interface Queued extends Pending {
  message: unknown;
}

/** The native methods of `publishPacked` / `publishSingle` (packed.rs), taken off the prototype by `install`. */
type PublishPacked = (this: KafkaService, names: string[], data: Buffer, meta: Float64Array, count: number, objects: unknown[], seq: number, each: boolean) => void;
/** `publishPackedSchema` (packed.rs): as `publishPacked` of a batch, values as JSON text (their own, or in turn the elements of the array text at `arrayStart`), `options` the call's `{schema, strategy}`. */
type PublishPackedSchema = (
  this: KafkaService,
  names: string[],
  data: Buffer,
  meta: Float64Array,
  count: number,
  objects: unknown[],
  seq: number,
  options: object,
  arrayStart: number,
  arrayLength: number,
) => void;
type PublishSingle = (
  this: KafkaService,
  topic: string,
  data: Buffer,
  keyStart: number,
  keyLength: number,
  valueStart: number,
  valueLength: number,
  partition: number,
  seq: number,
) => void;

/** The methods of `KafkaService.prototype` that `install` replaces or takes. */
interface ServicePrototype {
  publishPacked?: PublishPacked;
  publishSingle?: PublishSingle;
  publishPackedSchema?: PublishPackedSchema;
  publish: (this: KafkaService, topic: unknown, message: unknown, options?: unknown) => Promise<PublishResult>;
  publishBatch: (this: KafkaService, ...args: unknown[]) => Promise<unknown>;
  transaction: (this: KafkaService, ...args: unknown[]) => unknown;
  disconnect: (this: KafkaService, ...args: unknown[]) => unknown;
}

/**
 * Unsettled publishes by sequence number. Sequence numbers are handed out in order and mostly
 * settled in order, so they live in a ring indexed by `seq & mask`, which grows when a new one
 * would land on a slot still taken (up to `RING_LIMIT` slots; past that, a colliding one waits in
 * `overflow`). A `Map` did the same with a new hash table every few thousand publishes (its
 * deleted entries compacted) and a heap number per key read from a settlement round's
 * Float64Array: young garbage that lived long enough to be copied and promoted, the larger part of
 * what a minor GC copied under 1,000 single publishes in flight (bench/results/2026-12-04-gc.md:
 * minor GC time a quarter, event-loop delay p99 8 → 3.7 ms there).
 */
export class PendingBySeq {
  private slots: (Pending | undefined)[] = new Array<Pending | undefined>(1024).fill(undefined);
  private seqs = new Float64Array(1024);
  private mask = 1023;
  private readonly overflow = new Map<number, Pending>();

  /** Holds `p` under `seq` until `take(seq)`. */
  hold(seq: number, p: Pending): void {
    let i = seq & this.mask;
    if (this.slots[i] !== undefined && !this.grow(seq)) {
      this.overflow.set(seq, p);
      return;
    }
    i = seq & this.mask;
    this.slots[i] = p;
    this.seqs[i] = seq;
  }

  /** The publish held under `seq`, no longer held; undefined when none is. */
  take(seq: number): Pending | undefined {
    const i = seq & this.mask;
    const p = this.slots[i];
    if (p !== undefined && this.seqs[i] === seq) {
      this.slots[i] = undefined;
      return p;
    }
    if (this.overflow.size === 0) return undefined;
    const o = this.overflow.get(seq);
    if (o !== undefined) this.overflow.delete(seq);
    return o;
  }

  // Grows the ring to the smallest power of two that spans every held sequence number and `seq`
  // (numbers within such a span land on distinct slots); false when that passes `RING_LIMIT`
  // (the ring is left as it was). A publish held long (a message retrying) widens the span.
  private grow(seq: number): boolean {
    let low = seq;
    let high = seq;
    for (let i = 0; i < this.slots.length; i++) {
      if (this.slots[i] === undefined) continue;
      low = Math.min(low, this.seqs[i]);
      high = Math.max(high, this.seqs[i]);
    }
    let size = this.slots.length * 2;
    while (size <= high - low) size *= 2;
    if (size > RING_LIMIT) return false;
    const slots = new Array<Pending | undefined>(size).fill(undefined);
    const seqs = new Float64Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.slots.length; i++) {
      const p = this.slots[i];
      if (p === undefined) continue;
      const j = this.seqs[i] & mask;
      slots[j] = p;
      seqs[j] = this.seqs[i];
    }
    this.slots = slots;
    this.seqs = seqs;
    this.mask = mask;
    return true;
  }
}

/** Slots of `PendingBySeq` at most (16 bytes each). */
export const RING_LIMIT = 1 << 20;

/** The publish boundary the binding keeps (js_support.rs). */
export function publish(layout: PackedLayout) {
  const F = layout.fields;
  const TOPIC = layout.topic;
  const OBJECT = layout.object;
  const KEY_START = layout.keyStart;
  const VALUE_START = layout.valueStart;
  // `put` writes a length right after its start.
  if (layout.keyLength !== KEY_START + 1 || layout.valueLength !== VALUE_START + 1) {
    throw new Error('kafka-native: the packed layout of packed.rs and publish.js disagree');
  }
  const PARTITION = layout.partition;
  const NO_TOPIC = layout.noTopic;
  const RECORD_TOPIC = layout.recordTopic;
  const IN_ARRAY = layout.inArray;
  const R = layout.resultFields;
  const RESULT_PARTITION = layout.resultPartition;
  const RESULT_OFFSET = layout.resultOffset;
  const RESULT_TIMESTAMP = layout.resultTimestamp;
  // Larger Buffers cross as objects: borrowed by the native side, not copied here first.
  const COPY_LIMIT = 64 * 1024;

  // The array text of a schema'd call is stringified in runs: FIRST_ARRAY_RUN values first, then
  // as many as make about ARRAY_RUN_CHARS characters (32 Ki: a string of up to 64 KiB, under
  // V8's 128 KiB for a regular heap object; ~10 % less JS time per value than one call for 500
  // job-lifecycle events).
  const FIRST_ARRAY_RUN = 64;
  const ARRAY_RUN_CHARS = 32 * 1024;
  const COMMA = 0x2c;

  // Reused by every call: the native side copies what it keeps before it returns.
  let data = Buffer.allocUnsafeSlow(1 << 16);
  let meta = new Float64Array(F * 1024);
  let used = 0;

  function room(bytes: number): void {
    if (used + bytes <= data.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(2 * data.length, used + bytes));
    data.copy(next, 0, 0, used);
    data = next;
  }

  // Writes a key or value and its place at meta[o] (start) and meta[o + 1] (length, -1 for none);
  // false when it must cross as part of its object.
  function put(v: unknown, o: number): boolean {
    if (v === null || v === undefined) {
      meta[o] = used;
      meta[o + 1] = -1;
      return true;
    }
    if (typeof v === 'string') {
      const n = v.length;
      room(3 * n);
      let i = 0;
      // Short ASCII strings (keys, mostly) are cheaper copied here than through Buffer.write.
      if (n <= 64) {
        for (; i < n; i++) {
          const c = v.charCodeAt(i);
          if (c > 0x7f) break;
          data[used + i] = c;
        }
      }
      const written = i === n ? n : i + data.write(i === 0 ? v : v.slice(i), used + i);
      meta[o] = used;
      meta[o + 1] = written;
      used += written;
      return true;
    }
    if (v instanceof Uint8Array && v.length <= COPY_LIMIT) {
      room(v.length);
      data.set(v, used);
      meta[o] = used;
      meta[o + 1] = v.length;
      used += v.length;
      return true;
    }
    return false;
  }

  // Whether a schema'd value's JSON text may be its element of the call's array text: the text
  // its own `JSON.stringify` gives. Not so for a top-level value that stringifies to nothing, nor
  // for one with a `toJSON` (which is handed its key); those are stringified alone.
  function arrayElement(v: unknown): boolean {
    const t = typeof v;
    if (t === 'object') return v === null || typeof (v as { toJSON?: unknown }).toJSON !== 'function';
    return t === 'string' || t === 'number' || t === 'boolean';
  }

  // Packs message `m` into slot `i` (for a schema'd call's `packing`, its value as JSON text, to
  // be encoded on the native side: an element of the call's array text, or its own text);
  // false when it must cross as an object.
  function pack(m: unknown, i: number, packing: Packing | undefined): boolean {
    if (typeof m !== 'object' || m === null) return false;
    const message = m as { key?: unknown; value?: unknown; partition?: unknown; headers?: unknown; timestamp?: unknown };
    if (message.headers != null || message.timestamp != null) return false;
    const raw = message.value;
    const partition = message.partition;
    if ((packing === undefined && raw === undefined) || Array.isArray(m)) return false;
    const o = i * F;
    if (partition === undefined || partition === null) meta[o + PARTITION] = -1;
    else if (Number.isInteger(partition) && (partition as number) >= 0 && (partition as number) <= 0x7fffffff) meta[o + PARTITION] = partition as number;
    else return false;
    const start = used;
    if (
      put(message.key, o + KEY_START) &&
      (packing === undefined ? put(raw, o + VALUE_START) : arrayElement(raw) ? packing.element(raw, m, o) : putOwnText(raw, o))
    ) {
      meta[o + OBJECT] = -1;
      return true;
    }
    used = start;
    return false;
  }

  // Writes a schema'd value's own JSON text as the value of the slot at meta offset `o`; false
  // (nothing written) when it has none or `JSON.stringify` throws: its message crosses as itself.
  function putOwnText(value: unknown, o: number): boolean {
    const start = used;
    try {
      const own = JSON.stringify(value);
      if (own !== undefined && put(own, o + VALUE_START)) return true;
    } catch (_) {
      // A BigInt, a cycle, a getter or toJSON that throws: the native side reports it.
    }
    used = start;
    return false;
  }

  // One call's messages, packed: topic names, and the objects that cross as themselves; for a
  // schema'd call, the values whose JSON text is written at the end, as one array.
  class Packing {
    names: string[];
    objects: unknown[];
    lastName: string | undefined;
    lastIndex: number;
    schema: boolean;
    /** The values of the array text, their messages, and their slots' offsets in `meta`. */
    values: unknown[];
    messages: unknown[];
    offsets: number[];
    /** Where `finish` wrote the array text in `data`. */
    arrayStart: number;

    constructor(n: number, schema = false) {
      used = 0;
      if (meta.length < n * F) meta = new Float64Array(Math.max(2 * meta.length, n * F));
      this.names = [];
      this.objects = [];
      this.lastName = undefined;
      this.lastIndex = NO_TOPIC;
      this.schema = schema;
      this.values = [];
      this.messages = [];
      this.offsets = [];
      this.arrayStart = -1;
    }
    // Makes `value` (of message `m`, slot at meta offset `o`) the next element of the array text.
    element(value: unknown, m: unknown, o: number): boolean {
      meta[o + VALUE_START] = -1;
      meta[o + VALUE_START + 1] = IN_ARRAY;
      this.values.push(value);
      this.messages.push(m);
      this.offsets.push(o);
      return true;
    }
    // Writes the array text after everything else, from a few `JSON.stringify` calls of runs of
    // the values (one call per value costs more); returns its length in bytes (at `arrayStart`),
    // -1 for none. Each run is sized from the one before to give about ARRAY_RUN_CHARS: V8
    // allocates a longer string as a large object, which costs page faults on every call. When a
    // run throws (a BigInt, a cycle, a getter), each value is stringified alone, and one that
    // fails crosses in its message object, failing its own slot.
    finish(): number {
      const values = this.values;
      if (values.length === 0) return -1;
      const start = used;
      try {
        let run = FIRST_ARRAY_RUN;
        for (let j = 0; j < values.length; ) {
          const text = JSON.stringify(j === 0 && values.length <= run ? values : values.slice(j, j + run));
          room(3 * text.length);
          // A run after the first writes its `[` over the `]` before it, and makes it a `,`.
          const at = j === 0 ? used : used - 1;
          used = at + data.write(text, at);
          if (j > 0) data[at] = COMMA;
          j += run;
          run = Math.max(1, Math.floor((ARRAY_RUN_CHARS * run) / text.length));
        }
        this.arrayStart = start;
        return used - start;
      } catch (_) {
        used = start;
      }
      for (let j = 0; j < values.length; j++) {
        const o = this.offsets[j];
        if (!putOwnText(values[j], o)) this.crossAsObject(o, this.messages[j]);
      }
      return -1;
    }
    // Makes message `m` (slot at meta offset `o`) cross as itself.
    crossAsObject(o: number, m: unknown): void {
      meta[o + OBJECT] = this.objects.length;
      this.objects.push(m);
    }
    topicIndex(topic: unknown): number {
      if (typeof topic !== 'string') return NO_TOPIC;
      if (topic === this.lastName) return this.lastIndex;
      let index = this.names.indexOf(topic);
      if (index < 0) index = this.names.push(topic) - 1;
      this.lastName = topic;
      this.lastIndex = index;
      return index;
    }
    add(i: number, topicIndex: number, m: unknown): void {
      meta[i * F + TOPIC] = topicIndex;
      const start = used;
      let packed = false;
      try {
        packed = pack(m, i, this.schema ? this : undefined);
      } catch (_) {
        // A getter (or a value's toJSON) that throws: the native side reads the object and
        // reports it as bad input.
        used = start;
      }
      if (!packed) this.crossAsObject(i * F, m);
    }
  }

  // Unsettled publishes by sequence number: {resolve, reject, topic} for a single publish,
  // {resolve, reject, topic, topics} for a batch (`topics`: each slot's topic, or undefined when
  // all have `topic`).
  const pending = new PendingBySeq();
  let nextSeq = 1;

  // Single publishes of this turn not yet sent, per service.
  const queued = new Map<KafkaService, Queued[]>();
  let scheduled = false;

  function sendQueued(): void {
    scheduled = false;
    for (const [service, entries] of queued) {
      queued.delete(service);
      sendSingles(service, entries);
    }
  }

  function flush(service: KafkaService): void {
    const entries = queued.get(service);
    if (entries === undefined || busy) return;
    queued.delete(service);
    sendSingles(service, entries);
  }

  let publishPacked: PublishPacked;
  let publishSingle: PublishSingle;
  let publishPackedSchema: PublishPackedSchema;

  // The options of a call when they ask for a schema (read here, and again by the native side).
  function schemaOptions(options: unknown): object | undefined {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
    try {
      return (options as { schema?: unknown }).schema == null ? undefined : options;
    } catch (_) {
      // A getter that throws: the native method reports it.
      return undefined;
    }
  }

  // True while a call's messages are packed into `data` and `meta` and read by the native side: a
  // message's getter that publishes meanwhile must not write there under it (its publish queues,
  // its batch crosses as objects).
  let busy = false;

  function sendSingles(service: KafkaService, entries: Queued[]): void {
    const n = entries.length;
    if (n === 0) return;
    const seq = nextSeq;
    nextSeq += n;
    busy = true;
    try {
      const packing = new Packing(n);
      for (let i = 0; i < n; i++) {
        const e = entries[i];
        packing.add(i, packing.topicIndex(e.topic), e.message);
      }
      publishPacked.call(service, packing.names, data, meta, n, packing.objects, seq, true);
    } catch (error) {
      for (let i = 0; i < n; i++) entries[i].reject(error);
      return;
    } finally {
      busy = false;
    }
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      e.message = undefined;
      pending.hold(seq + i, e);
    }
  }

  // Sends a turn's first single publish at once (see the top): its key and value written into
  // `data` as `pack` writes them, the rest as arguments. Undefined when it must take the packed
  // path (a topic that is not a string, a message of another shape).
  function sendAlone(service: KafkaService, topic: unknown, m: unknown): Promise<PublishResult> | undefined {
    if (typeof topic !== 'string' || busy) return undefined;
    const seq = nextSeq;
    busy = true;
    try {
      used = 0;
      let packed = false;
      try {
        packed = pack(m, 0, undefined);
      } catch (_) {
        // A getter that throws: the packed path reports it.
      }
      if (!packed) return undefined;
      nextSeq++;
      publishSingle.call(service, topic, data, meta[KEY_START], meta[KEY_START + 1], meta[VALUE_START], meta[VALUE_START + 1], meta[PARTITION], seq);
    } catch (error) {
      return Promise.reject(error);
    } finally {
      busy = false;
    }
    return new Promise((resolve, reject) => {
      pending.hold(seq, { resolve: resolve as (value: unknown) => void, reject, topic });
    });
  }

  // A publishBatch, or with `schema` (a call's `{schema}` options) a schema'd publishBatch or, as
  // a batch of one with `single`, a schema'd publish.
  function sendBatch(service: KafkaService, topic: string | undefined, messages: unknown[], schema?: object, single = false): Promise<unknown> {
    busy = true;
    try {
      return packBatch(service, topic, messages, schema, single);
    } finally {
      busy = false;
    }
  }

  function packBatch(service: KafkaService, topic: string | undefined, messages: unknown[], schema: object | undefined, single: boolean): Promise<unknown> {
    const n = messages.length;
    const packing = new Packing(n, schema !== undefined);
    let topics: string[] | undefined;
    if (topic !== undefined) {
      const index = packing.topicIndex(topic);
      for (let i = 0; i < n; i++) packing.add(i, index, messages[i]);
    } else {
      topics = new Array(n);
      for (let i = 0; i < n; i++) {
        const m = messages[i];
        let t: unknown;
        try {
          t = typeof m === 'object' && m !== null ? (m as { topic?: unknown }).topic : undefined;
        } catch (_) {
          t = undefined;
        }
        topics[i] = typeof t === 'string' ? t : '';
        packing.add(i, typeof t === 'string' ? packing.topicIndex(t) : RECORD_TOPIC, m);
      }
    }
    const arrayLength = packing.finish();
    const seq = nextSeq++;
    return new Promise((resolve, reject) => {
      if (schema === undefined) publishPacked.call(service, packing.names, data, meta, n, packing.objects, seq, false);
      else publishPackedSchema.call(service, packing.names, data, meta, n, packing.objects, seq, schema, packing.arrayStart, arrayLength);
      pending.hold(seq, { resolve, reject, topic, topics, batch: !single });
    });
  }

  function outcome(topic: unknown, partition: number, offset: number, timestamp: number): Outcome {
    return { topic: topic as string | undefined, partition, offset, timestamp: Number.isNaN(timestamp) ? null : timestamp };
  }

  function result(topic: unknown, numbers: Float64Array, m: number): Outcome {
    const o = R * m;
    return outcome(topic, numbers[o + RESULT_PARTITION], numbers[o + RESULT_OFFSET], numbers[o + RESULT_TIMESTAMP]);
  }

  // A round's outcomes: `entries` holds (sequence number, message count) pairs, `numbers` the
  // layout's result fields per message (partition, offset, timestamp or NaN; offset -1 when it
  // failed), `errorIndex` the messages (counted across the round) that failed, `errors` their
  // KafkaNativeErrors.
  //
  // A round may settle several batches. Their continuations (which often build and send the next
  // batch) would then run one after another in one microtask drain, the event loop getting no
  // turn between them; so the round's promises are settled up to and including the first batch
  // of more than one message, the rest in later loop iterations by the same rule: one large
  // batch's continuation per iteration. Outcome objects are built as each promise settles, so a
  // deferred batch holds no young objects across minor GCs (`numbers` is the round's own array).
  function settle(entries: Float64Array, numbers: Float64Array, errorIndex: Int32Array, errors: unknown[]): void {
    let m = 0;
    let e = 0;
    let rest: Round | undefined;
    for (let j = 0; j < entries.length; j += 2) {
      const p = pending.take(entries[j]);
      const n = entries[j + 1];
      if (p !== undefined && rest !== undefined) rest.items.push({ p, m, e, n });
      else if (p !== undefined) {
        settleItem(p, n, m, e, numbers, errorIndex, errors);
        if (endsTurn(p, n) && j + 2 < entries.length) rest = { numbers, errorIndex, errors, items: [] };
      }
      m += n;
      while (e < errorIndex.length && errorIndex[e] < m) e++;
    }
    // Called from a native callback (the loop's poll phase): an immediate queued now would run in
    // this very iteration, before any timer; one hop more and it runs in the next.
    if (rest !== undefined && rest.items.length > 0) setImmediate(() => setImmediate(settleRest, rest, 0));
  }

  // Whether a settled publish ends its turn of settling: a batch of more than one message, whose
  // continuation often builds and sends the next batch.
  function endsTurn(p: Pending, n: number): boolean {
    return n > 1 && p.batch === true;
  }

  // Settles one publish of a round: `m` is its first message's index in the round, `e` the index
  // in `errorIndex` of its first failed message (or of a later one).
  function settleItem(p: Pending, n: number, m: number, e: number, numbers: Float64Array, errorIndex: Int32Array, errors: unknown[]): void {
    if (p.batch !== true) {
      if (e < errorIndex.length && errorIndex[e] === m) p.reject(errors[e]);
      else p.resolve(result(p.topic, numbers, m));
      return;
    }
    const out: Outcome[] = new Array(n);
    for (let i = 0; i < n; i++, m++) {
      out[i] = result(p.topics === undefined ? p.topic : p.topics[i], numbers, m);
      if (e < errorIndex.length && errorIndex[e] === m) out[i].error = errors[e++];
    }
    p.resolve(out);
  }

  // Settles the rest of a round (its publishes after the first large batch), up to and including
  // the next large batch in each macrotask. Each `setImmediate` queued from here runs in the next
  // loop iteration, after timers and I/O.
  function settleRest(round: Round, from: number): void {
    const { numbers, errorIndex, errors, items } = round;
    for (let k = from; k < items.length; k++) {
      const { p, m, e, n } = items[k];
      settleItem(p, n, m, e, numbers, errorIndex, errors);
      if (endsTurn(p, n) && k + 1 < items.length) {
        setImmediate(settleRest, round, k + 1);
        return;
      }
    }
  }

  // `settle` for a round of one message (a single publish or a batch of one): its sequence number,
  // partition, offset, timestamp or NaN, and its KafkaNativeError (null when it succeeded).
  function settleOne(seq: number, partition: number, offset: number, timestamp: number, error: unknown): void {
    const p = pending.take(seq);
    if (p === undefined) return;
    const r = outcome(p.topics === undefined ? p.topic : p.topics[0], partition, offset, timestamp);
    if (p.batch !== true) {
      if (error != null) p.reject(error);
      else p.resolve(r);
      return;
    }
    if (error != null) r.error = error;
    p.resolve([r]);
  }

  // Replaces `publish` and `publishBatch` of the prototype (the native ones stay reachable for
  // what the packed path does not take: unusual arguments).
  function install(prototype: ServicePrototype): void {
    publishPacked = prototype.publishPacked as PublishPacked;
    publishSingle = prototype.publishSingle as PublishSingle;
    publishPackedSchema = prototype.publishPackedSchema as PublishPackedSchema;
    const publishOne = prototype.publish;
    const publishMany = prototype.publishBatch;
    const transaction = prototype.transaction;
    const disconnect = prototype.disconnect;
    delete prototype.publishPacked;
    delete prototype.publishSingle;
    delete prototype.publishPackedSchema;

    prototype.publish = function publish(this: KafkaService, topic: unknown, message: unknown, options?: unknown): Promise<PublishResult> {
      if (options !== undefined) {
        flush(this);
        const schema = busy ? undefined : schemaOptions(options);
        if (schema !== undefined && typeof topic === 'string' && typeof this === 'object' && this !== null) {
          return sendBatch(this, topic, [message], schema, true) as Promise<PublishResult>;
        }
        return publishOne.call(this, topic, message, options);
      }
      let entries = queued.get(this);
      if (entries === undefined) {
        if (typeof this !== 'object' || this === null) return publishOne.call(this, topic, message);
        queued.set(this, (entries = []));
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(sendQueued);
        }
        const alone = sendAlone(this, topic, message);
        if (alone !== undefined) return alone;
      }
      const turn = entries;
      return new Promise((resolve, reject) => {
        turn.push({ resolve: resolve as (value: unknown) => void, reject, topic, message });
      });
    };

    prototype.publishBatch = function publishBatch(this: KafkaService, first?: unknown, second?: unknown, third?: unknown): Promise<unknown> {
      // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
      if (busy) return publishMany.apply(this, arguments as unknown as unknown[]);
      flush(this);
      if (third === undefined && typeof first === 'string' && Array.isArray(second)) {
        return sendBatch(this, first, second);
      }
      if (second === undefined && third === undefined && Array.isArray(first)) {
        return sendBatch(this, undefined, first);
      }
      if (typeof first === 'string' && Array.isArray(second)) {
        const schema = schemaOptions(third);
        if (schema !== undefined) return sendBatch(this, first, second, schema);
      }
      if (Array.isArray(first) && third === undefined) {
        const schema = schemaOptions(second);
        if (schema !== undefined) return sendBatch(this, undefined, first, schema);
      }
      // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
      return publishMany.apply(this, arguments as unknown as unknown[]);
    };

    prototype.transaction = function (this: KafkaService) {
      flush(this);
      // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
      return transaction.apply(this, arguments as unknown as unknown[]);
    };

    prototype.disconnect = function (this: KafkaService) {
      flush(this);
      // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
      return disconnect.apply(this, arguments as unknown as unknown[]);
    };
  }

  return { install, settle, settleOne };
}
