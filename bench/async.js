#!/usr/bin/env node
// @ts-check
// `npm run bench:async`: what a Node service sees under load. 64 concurrent spmmAsync calls (1024x1024 weight at
// 90% sparsity times a 1024x256 batch) run while the event loop's 1 ms timer lateness is recorded
// (perf_hooks.monitorEventLoopDelay, resolution 1 ms); the same with no load as the baseline, for several async
// limits (setAsyncLimit). Also the main-thread cost of starting one async call (validation, and marking or
// snapshotting its arrays: README, "Async calls"). SPARSEKIT_ASYNC_MEMORY=snapshot measures the snapshot path.
// Flags: --calls N (64), --rounds N (3: each row is the median round).
'use strict';
const os = require('node:os');
const { execFileSync } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const sk = require('sparsekit');
const { printTable } = require('../scripts/markdown-table');

const { values: flags } = parseArgs({ options: { calls: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' } } });
const calls = Number(flags.calls), rounds = Number(flags.rounds);

/** The CPU as lscpu names it (os.cpus() where lscpu is missing). */
function cpuName() {
  try {
    const line = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Model name:'));
    if (line) return line.slice('Model name:'.length).trim();
  } catch {
    // no lscpu (macOS, Windows)
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Timer lateness while `work` runs: p50, p99 and max in ms past the 1 ms period, and the wall time.
 * @param {() => Promise<unknown>} work
 */
async function lateness(work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  h.disable();
  // The histogram holds the intervals between the 1 ms timer's runs; lateness is what exceeds 1 ms.
  const late = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - 1);
  return { p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max), ms };
}

(async () => {
  const info = sk.info();
  const cpu = cpuName();
  const A = sk.CSRMatrix.random(1024, 1024, { density: 0.1, seed: 1 });
  const B = sk.denseMatrix(1024, 256);
  for (let k = 0; k < B.data.length; k++) B.data[k] = (k % 17) / 17 - 0.5;
  const outs = Array.from({ length: calls }, () => sk.denseMatrix(1024, 256));
  const load = () => Promise.all(outs.map((out) => sk.spmmAsync(A, B, { out })));
  await load(); // warm up
  console.log(`sparsekit ${info.version} | ${cpu} | ${info.isa} | ${info.threads} threads | Node ${process.version} | async memory: ${info.async.memory}`);

  const idle = [];
  for (let r = 0; r < rounds; r++) idle.push(await lateness(() => new Promise((resolve) => setTimeout(resolve, 300))));
  const lines = [['no load (300 ms idle)', '-', median(idle.map((x) => x.p50)).toFixed(2), median(idle.map((x) => x.p99)).toFixed(2), median(idle.map((x) => x.max)).toFixed(2), '-', '-']];
  const configs = [[1, info.threads], [2, info.threads], [4, info.threads], [64, info.threads], [1, Math.max(1, info.threads - 1)], [2, Math.max(1, info.threads - 1)]];
  for (const [limit, threads] of configs) {
    sk.setAsyncLimit(limit);
    sk.setThreads(threads);
    const runs = [];
    for (let r = 0; r < rounds; r++) runs.push(await lateness(load));
    const ms = median(runs.map((x) => x.ms));
    lines.push([`${calls} x spmmAsync, ${threads} thread${threads > 1 ? 's' : ''}`, String(limit), median(runs.map((x) => x.p50)).toFixed(2), median(runs.map((x) => x.p99)).toFixed(2),
      median(runs.map((x) => x.max)).toFixed(2), ms.toFixed(1), (ms / calls).toFixed(3)]);
  }
  sk.setAsyncLimit(info.async.limit);
  sk.setThreads(info.threads);
  printTable(`Lateness of a 1 ms timer (ms past its period), 1024x1024 at 90% x 1024x256, median of ${rounds} rounds; CPU: ${cpu}`,
    ['load', 'async limit', 'p50', 'p99', 'max', 'wall ms', 'ms / call'], lines);

  // Main-thread cost of starting a call: the sync part of spmmAsync (checks, holding its arrays), over many calls.
  const starts = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const pending = outs.map((out) => sk.spmmAsync(A, B, { out }));
    starts.push((performance.now() - t0) / calls);
    await Promise.all(pending);
  }
  const sync = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (const out of outs.slice(0, 8)) sk.spmm(A, B, { out });
    sync.push((performance.now() - t0) / 8);
  }
  console.log(`\nMain-thread time to start one spmmAsync (${info.async.memory}): ${(median(starts) * 1e3).toFixed(1)} us; one sync spmm of the same size: ${(median(sync) * 1e3).toFixed(0)} us`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
