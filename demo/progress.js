// @ts-check
// The demo's progress bar: redrawn on a TTY, one line per method in a pipe. Steps are timed with performance.now()
// in ./mnist.js.
'use strict';

/**
 * A progress callback for `total` steps: a redrawn bar on a TTY, one line at the end otherwise (CI logs, pipes).
 * @param {string} label
 * @returns {(done: number, total: number) => void}
 */
function progressBar(label) {
  let last = -1;
  if (!process.stderr.isTTY) {
    return (done, total) => { if (done === total) process.stderr.write(`${label}: ${total} steps done\n`); };
  }
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30, filled = Math.round((width * done) / total);
    process.stderr.write(`\r${label.padEnd(16)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`);
    if (done === total) process.stderr.write('\n');
  };
}

module.exports = { progressBar };
