// The ring that holds unsettled publishes by sequence number (PendingBySeq in
// ts/native/publish.ts), compiled from its TypeScript source here: the binding runs that script
// and exposes only `publish`. Through the API, publish.test.js settles 10,000 singles in flight (the
// ring grows); the overflow past RING_LIMIT needs a sequence range no test publishes.
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

function load() {
  const source = path.join(__dirname, '..', 'ts', 'native', 'publish.ts');
  const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021 },
  });
  const exports = {};
  new Function('exports', outputText)(exports);
  return exports;
}

const { PendingBySeq, RING_LIMIT } = load();
const entry = (n) => ({ resolve() {}, reject() {}, topic: `t${n}` });

test('each held publish is taken once, in any order, as the ring grows', () => {
  const ring = new PendingBySeq();
  const held = new Map();
  for (let seq = 1; seq <= 5000; seq++) {
    const e = entry(seq);
    held.set(seq, e);
    ring.hold(seq, e);
  }
  const order = [...held.keys()].sort((a, b) => ((a * 7919) % 5003) - ((b * 7919) % 5003));
  for (const seq of order) expect(ring.take(seq)).toBe(held.get(seq));
  for (const seq of order) expect(ring.take(seq)).toBeUndefined();
});

test('a sequence number never held, or held in the slot under another, is not found', () => {
  const ring = new PendingBySeq();
  const e = entry(3);
  ring.hold(3, e);
  expect(ring.take(3 + 1024)).toBeUndefined();
  expect(ring.take(4)).toBeUndefined();
  expect(ring.take(3)).toBe(e);
});

test('an old publish still held does not lose a new one landing on its slot', () => {
  // seq 1 stays unsettled (a message retrying) while later ones settle: the ring grows until both
  // fit, and past RING_LIMIT the newcomer waits in the overflow map.
  const ring = new PendingBySeq();
  const old = entry(1);
  ring.hold(1, old);
  const near = entry(1 + 1024);
  ring.hold(1 + 1024, near);
  const far = entry(1 + RING_LIMIT);
  ring.hold(1 + RING_LIMIT, far);
  const farther = entry(1 + 2 * RING_LIMIT);
  ring.hold(1 + 2 * RING_LIMIT, farther);
  expect(ring.take(1 + 2 * RING_LIMIT)).toBe(farther);
  expect(ring.take(1 + RING_LIMIT)).toBe(far);
  expect(ring.take(1 + 1024)).toBe(near);
  expect(ring.take(1)).toBe(old);
  expect(ring.take(1 + RING_LIMIT)).toBeUndefined();
  // Settled out, the ring takes new ones in those slots again.
  const again = entry(1 + 3 * RING_LIMIT);
  ring.hold(1 + 3 * RING_LIMIT, again);
  expect(ring.take(1 + 3 * RING_LIMIT)).toBe(again);
});
