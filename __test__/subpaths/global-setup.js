'use strict';

// Compiles ts/ into dist/ before the subpath suites run, so that `npx jest` tests the sources as
// they are (the same `tsc -p ts/tsconfig.json` that `npm run build:ts` runs).

const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async function compileSubpaths() {
  const root = path.resolve(__dirname, '../..');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  require('fs').rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'ts/tsconfig.json')], { cwd: root, stdio: 'inherit' });
};
