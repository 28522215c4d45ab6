// @ts-check
// The progress bar of the demo and of the `sparsekit` command: redrawn on stderr when it is a TTY; in a pipe, one
// line at the end (the demo's CI logs) or nothing at all ({quietInPipe: true}, the command).
'use strict';

/**
 * A progress callback for `total` steps: a redrawn bar on a TTY, one line at the end otherwise (CI logs, pipes)
 * unless `quietInPipe`.
 * @param {string} label
 * @param {{ quietInPipe?: boolean }} [options]
 * @returns {(done: number, total: number) => void}
 */
function progressBar(label, { quietInPipe = false } = {}) {
  let last = -1;
  if (!process.stderr.isTTY) {
    if (quietInPipe) return () => {};
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
