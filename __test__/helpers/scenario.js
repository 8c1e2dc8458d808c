'use strict';

// The runner of the child scripts (exit-child.js, disconnect-child.js): `node <script> <scenario>`
// runs one scenario, prints one line a step, and never calls process.exit: whether the process
// then ends by itself is what the parent test observes.

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** Runs the scenario named by argv[2]; prints 'end of script', or 'failed <code> <error>' (exit code 1). */
function runScenario(scenarios) {
  const scenario = process.argv[2];
  const run = scenarios[scenario];
  if (!run) {
    say(`unknown scenario ${scenario}`);
    process.exitCode = 2;
    return;
  }
  run().then(
    () => say('end of script'),
    (e) => {
      say(`failed ${e && e.code} ${e}`);
      process.exitCode = 1;
    },
  );
}

module.exports = { say, runScenario };
