'use strict';

// Jest's node environment runs each test file in its own vm context, with its own globalThis; the
// addon's scripts (js_support.js, tracing.js) run in the process's main context. An application
// has one context, where both see the OpenTelemetry API's registry. For the tracing suites, this
// environment makes the file's registry (Symbol.for('opentelemetry.js.api.1')) that of the main
// context, so what the test registers with @opentelemetry/api is what the addon reads.

const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const API = Symbol.for('opentelemetry.js.api.1');

class OtelEnvironment extends NodeEnvironment {
  async setup() {
    await super.setup();
    Object.defineProperty(this.global, API, {
      configurable: true,
      get: () => globalThis[API],
      set: (value) => {
        globalThis[API] = value;
      },
    });
  }

  async teardown() {
    delete globalThis[API];
    await super.teardown();
  }
}

module.exports = OtelEnvironment;
