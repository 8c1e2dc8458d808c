#!/usr/bin/env node
'use strict';
// Summarizes the profiles `run.js --profile` leaves in results/profiles/<date>/:
//   *.cpuprofile (node --cpu-prof): JS-thread self time by function and by category;
//   *.perf.data (perf record -g, if perf was usable): the whole process by thread and symbol.
// usage: node bench/lib/profile.js DIR [--top N]

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

function category(frame) {
  const { functionName: f, url } = frame;
  if (f === '(idle)') return 'idle (waiting in libuv)';
  if (f === '(garbage collector)') return 'garbage collector';
  if (f === '(program)') return 'native, outside JS (napi calls, libuv callbacks)';
  if (!url) return 'native functions called from JS';
  if (url.includes('kafka-native') && url.endsWith('index.js')) return 'kafka-native loader';
  if (url.includes('/bench/')) return 'benchmark code';
  if (url.startsWith('node:')) return 'node internals';
  return 'other JS';
}

function summarizeCpuProfile(file, top) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    const us = dt[i + 1] != null ? dt[i + 1] : 0;
    self.set(n, (self.get(n) || 0) + us);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const cat = new Map();
  for (const [n, us] of self) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) || 0) + us);
    const c = category(f);
    cat.set(c, (cat.get(c) || 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`## ${path.basename(file)} — ${(total / 1e6).toFixed(2)} s sampled on the JS thread`, '', 'by category:'];
  for (const [c, us] of [...cat].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(us)}  ${c}`);
  lines.push('', `top ${top} functions (self time):`);
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

function summarizePerf(file, top) {
  const run = (args) => {
    try {
      return execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', '-q', ...args], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
      });
    } catch (e) {
      return e.stdout || '';
    }
  };
  const head = (s, n) => s.split('\n').filter((l) => l.trim() && !l.startsWith('#')).slice(0, n).join('\n');
  return [
    `## ${path.basename(file)} — whole process (perf, cpu-clock)`, '',
    'by thread:', head(run(['--sort', 'comm', '-g', 'none']), 12), '',
    'by shared object:', head(run(['--sort', 'dso', '-g', 'none']), 10), '',
    `top ${top} symbols:`, head(run(['--sort', 'comm,dso,symbol', '-g', 'none']), top),
  ].join('\n');
}

function main() {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const top = Number(args[args.indexOf('--top') + 1]) || 20;
  if (!dir) {
    console.error('usage: node bench/lib/profile.js DIR [--top N]');
    process.exit(2);
  }
  const files = fs.readdirSync(dir).sort();
  for (const f of files) {
    const full = path.join(dir, f);
    if (f.endsWith('.cpuprofile')) console.log(summarizeCpuProfile(full, top), '\n');
    else if (f.endsWith('.perf.data')) console.log(summarizePerf(full, top), '\n');
  }
}

main();
