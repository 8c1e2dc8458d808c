'use strict';

// An OpenTelemetry SDK set up the way an application does it (tracer provider with the in-memory
// exporter, AsyncLocalStorage context manager, W3C trace-context propagator), for the tracing
// suites. Registering it is global to the process: a file that calls `registerTracing()` traces
// every publish and handler of that file.

const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');

/** Registers a tracer provider exporting to memory; returns the exporter and an `unregister()`. */
function registerTracing(options = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...options });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return {
    exporter,
    provider,
    spans: () => exporter.getFinishedSpans(),
    async unregister() {
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}

/**
 * Registers tracing for the file (beforeAll, unregistered afterAll) with an empty exporter before
 * each test; returns an object whose `tracing` is what registerTracing returned.
 */
function useTracing(options) {
  const state = {};
  beforeAll(() => {
    state.tracing = registerTracing(options);
  });
  afterAll(() => state.tracing.unregister());
  beforeEach(() => state.tracing.exporter.reset());
  return state;
}

/** The span's parent span id (SDK 2.x: `parentSpanContext`; 1.x: `parentSpanId`). */
function parentOf(span) {
  return span.parentSpanContext ? span.parentSpanContext.spanId : span.parentSpanId;
}

module.exports = { api, registerTracing, useTracing, parentOf };
