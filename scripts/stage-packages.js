'use strict';
// Stages the packages as they are published, each in a directory of its own under OUT_DIR:
// OUT_DIR/<platform>/ (npm/<platform>/'s package.json and README, and its addon) for every
// platform whose addon exists, and OUT_DIR/main/ (the contents of `npm pack` of the repository
// root) whose package.json keeps only what users need: no lifecycle or dev scripts, no
// devDependencies, and `optionalDependencies` on the staged platform packages at the same version.
//
// Usage: node scripts/stage-packages.js OUT_DIR [--allow-missing]
// The addon of <platform> is npm/<platform>/kafka-native.<platform>.node (scripts/build-platforms.sh)
// or else the repository root's (scripts/build.sh builds the host's there). Without
// --allow-missing, a target of package.json's napi.targets without an addon is an error: a release
// publishes them all. Prints the staged directories, one a line, platforms first.

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const [outArg, ...flags] = process.argv.slice(2);
if (!outArg || flags.some((f) => f !== '--allow-missing')) {
  console.error('usage: node scripts/stage-packages.js OUT_DIR [--allow-missing]');
  process.exit(2);
}
const out = path.resolve(outArg);
const allowMissing = flags.includes('--allow-missing');
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file, value) => fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

const main = readJson(path.join(root, 'package.json'));
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

// npm/<platform>/ for each napi target: napi create-npm-dirs names them by their package's suffix.
const platformDirs = fs.readdirSync(path.join(root, 'npm')).filter((d) => fs.existsSync(path.join(root, 'npm', d, 'package.json')));
const staged = [];
const missing = [];
for (const platform of platformDirs) {
  const manifest = readJson(path.join(root, 'npm', platform, 'package.json'));
  if (manifest.version !== main.version) {
    throw new Error(`npm/${platform} is at ${manifest.version}, the main package at ${main.version}: run scripts/release.sh --version`);
  }
  const addon = `kafka-native.${platform}.node`;
  const source = [path.join(root, 'npm', platform, addon), path.join(root, addon)].find((f) => fs.existsSync(f));
  if (!source) {
    missing.push(platform);
    continue;
  }
  const dir = path.join(out, platform);
  fs.mkdirSync(dir);
  writeJson(path.join(dir, 'package.json'), manifest);
  fs.copyFileSync(path.join(root, 'npm', platform, 'README.md'), path.join(dir, 'README.md'));
  fs.copyFileSync(source, path.join(dir, addon));
  staged.push({ platform, name: manifest.name, dir });
}
if (missing.length > 0 && !allowMissing) {
  throw new Error(`no addon for ${missing.join(', ')} (scripts/build-platforms.sh, or a build on that platform)`);
}
if (staged.length === 0) throw new Error('no platform addon at all: build one first (npm run build)');

// The main package: what `npm pack` takes ("files"), without running its scripts.
const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', out], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
const mainDir = path.join(out, 'main');
fs.mkdirSync(mainDir);
execFileSync('tar', ['xzf', path.join(out, packed), '-C', mainDir, '--strip-components=1']);
fs.rmSync(path.join(out, packed));
const published = { ...main };
delete published.scripts;
delete published.devDependencies;
published.optionalDependencies = Object.fromEntries(staged.map((s) => [s.name, main.version]));
writeJson(path.join(mainDir, 'package.json'), published);

for (const s of staged) console.log(s.dir);
console.log(mainDir);
if (missing.length > 0) console.error(`stage-packages: no addon for ${missing.join(', ')}: not staged`);
