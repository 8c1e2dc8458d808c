'use strict';

// Jest's node environment, plus a leak report: after a test file (all its afterAll hooks done),
// the libuv handles that keep Node alive and were not there before the file are printed with the
// file's name, e.g. an `async` handle (a subscription still running or a publish never settled)
// or a `timer`. Handles get a few seconds to go (a settling Promise releases its own). It only
// reports: Jest's --detectOpenHandles also lists every napi thread-safe function, the weak ones
// that never keep Node alive included, which buries a real leak.

const path = require('path');
const { TestEnvironment } = require('jest-environment-node');

const GRACE_MS = 3000;

/** Keys of the referenced, active libuv handles of this process. */
function keepingAlive() {
  return process.report
    .getReport()
    .libuv.filter((h) => h.is_referenced && h.is_active)
    .map((h) => [h.type, h.address].join(' '));
}

/** What `now` holds beyond `before` (a multiset difference), by handle type. */
function added(before, now) {
  const left = [...before];
  const extra = [];
  for (const key of now) {
    const i = left.indexOf(key);
    if (i >= 0) left.splice(i, 1);
    else extra.push(key.split(' ')[0]);
  }
  return extra;
}

class LeakReportingEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    await super.setup();
    this.before = keepingAlive();
  }

  async teardown() {
    let extra = added(this.before, keepingAlive());
    for (let waited = 0; extra.length > 0 && waited < GRACE_MS; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      extra = added(this.before, keepingAlive());
    }
    if (extra.length > 0) {
      const counts = {};
      for (const type of extra) counts[type] = (counts[type] || 0) + 1;
      const list = Object.entries(counts).map(([type, n]) => `${type} ×${n}`).join(', ');
      process.stderr.write(`open handles left by ${path.relative(process.cwd(), this.testPath)}: ${list} (an async handle: a subscription still running or a publish never settled)\n`);
    }
    await super.teardown();
  }
}

module.exports = LeakReportingEnvironment;
