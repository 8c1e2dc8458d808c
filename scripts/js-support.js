// Emits src/binding/js_support.js, the script the binding runs with `run_script`
// (js_support.rs), from its TypeScript source ts/native/js-support.ts: tsc's CommonJS output
// (target and options of ts/tsconfig.json), wrapped so that the script evaluates to `jsSupport`.
// The emitted file is committed (cargo includes it); `--check` fails when it is stale (the lint
// gate runs that), `node scripts/js-support.js` rewrites it.
'use strict';

const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const SOURCE = 'ts/native/js-support.ts';
const TARGET = 'src/binding/js_support.js';
const EXPORT = 'jsSupport';

function emit() {
  const configFile = path.join(root, 'ts/tsconfig.json');
  const config = ts.readConfigFile(configFile, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(configFile));
  const compilerOptions = { ...options, declaration: false, sourceMap: false, inlineSources: false, inlineSourceMap: false, removeComments: false };
  const source = fs.readFileSync(path.join(root, SOURCE), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: SOURCE });
  return [
    `// Generated from ${SOURCE} by scripts/js-support.js: edit the TypeScript, then run`,
    '// `node scripts/js-support.js`. The binding runs this script (js_support.rs); it evaluates to',
    `// \`${EXPORT}\`.`,
    '(function (exports) {',
    outputText.trimEnd(),
    `return exports.${EXPORT};`,
    '})({})',
    '',
  ].join('\n');
}

const target = path.join(root, TARGET);
const emitted = emit();
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed !== emitted) {
    console.error(`${TARGET} is stale: run \`node scripts/js-support.js\` and commit it (it is emitted from ${SOURCE}).`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(target, emitted);
}
