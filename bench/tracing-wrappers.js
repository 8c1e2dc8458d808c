'use strict';
// The consumer tracing wrappers of src/binding/tracing.js alone, without a broker or the addon:
// CPU µs (or, under `valgrind --tool=callgrind`, instructions) per message of the `eachMessage`
// and `eachBatch` wrappers around an empty async handler, with the OpenTelemetry SDK registered
// (ParentBased over TraceIdRatioBased(0.01), BatchSpanProcessor exporting nowhere, W3C
// propagator, AsyncLocalStorage context manager) and 1 % of the messages carrying a sampled
// `traceparent`. Compares versions of tracing.js side by side (paths as arguments).
//
//   node bench/tracing-wrappers.js [--batch] [--messages 200000] [tracing.js ...]

const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { randomBytes } = require('crypto');
const { execFileSync } = require('child_process');

function child(file, batch, n) {
  const tracing = vm.runInThisContext(fs.readFileSync(file, 'utf8'));
  const api = require('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor, TraceIdRatioBasedSampler, ParentBasedSampler } = require('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core');
  const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65536 })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  const messages = Array.from({ length: 1000 }, (_, i) => ({
    key: Buffer.from('k'),
    value: Buffer.alloc(100),
    offset: String(i),
    headers: { traceparent: Buffer.from(`00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${i % 100 === 0 ? '01' : '00'}`) },
  }));
  const handler = async () => {};
  const run = async () => {
    for (let done = 0; done < n; done += 1000) {
      if (batch) {
        await tracing.batchTracer('g')('t', 0, messages, handler);
      } else {
        const traced = tracing.messageTracer('g');
        for (const m of messages) await traced('t', 0, m, handler);
      }
    }
  };
  return run().then(async () => {
    const start = process.cpuUsage();
    await run();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  });
}

async function main() {
  const a = process.argv.slice(2);
  const batch = a.includes('--batch');
  const i = a.indexOf('--messages');
  const n = i >= 0 ? Number(a[i + 1]) : 200_000;
  if (a.includes('--child')) {
    process.stdout.write(String(await child(a[a.indexOf('--child') + 1], batch, n)));
    return;
  }
  const files = a.filter((x, j) => x.endsWith('.js') && a[j - 1] !== '--messages');
  if (files.length === 0) files.push(path.join(__dirname, '..', 'src', 'binding', 'tracing.js'));
  for (let run = 1; run <= 3; run++) {
    for (const file of files) {
      const extra = [...(batch ? ['--batch'] : []), '--messages', String(n)];
      const us = execFileSync(process.execPath, [__filename, '--child', path.resolve(file), ...extra], { encoding: 'utf8' });
      console.log(`run ${run} ${batch ? 'eachBatch' : 'eachMessage'} ${file}: ${Number(us).toFixed(2)} µs/message`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
