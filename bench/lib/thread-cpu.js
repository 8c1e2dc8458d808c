'use strict';

const fs = require('fs');

/**
 * CPU µs (user + system) each thread of this process has used so far, summed by
 * `nameOf(kernel thread name)`: pass a function that drops the digits to group numbered threads.
 */
function threadCpu(nameOf = (name) => name) {
  const byName = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const name = nameOf(fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks of 10 ms (USER_HZ).
      byName[name] = (byName[name] || 0) + (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch (_) {
      // A thread that ended meanwhile.
    }
  }
  return byName;
}

module.exports = { threadCpu };
