// Generated from ts/native/metrics-bridge.ts by scripts/js-support.js: edit the TypeScript, then run
// `node scripts/js-support.js`. The binding runs this script (js_support.rs); it evaluates to
// `metricsBridge`.
(function (exports) {
"use strict";
// The OpenTelemetry metrics bridge the binding compiles once per Node environment (see
// js_support.rs). When a meter provider is registered with @opentelemetry/api 1.x (its global
// registry, as in tracing.ts: nothing is loaded), a service that connects or subscribes is observed
// through asynchronous instruments read from its `stats()` at each collection. Names follow the
// OpenTelemetry messaging conventions where they define one (`messaging.client.sent.messages`,
// `messaging.client.consumed.messages`); the rest are `kafka_native.*`.
//
// Not a module of the subpath layers: `scripts/js-support.js` emits it as
// src/binding/metrics_bridge.js, which the binding includes (js_support.rs) and runs with
// `run_script`; the script evaluates to `metricsBridge`. It imports types only: nothing is loaded
// at run time.
Object.defineProperty(exports, "__esModule", { value: true });
exports.metricsBridge = void 0;
const API = Symbol.for('opentelemetry.js.api.1');
const NAME = '@cosmic-horizons/kafka-native';
const services = new Set();
let observedBy;
function meterProvider() {
    const g = globalThis[API];
    return g !== undefined ? g.metrics : undefined;
}
// Sums observations of equal attributes, so that services sharing a topic report one point.
class Points {
    constructor() {
        this.points = new Map();
    }
    add(instrument, value, attributes) {
        const key = JSON.stringify(attributes);
        let forInstrument = this.points.get(instrument);
        if (forInstrument === undefined)
            this.points.set(instrument, (forInstrument = new Map()));
        const point = forInstrument.get(key);
        if (point === undefined)
            forInstrument.set(key, { value, attributes });
        else
            point.value += value;
    }
    observeInto(result) {
        for (const [instrument, points] of this.points)
            for (const p of points.values())
                result.observe(instrument, p.value, p.attributes);
    }
}
function topicAttributes(topic) {
    return { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
}
function observeService(stats, i, points) {
    for (const [topic, f] of Object.entries(stats.topics)) {
        const attributes = topicAttributes(topic);
        points.add(i.sent, f.acknowledged, attributes);
        for (const [code, n] of Object.entries(f.errors))
            points.add(i.sent, n, { ...attributes, 'error.type': code });
        points.add(i.consumed, f.processed, attributes);
        points.add(i.handlerFailures, f.handlerFailures, attributes);
        if (f.ackLatency.count > 0)
            points.add(i.ackP99, f.ackLatency.p99 / 1000, attributes);
        if (f.handlerLatency.count > 0)
            points.add(i.handlerP99, f.handlerLatency.p99 / 1000, attributes);
    }
    for (const l of stats.consumer.lag) {
        points.add(i.lag, l.lag, { ...topicAttributes(l.topic), 'messaging.destination.partition.id': String(l.partition) });
    }
    points.add(i.inFlight, stats.producer.inFlight, { 'messaging.system': 'kafka' });
    for (const b of stats.brokers) {
        const attributes = { 'messaging.system': 'kafka', 'kafka.broker.id': b.id };
        points.add(i.brokerUp, b.state === 'UP' ? 1 : 0, attributes);
        points.add(i.brokerRtt, b.rttAvgMs / 1000, attributes);
    }
}
// The asynchronous instruments: [key in observeService, kind, name, unit, description].
const INSTRUMENTS = [
    ['sent', 'Counter', 'messaging.client.sent.messages', '{message}', 'Messages the broker acknowledged (with error.type: publishes that failed).'],
    ['consumed', 'Counter', 'messaging.client.consumed.messages', '{message}', 'Messages whose handler finished.'],
    ['handlerFailures', 'Counter', 'kafka_native.handler.failures', '{call}', 'Handler calls that failed (threw, rejected or timed out).'],
    ['ackP99', 'Gauge', 'kafka_native.publish.ack.duration.p99', 's', '99th percentile of the time from publish to the broker acknowledgement.'],
    ['handlerP99', 'Gauge', 'kafka_native.handler.duration.p99', 's', '99th percentile of the duration of a handler call.'],
    ['lag', 'Gauge', 'kafka_native.consumer.lag', '{message}', 'Messages between the committed offset and the end of an assigned partition.'],
    ['inFlight', 'UpDownCounter', 'kafka_native.producer.in_flight', '{message}', 'Messages published whose outcome is not known yet.'],
    ['brokerUp', 'Gauge', 'kafka_native.broker.up', '1', '1 when the producer connection to the broker is UP.'],
    ['brokerRtt', 'Gauge', 'kafka_native.broker.rtt', 's', 'Average request round-trip time over the last statistics window.'],
];
function instruments(meter) {
    const i = {};
    for (const [key, kind, name, unit, description] of INSTRUMENTS)
        i[key] = meter[`createObservable${kind}`](name, { description, unit });
    return i;
}
function observeWith(provider) {
    if (observedBy === provider)
        return;
    observedBy = provider;
    const meter = provider.getMeter(NAME);
    const i = instruments(meter);
    meter.addBatchObservableCallback((result) => {
        const points = new Points();
        for (const ref of services) {
            const service = ref.deref();
            const stats = service === undefined ? undefined : service.stats();
            if (stats === undefined || stats.state === 'disconnected') {
                services.delete(ref);
                continue;
            }
            observeService(stats, i, points);
        }
        points.observeInto(result);
    }, Object.values(i));
}
function observe(service) {
    const provider = meterProvider();
    if (provider === undefined)
        return;
    for (const ref of services)
        if (ref.deref() === service)
            return;
    services.add(new WeakRef(service));
    observeWith(provider);
}
/** Wraps `connect` and `subscribe` of the service's prototype to observe the service. */
function instrument(prototype) {
    for (const name of ['connect', 'subscribe']) {
        const original = prototype[name];
        prototype[name] = function () {
            observe(this);
            // eslint-disable-next-line prefer-rest-params -- passed on as called: the arity the native method sees is the caller's
            return original.apply(this, arguments);
        };
    }
}
/** The metrics bridge the binding hands to `jsSupport` (js-support.ts). */
exports.metricsBridge = { instrument };
return exports.metricsBridge;
})({})
