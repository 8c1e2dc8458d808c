// Generated from ts/native/js-support.ts by scripts/js-support.js: edit the TypeScript, then run
// `node scripts/js-support.js`. The binding runs this script (js_support.rs); it evaluates to
// `jsSupport`.
(function (exports) {
"use strict";
// JavaScript the binding compiles once per Node environment: the error class the package
// exports, and the loops that hand a batch of consumed messages to a user's handler. A loop runs
// in JS so that a batch crosses the native boundary once, however many handler calls it makes.
//
// Not a module of the subpath layers: `scripts/js-support.js` emits it as
// src/binding/js_support.js, which the binding includes (js_support.rs) and runs with
// `run_script`. The script evaluates to `jsSupport`, called with the tracing helpers (tracing.ts),
// the metrics bridge (metrics-bridge.ts) and the packed layouts (batch_layout.rs). It imports
// types only: nothing is loaded at run time.
Object.defineProperty(exports, "__esModule", { value: true });
exports.jsSupport = jsSupport;
/** The helpers the binding keeps (js_support.rs). */
function jsSupport(tracing, metricsBridge, layout) {
    const F = layout.messageFields;
    const OFFSET = layout.offset;
    const TIMESTAMP = layout.timestamp;
    const KEY_START = layout.keyStart;
    const KEY_LENGTH = layout.keyLength;
    const VALUE_START = layout.valueStart;
    const VALUE_LENGTH = layout.valueLength;
    const HEADER_COUNT = layout.headerCount;
    const H = layout.headerFields;
    const HEADER_START = layout.headerStart;
    const HEADER_LENGTH = layout.headerLength;
    const R = layout.resultFields;
    const RESULT_TOPIC = layout.resultTopic;
    const RESULT_PARTITION = layout.resultPartition;
    const RESULT_OFFSET = layout.resultOffset;
    const RESULT_TIMESTAMP = layout.resultTimestamp;
    // Held here: a global read per message view costs a global look-up in a script.
    const BufferClass = Buffer;
    class KafkaNativeError extends Error {
        constructor(message, code, retriable, fatal, topic, partition, registryCode, path) {
            super(message);
            this.name = 'KafkaNativeError';
            this.code = code;
            this.retriable = retriable;
            this.fatal = fatal;
            if (topic != null)
                this.topic = topic;
            if (partition != null)
                this.partition = partition;
            if (registryCode != null)
                this.registryCode = registryCode;
            if (path != null)
                this.path = path;
        }
    }
    // Always a string: the engine takes a missing description for "no error" (and delivers the
    // rest of the batch again at once), so `throw undefined` or a rejection with a Symbol must
    // still read as a failure.
    function describe(e) {
        try {
            // Duck-typed: an Error from another realm (a vm context, a Jest sandbox) fails instanceof.
            if (e instanceof Error || (e !== null && typeof e === 'object' && typeof e.message === 'string')) {
                const error = e;
                return String(error.stack || error.message || e);
            }
            if (typeof e === 'string')
                return e;
            const json = JSON.stringify(e);
            return json === undefined ? String(e) : json;
        }
        catch (_) {
            try {
                return String(e);
            }
            catch (_) {
                return 'the handler failed with a value that cannot be converted to a string';
            }
        }
    }
    const heartbeat = async () => { };
    // Handlers run in slices of the event loop's turns. Node runs every thread-safe call queued by
    // the time it dispatches them in one macrotask, and keeps going while more arrive; with a
    // backlog the engine has each partition's next batch prefetched and queues it as soon as a
    // handler settles, so on a real broker a turn held up to 25,000 messages (10-40 ms), delaying
    // every timer and I/O callback by that. Once the handlers of the current turn have run
    // TURN_BUDGET_MS, the next batch (and, every TURN_CHECK_EVERY messages, the next message of an
    // eachMessage batch) waits for a later turn's check phase.
    const TURN_BUDGET_MS = 2;
    const TURN_CHECK_EVERY = 64;
    // When the current turn's first handler call began, or -1 before it.
    let turnStart = -1;
    const endTurn = () => {
        turnStart = -1;
    };
    const inNextTurn = (resolve) => {
        setImmediate(resolve);
    };
    // Undefined while the current turn has budget left (the first call of a turn starts its clock),
    // else a promise of a turn that has.
    function turnSpent() {
        const now = performance.now();
        if (turnStart < 0) {
            turnStart = now;
            setImmediate(endTurn);
            return undefined;
        }
        return now - turnStart < TURN_BUDGET_MS ? undefined : nextTurn();
    }
    async function nextTurn() {
        await new Promise(inNextTurn);
        const spent = turnSpent();
        if (spent !== undefined)
            await spent;
    }
    function cursorOf(packed) {
        return { header: 0, memory: packed.data.buffer, base: packed.data.byteOffset, timestamp: NaN, timestampText: '' };
    }
    // Message timestamp `timestamp` as text, from the cursor when it is the last one read.
    function timestampText(cursor, timestamp) {
        if (timestamp !== cursor.timestamp) {
            cursor.timestamp = timestamp;
            cursor.timestampText = String(timestamp);
        }
        return cursor.timestampText;
    }
    // `length` bytes of the batch's `data` from `start`, as a Buffer sharing its memory: the same
    // Buffer as `data.subarray(start, start + length)` without `subarray`'s look-ups of the species
    // constructor and of the typed array's buffer on every call.
    function view(cursor, start, length) {
        return BufferClass.from(cursor.memory, cursor.base + start, length);
    }
    // Message `i` of a packed batch from the engine as a kafkajs-shaped message: Buffers are views
    // of the batch's one `data` Buffer, offsets and timestamps are strings. Its headers start at
    // `cursor.header` in the header tables, and the cursor moves past them.
    function readMessage(packed, i, cursor) {
        const { meta, headerNames, headerMeta } = packed;
        const o = i * F;
        const keyLength = meta[o + KEY_LENGTH];
        const valueLength = meta[o + VALUE_LENGTH];
        const headerCount = meta[o + HEADER_COUNT];
        const headers = {};
        let h = cursor.header;
        for (let j = 0; j < headerCount; j++, h++) {
            const name = headerNames[h];
            const start = headerMeta[H * h + HEADER_START];
            const value = view(cursor, start, Math.max(0, headerMeta[H * h + HEADER_LENGTH]));
            const previous = headers[name];
            if (previous === undefined)
                headers[name] = value;
            else if (Array.isArray(previous))
                previous.push(value);
            else
                headers[name] = [previous, value];
        }
        cursor.header = h;
        return {
            key: keyLength < 0 ? null : view(cursor, meta[o + KEY_START], keyLength),
            value: valueLength < 0 ? null : view(cursor, meta[o + VALUE_START], valueLength),
            headers,
            offset: String(meta[o + OFFSET]),
            timestamp: timestampText(cursor, meta[o + TIMESTAMP]),
            size: Math.max(0, keyLength) + Math.max(0, valueLength),
            attributes: 0,
        };
    }
    // A packed batch's messages, all read at once (for eachBatch and transforms).
    function unpack(packed) {
        const n = packed.meta.length / F;
        const messages = new Array(n);
        const cursor = cursorOf(packed);
        for (let i = 0; i < n; i++)
            messages[i] = readMessage(packed, i, cursor);
        const values = decodedValues(packed);
        if (values !== undefined)
            for (let i = 0; i < n; i++)
                attachDecoded(packed, values, messages[i], i);
        return { topic: packed.topic, partition: packed.partition, assignment: packed.assignment, messages };
    }
    // A decoding subscription's values (see PackedValues in message.rs), parsed in one call per
    // batch; undefined for a subscription that does not decode.
    function decodedValues(packed) {
        return packed.decoded ? JSON.parse(packed.decoded) : undefined;
    }
    // Message `i`'s decoded value: `decoded` and `schemaId` on the message, or the `decodeError`
    // that fails it before the handler sees it.
    function attachDecoded(packed, values, message, i) {
        const { schemaIds, decodeErrors } = packed;
        const error = decodeErrors[i];
        if (error != null)
            message.decodeError = error;
        else if (schemaIds[i] < 0)
            message.decoded = null;
        else {
            message.decoded = values[i];
            message.schemaId = schemaIds[i];
        }
    }
    // Index of the first message that could not be decoded, or -1.
    function firstUndecodable(messages) {
        for (let i = 0; i < messages.length; i++)
            if (messages[i].decodeError)
                return i;
        return -1;
    }
    // A handler's failure as the engine takes it: the description, and for an error that carries
    // a stable code and a retriable flag (a KafkaNativeError, a kafkajs facade error, or the user's
    // own `{code: 'ERR_…', retriable}`) those too, so that the dead letter and onError say why and
    // an error that is not retriable goes to the dead-letter topic without retries.
    function failed(processed, e) {
        const report = { processed, error: describe(e) };
        try {
            const coded = e;
            if (e !== null && typeof e === 'object' && typeof coded.code === 'string' && /^ERR_[A-Z0-9_]+$/.test(coded.code) && typeof coded.retriable === 'boolean') {
                report.code = coded.code;
                report.retriable = coded.retriable;
            }
        }
        catch (_) {
            // A getter that throws leaves the failure a plain handler failure.
        }
        return report;
    }
    // A failure report with the id of the failed call's span, which stays open until the engine
    // tells what became of the message (retried, dead-lettered): its event.
    function pending(traced, report) {
        traced.pend(report);
        return report;
    }
    function eachMessage(handler, groupId) {
        return async function deliver(packed) {
            const { topic, partition } = packed;
            const n = packed.meta.length / F;
            const values = decodedValues(packed);
            // Each message is read just before its handler call, so that a batch's message objects do
            // not all live through the handler's awaits (survivors of young-generation collections
            // grow V8's heap: 38-40 MB against 23 MB consuming a 1 M backlog).
            const cursor = cursorOf(packed);
            // Looked up once per batch: without a tracer provider this is one property read.
            const traced = tracing.messageTracer(groupId);
            let i = 0;
            try {
                for (; i < n; i++) {
                    if (i % TURN_CHECK_EVERY === 0) {
                        const spent = turnSpent();
                        if (spent !== undefined)
                            await spent;
                    }
                    const message = readMessage(packed, i, cursor);
                    if (values !== undefined)
                        attachDecoded(packed, values, message, i);
                    if (message.decodeError)
                        throw message.decodeError;
                    const payload = { topic, partition, message, heartbeat };
                    if (traced === undefined)
                        await handler(payload);
                    else
                        await traced(topic, partition, message, () => handler(payload));
                }
                return { processed: i };
            }
            catch (e) {
                return traced === undefined ? failed(i, e) : pending(traced, failed(i, e));
            }
        };
    }
    function eachBatch(handler, groupId) {
        return async function deliver(packed) {
            const spent = turnSpent();
            if (spent !== undefined)
                await spent;
            const batch = unpack(packed);
            const traced = tracing.batchTracer(groupId);
            // An undecodable message ends the batch: the handler gets those before it, then the batch
            // fails at it (the engine sends it to the dead-letter topic or onError with its decoding
            // code), so it is never skipped.
            const bad = firstUndecodable(batch.messages);
            if (bad === 0)
                return { processed: 0, error: describe(batch.messages[0].decodeError) };
            const messages = bad < 0 ? batch.messages : batch.messages.slice(0, bad);
            let resolved = 0;
            const resolveOffset = (offset) => {
                const o = String(offset);
                for (let i = messages.length - 1; i >= resolved; i--) {
                    if (messages[i].offset === o) {
                        resolved = i + 1;
                        return;
                    }
                }
            };
            try {
                const payload = {
                    batch: {
                        topic: batch.topic,
                        partition: batch.partition,
                        assignment: batch.assignment,
                        messages,
                        firstOffset: () => (messages.length ? messages[0].offset : null),
                        lastOffset: () => (messages.length ? messages[messages.length - 1].offset : null),
                        isEmpty: () => messages.length === 0,
                    },
                    resolveOffset,
                    heartbeat,
                    isRunning: () => true,
                    isStale: () => false,
                };
                if (traced === undefined)
                    await handler(payload);
                else
                    await traced(batch.topic, batch.partition, messages, () => handler(payload));
                if (bad >= 0)
                    return { processed: messages.length, error: describe(batch.messages[bad].decodeError) };
                return { processed: messages.length };
            }
            catch (e) {
                return traced === undefined ? failed(resolved, e) : pending(traced, failed(resolved, e));
            }
        };
    }
    // The callback of the settlement signal. `drain` settles one round of queued publish outcomes
    // and returns true when more is queued; `drain(true)` settles only a lone outcome (one publish,
    // the common `for (…) await publish()` loop), at once, and returns true when there is anything
    // else. Anything else runs from setImmediate, and again while there is more, so a round of
    // many runs in the check phase, one per turn of the event loop: settling those inside the
    // signal's own callback would let Node chain rounds there (it dispatches signals that arrive
    // meanwhile in the same callback, up to 1,000).
    function settlementLoop(drain) {
        const again = () => {
            if (drain())
                setImmediate(again);
        };
        return () => {
            if (drain(true))
                setImmediate(again);
        };
    }
    // publishBatch's result from packed outcomes (see batch_results in message.rs): `R` numbers per
    // message (topic index, partition, offset, timestamp or NaN), and the errors of failed slots.
    function batchResults(topicNames, numbers, errorIndex, errors) {
        const n = numbers.length / R;
        const out = new Array(n);
        for (let i = 0; i < n; i++) {
            const o = R * i;
            const timestamp = numbers[o + RESULT_TIMESTAMP];
            out[i] = {
                topic: topicNames[numbers[o + RESULT_TOPIC]],
                partition: numbers[o + RESULT_PARTITION],
                offset: numbers[o + RESULT_OFFSET],
                timestamp: Number.isNaN(timestamp) ? null : timestamp,
            };
        }
        for (let j = 0; j < errorIndex.length; j++)
            out[errorIndex[j]].error = errors[j];
        return out;
    }
    // Wraps KafkaService.prototype's methods: producer spans, and the metrics bridge.
    function instrument(prototype) {
        tracing.instrument(prototype);
        metricsBridge.instrument(prototype);
    }
    // Consume-transform-produce (KafkaService.subscribeTransactional): per batch, the records the
    // transform returns and the batch's consumed offsets commit in one transaction of `service`,
    // one transaction at a time. A failure aborts it and throws, so the engine delivers the batch
    // again (retries, then onError); the consumer itself never commits (autoCommit false).
    // A fatal error (the producer fenced: a transaction outlived the coordinator's timeout, or
    // another instance took the transactional id) replaces the producer (resetTransactions)
    // before the batch is delivered again. Resets less than DISTURBANCE_QUIET_MS apart, or with no
    // committed transaction between them, are one disturbance: one intrusion can fence a
    // replacement again and again, even after it committed (its InitProducerId, retried while the
    // coordinator aborts our open transaction, may land after our reset's; on a busy machine the
    // coordinators refuse a replacement's offsets with an old epoch: seen 4 times within 2 s), so
    // each further reset of a disturbance waits a little longer, and past RESETS_PER_DISTURBANCE
    // the error is final. Up to DISTURBANCES_PER_WINDOW disturbances in DISTURBANCE_WINDOW_MS;
    // past that too the error is final and the subscription stops with it (onError), rather than
    // two instances fencing each other for good.
    const COMMIT_ATTEMPTS = 5;
    const RESETS_PER_DISTURBANCE = 6;
    const RESET_BACKOFF_MS = 250;
    const RESET_BACKOFF_MAX_MS = 2000;
    const DISTURBANCES_PER_WINDOW = 3;
    const DISTURBANCE_WINDOW_MS = 60000;
    const DISTURBANCE_QUIET_MS = 10000;
    function transactional(service, options, transform) {
        let chain = Promise.resolve();
        // When each disturbance of the window began, how many resets the current one took, when
        // the last one was, and whether a transaction committed since.
        let disturbances = [];
        let resetsInDisturbance = 0;
        let lastResetAt = 0;
        let committedSinceReset = true;
        let finalError = null;
        let markReady;
        const ready = new Promise((resolve) => (markReady = resolve));
        const exclusive = (work) => {
            const run = chain.then(work);
            chain = run.catch(() => { });
            return run;
        };
        async function commitWithRetries(tx) {
            for (let attempt = 1;; attempt++) {
                try {
                    return await tx.commit();
                }
                catch (e) {
                    if (!(e && e.retriable) || !tx.open || attempt >= COMMIT_ATTEMPTS)
                        throw e;
                }
            }
        }
        const isFatal = (e) => !!(e && e.fatal);
        // After a fatal error: replaces the producer and resolves with an error the engine retries
        // (a KafkaNativeError thrown as it is, `retriable: false`, would stop the subscription at
        // once), or, past the resets allowed, with the fatal error, which stops it.
        async function recover(fatal) {
            if (finalError !== null)
                return finalError;
            const now = Date.now();
            if (committedSinceReset && now - lastResetAt >= DISTURBANCE_QUIET_MS)
                resetsInDisturbance = 0;
            if (resetsInDisturbance === 0) {
                disturbances = disturbances.filter((at) => now - at < DISTURBANCE_WINDOW_MS);
                if (disturbances.length >= DISTURBANCES_PER_WINDOW)
                    return (finalError = fatal);
                disturbances.push(now);
            }
            else if (resetsInDisturbance >= RESETS_PER_DISTURBANCE) {
                return (finalError = fatal);
            }
            else {
                const backoff = Math.min(RESET_BACKOFF_MAX_MS, RESET_BACKOFF_MS * 2 ** (resetsInDisturbance - 1));
                await new Promise((resolve) => setTimeout(resolve, backoff));
            }
            resetsInDisturbance++;
            lastResetAt = Date.now();
            committedSinceReset = false;
            await service.resetTransactions().catch(() => { });
            return again(fatal, 'the transactional producer was replaced after');
        }
        // An aborted transaction's error as one the engine retries: a KafkaNativeError such as
        // UNKNOWN_MEMBER_ID on the offsets (the member rejoined meanwhile) is `retriable: false`,
        // and thrown as it is would stop the subscription at once, though the next attempt can
        // commit. Retries stay bounded by the subscription's `retries`. `what` says what happened
        // to the transaction.
        function again(e, what = 'the transaction was aborted') {
            const k = e;
            if (e === null || typeof e !== 'object' || typeof k.code !== 'string' || k.retriable === true)
                return e;
            return new KafkaNativeError(`${what}: ${String(k.message)}; the batch is delivered again`, k.code, true, false);
        }
        async function inOneTransaction(batch, outputs) {
            const subscription = await ready;
            if (finalError !== null)
                throw finalError;
            let tx;
            try {
                tx = await service.transaction();
            }
            catch (e) {
                throw isFatal(e) ? await recover(e) : e;
            }
            try {
                if (outputs.length > 0) {
                    const results = await tx.publishBatch(outputs);
                    for (const r of results)
                        if (r.error)
                            throw r.error;
                }
                const last = batch.messages[batch.messages.length - 1];
                const next = (BigInt(last.offset) + 1n).toString();
                // With the batch's assignment: refused once the partition was revoked (a batch handled
                // past a rebalance must not commit under the next generation; its next owner has it).
                await tx.sendOffsets({ subscription, offsets: [{ topic: batch.topic, partition: batch.partition, offset: next, assignment: batch.assignment }] });
                await commitWithRetries(tx);
                committedSinceReset = true;
            }
            catch (e) {
                // A fenced producer purges the transaction's messages (not fatal errors themselves):
                // the abort then tells that the producer failed.
                let fatal = isFatal(e) ? e : null;
                if (tx.open) {
                    await tx.abort().catch((abortError) => {
                        if (fatal === null && isFatal(abortError))
                            fatal = abortError;
                    });
                }
                throw fatal !== null ? await recover(fatal) : again(e);
            }
        }
        const eachBatch = async ({ batch }) => {
            if (batch.messages.length === 0)
                return;
            const outputs = await transform({ topic: batch.topic, partition: batch.partition, assignment: batch.assignment, messages: batch.messages });
            if (outputs != null && !Array.isArray(outputs)) {
                throw new TypeError('the transform must return an array of records ({topic, value, ...}) or nothing');
            }
            await exclusive(() => inOneTransaction(batch, outputs || []));
        };
        return service.subscribe({ ...options, autoCommit: false }, { eachBatch }).then((subscription) => {
            markReady(subscription);
            return subscription;
        });
    }
    return { KafkaNativeError, eachMessage, eachBatch, settlementLoop, batchResults, instrument, transactional };
}
return exports.jsSupport;
})({})
