'use strict';

// Prints, for each Node diagnostic report in a directory (written on SIGUSR2 by the processes of a
// hung test step, see watchdog.sh), what keeps that process alive: its referenced libuv handles,
// its JS stack and its command line. Then deletes the reports.

const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
if (files.length === 0) console.log('(no diagnostic report: the step had no Node process left, or it did not answer)');
for (const file of files) {
  const full = path.join(dir, file);
  try {
    const report = JSON.parse(fs.readFileSync(full, 'utf8'));
    const header = report.header || {};
    console.log(`-- report of pid ${header.processId}: ${(header.commandLine || []).join(' ').slice(0, 200)}`);
    const held = (report.libuv || []).filter((h) => h.is_referenced && h.is_active !== false);
    const counts = {};
    for (const h of held) {
      const what = [h.type, h.localEndpoint && `${h.localEndpoint.host}:${h.localEndpoint.port}`, h.remoteEndpoint && `-> ${h.remoteEndpoint.host}:${h.remoteEndpoint.port}`, h.firesInMsFromNow !== undefined && `in ${h.firesInMsFromNow} ms`]
        .filter(Boolean)
        .join(' ');
      counts[what] = (counts[what] || 0) + 1;
    }
    console.log(`   referenced libuv handles (${held.length}): ${Object.entries(counts).map(([w, n]) => (n > 1 ? `${w} ×${n}` : w)).join('; ') || 'none'}`);
    const stack = (report.javascriptStack && report.javascriptStack.stack) || [];
    console.log(`   JS stack: ${stack.slice(0, 8).join(' | ') || '(idle)'}`);
  } catch (e) {
    console.log(`-- ${file}: unreadable (${e.message})`);
  }
  fs.rmSync(full, { force: true });
}
