'use strict';

// Runs a helper script in a child Node process and watches it: the tests of __test__/ that assert a
// process ends on its own (exit.test.js, disconnect.test.js).

const { spawn } = require('child_process');

/**
 * Starts `node script scenario` with `env` added; `exited` resolves with its code, signal, output
 * and whether it had to be killed after `hangMs` (a hang detector, not a speed assertion).
 */
function startChild(script, scenario, env, hangMs) {
  const child = spawn(process.execPath, [script, scenario], {
    env: { ...process.env, KAFKA_NATIVE_LOG: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr.on('data', (d) => {
    out.stderr += d;
  });
  const lines = () => out.stdout.trim().split('\n');
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, hangMs);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, hung, lines, stderr: () => out.stderr });
    });
  });
  return { child, out, exited, lines };
}

/** Awaits the child's end and asserts it exited by itself with code 0 and nothing on stderr. */
async function expectCleanExit(started, scenario, hangMs) {
  const result = await started.exited;
  if (result.hung) throw new Error(`the child (${scenario}) did not exit within ${hangMs} ms; output: ${result.lines()} ${result.stderr()}`);
  expect({ code: result.code, signal: result.signal, stderr: result.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
  return result.lines();
}

module.exports = { startChild, expectCleanExit };
