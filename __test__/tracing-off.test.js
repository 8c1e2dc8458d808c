'use strict';

// Without a registered tracer provider, tracing costs nothing: no OpenTelemetry module is loaded
// by the package, no header is added, and a loaded but unconfigured @opentelemetry/api changes
// nothing either. Each case runs in a child process, so that no other suite's registration counts.

const { execFileSync } = require('child_process');
const path = require('path');

jest.setTimeout(120000);

function run(...args) {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'helpers', 'tracing-off-child.js'), ...args], {
    encoding: 'utf8',
    timeout: 90000,
  });
  return JSON.parse(out);
}

test('no provider, no API: nothing loaded, headers untouched', () => {
  expect(run()).toEqual({ headers: [['a'], []], loaded: 0, registered: null });
});

test('the API loaded but no tracer provider registered: headers untouched', () => {
  const result = run('--with-api');
  expect(result.headers).toEqual([['a'], []]);
  expect(result.loaded).toBeGreaterThan(0);
  expect(result.registered ?? []).not.toContain('trace');
});
