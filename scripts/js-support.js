// Emits the scripts the binding runs with `run_script` from their TypeScript sources in
// ts/native/: tsc's CommonJS output (target and options of ts/tsconfig.json), wrapped so that each
// script evaluates to its one export. The emitted files are committed (cargo includes them);
// `--check` fails when one is stale (the lint gate runs that), `node scripts/js-support.js`
// rewrites them.
'use strict';

const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');

// Each script: its TypeScript source, the file the binding includes, the export the script
// evaluates to, and the Rust file that runs it.
const SCRIPTS = [
  { source: 'ts/native/js-support.ts', target: 'src/binding/js_support.js', exported: 'jsSupport', runBy: 'js_support.rs' },
  { source: 'ts/native/publish.ts', target: 'src/binding/publish.js', exported: 'publish', runBy: 'js_support.rs' },
  { source: 'ts/native/tracing.ts', target: 'src/binding/tracing.js', exported: 'tracing', runBy: 'js_support.rs' },
  { source: 'ts/native/metrics-bridge.ts', target: 'src/binding/metrics_bridge.js', exported: 'metricsBridge', runBy: 'js_support.rs' },
  { source: 'ts/native/shutdown.ts', target: 'src/binding/shutdown.js', exported: 'drainOnSignals', runBy: 'mod.rs' },
];

function compilerOptions() {
  const configFile = path.join(root, 'ts/tsconfig.json');
  const config = ts.readConfigFile(configFile, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(configFile));
  return { ...options, declaration: false, sourceMap: false, inlineSources: false, inlineSourceMap: false, removeComments: false };
}

function emit({ source, exported, runBy }, options) {
  const text = fs.readFileSync(path.join(root, source), 'utf8');
  const { outputText } = ts.transpileModule(text, { compilerOptions: options, fileName: source });
  return [
    `// Generated from ${source} by scripts/js-support.js: edit the TypeScript, then run`,
    `// \`node scripts/js-support.js\`. The binding runs this script (${runBy}); it evaluates to`,
    `// \`${exported}\`.`,
    '(function (exports) {',
    outputText.trimEnd(),
    `return exports.${exported};`,
    '})({})',
    '',
  ].join('\n');
}

const options = compilerOptions();
const check = process.argv.includes('--check');
let stale = 0;
for (const script of SCRIPTS) {
  const target = path.join(root, script.target);
  const emitted = emit(script, options);
  if (!check) {
    fs.writeFileSync(target, emitted);
    continue;
  }
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed !== emitted) {
    console.error(`${script.target} is stale: run \`node scripts/js-support.js\` and commit it (it is emitted from ${script.source}).`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
