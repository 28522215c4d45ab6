#!/usr/bin/env node
// @ts-check
// The `sparsekit` command (package.json "bin"; `npx sparsekit ...`), on the package's public API and commander.
//   sparsekit info [--json]                      what info() knows: CPU, ISA, kernels chosen, threads, CUDA
//   sparsekit bench [FILE...] [--random MxK]     time each format on your matrices (Matrix Market, safetensors),
//                                                tables, --json, --chart FILE.svg|.html
//   sparsekit prune IN -o OUT --sparsity 0.9     prune a checkpoint's 2-D weights, write compressed-tensors
//   sparsekit convert IN OUT [--format ...]      between Matrix Market and safetensors layouts
// Exit codes: 0 done; 1 the input could not be used (unreadable or malformed file, a library error); 2 a wrong
// command line (unknown option or value, out-of-range number). Errors are one line on stderr, no stack trace unless
// --debug is given.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Command, InvalidArgumentError } = require('commander');
const sk = require('sparsekit');
const { progressBar } = require('./progress');
const { renderChart, chartPage } = require('./chart');

/** A usage error: exit code 2. */
class UsageError extends Error {}

/** @param {string} what @returns {(v: string) => number[]} */
function numberList(what, { min = -Infinity, max = Infinity, integer = false, below = false } = {}) {
  return (v) => {
    const out = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    for (const x of out) {
      if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min || (below ? x >= max : x > max)) {
        throw new InvalidArgumentError(`${what} takes ${integer ? 'integers' : 'numbers'} in [${min}, ${max}${below ? ')' : ']'}, received '${v}'`);
      }
    }
    if (out.length === 0) throw new InvalidArgumentError(`${what} needs at least one value`);
    return out;
  };
}

const FORM = /^(auto|dense|csr|bsr:\d+x\d+|nm:\d+:\d+)$/;
/** @param {string} v */
function formatList(v) {
  const out = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of out) if (!FORM.test(f)) throw new InvalidArgumentError(`unknown format '${f}' (auto, dense, csr, bsr:RxC, nm:N:M)`);
  return out;
}

/** @param {string} v @returns {[number, number]} */
function shapeArg(v) {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError(`--random takes MxK (e.g. 1024x1024), received '${v}'`);
  return [Number(m[1]), Number(m[2])];
}

function cpuName() {
  try {
    const m = /^Model name:\s*(.+)$/m.exec(require('node:child_process').execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }));
    if (m) return m[1].trim();
  } catch {
    // no lscpu: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

/** A markdown-style table with right-aligned columns. @param {string[]} header @param {(string | number)[][]} rows */
function table(header, rows) {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (/** @type {string[]} */ r) => `| ${r.map((x, c) => x.padStart(widths[c])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

// ---- info ------------------------------------------------------------------------------------------------------

function infoReport() {
  const i = sk.info();
  return {
    version: i.version,
    cpu: cpuName(),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    isa: i.isa,
    isas: i.isas,
    threads: i.threads,
    kernels: i.kernels,
    cuda: i.cuda,
    addon: i.addon,
  };
}

/** @param {{ json?: boolean }} opts */
function info(opts) {
  const r = infoReport();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const cuda = r.cuda === null ? 'not built in (npm run build:cuda)' : r.cuda.available ? `available: ${JSON.stringify(r.cuda)}` : `built in, no usable GPU (${r.cuda.reason})`;
  const rows = [
    ['sparsekit', r.version],
    ['CPU', r.cpu],
    ['platform', `${r.platform}, Node ${r.node}`],
    ['ISA in use', r.isa],
    ['ISAs supported', r.isas.join(', ')],
    ['threads', String(r.threads)],
    ...Object.entries(r.kernels).map(([family, k]) => [`kernel ${family}`, `${k.kernel} (${k.isa})`]),
    ['CUDA', cuda],
    ['addon', r.addon],
  ];
  process.stdout.write(`${table(['', ''], rows)}\n`);
}

// ---- bench -----------------------------------------------------------------------------------------------------

/**
 * The matrices a bench run measures: every 2-D float weight of each safetensors file (or --tensor), each Matrix
 * Market file, and a seeded random matrix per --random sparsity.
 * @param {string[]} files @param {{ tensor?: string, random?: [number, number], sparsity: number[], seed: number }} o
 */
function matrices(files, o) {
  /** @type {{ name: string, W: import('sparsekit').CSRMatrix | import('sparsekit').NMMatrix }[]} */
  const out = [];
  for (const file of files) {
    if (!fs.existsSync(file)) throw new UsageError(`FILE '${file}' does not exist`);
    if (/\.safetensors$/i.test(file)) {
      const weights = sk.importCompressedTensorsFile(file);
      const before = out.length;
      for (const [name, t] of Object.entries(weights)) {
        if (o.tensor !== undefined && name !== o.tensor) continue;
        if (t instanceof sk.CSRMatrix || t instanceof sk.NMMatrix) out.push({ name: `${path.basename(file)}:${name}`, W: t });
        else if ('shape' in t && t.shape.length === 2 && t.data instanceof Float32Array) {
          out.push({ name: `${path.basename(file)}:${name}`, W: sk.CSRMatrix.fromDense(sk.denseMatrix(t.shape[0], t.shape[1], t.data)) });
        }
      }
      if (o.tensor !== undefined && out.length === before) {
        const names = Object.entries(weights).filter(([, t]) => !('shape' in t) || t.shape.length === 2).map(([n]) => n);
        throw new UsageError(`--tensor '${o.tensor}' is not a 2-D weight of ${file} (it has: ${names.join(', ')})`);
      }
    } else {
      out.push({ name: path.basename(file), W: sk.readMatrixMarket(fs.readFileSync(file)) });
    }
  }
  if (o.random) {
    const [m, k] = o.random;
    for (const s of o.sparsity) out.push({ name: `random ${m}x${k} @ ${(s * 100).toFixed(0)}%`, W: sk.CSRMatrix.random(m, k, { density: 1 - s, seed: o.seed }) });
  }
  if (out.length === 0) throw new UsageError('nothing to measure: give FILE arguments or --random MxK');
  return out;
}

/** Median ms of fn, after warm-up calls, over at most `budgetMs` (at least 3 runs). @param {() => unknown} fn @param {number} budgetMs */
function time(fn, budgetMs) {
  for (let i = 0; i < 2; i++) fn();
  const times = [];
  const until = performance.now() + budgetMs;
  while (times.length < 3 || (performance.now() < until && times.length < 200)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/**
 * @param {string[]} files
 * @param {{ random?: [number, number], sparsity: number[], widths: number[], threads: number[], formats: string[],
 *   tensor?: string, json?: string, chart?: string, seed: number, budget: number }} o
 */
async function bench(files, o) {
  const list = matrices(files, o);
  const formats = o.formats.includes('dense') ? o.formats : ['dense', ...o.formats]; // dense is the baseline
  const total = list.length * o.widths.length * o.threads.length * formats.length;
  const progress = progressBar('bench', { quietInPipe: true });
  let done = 0;
  const report = { cpu: cpuName(), version: sk.info().version, isa: sk.info().isa, baseline: "this library's dense GEMM ('dense')", matrices: /** @type {object[]} */ ([]) };
  for (const { name, W } of list) {
    const nnz = W instanceof sk.CSRMatrix ? W.nnz : W.toCSR().nnz;
    const results = [];
    for (const width of o.widths) {
      const B = sk.denseMatrix(W.cols, width, sk.alignedFloat32Array(W.cols * width).fill(0.5));
      const C = sk.denseMatrix(W.rows, width, sk.alignedFloat32Array(W.rows * width));
      for (const threads of o.threads) {
        const chosen = sk.plan(W, { width, threads: [threads], budgetMs: o.budget }).format;
        /** @type {Record<string, number | null>} */
        const ms = {};
        /** @type {Record<string, string>} */
        const notes = {};
        for (const f of formats) {
          let op = null;
          try {
            op = f === 'auto' ? sk.plan(W, { width, threads: [threads], budgetMs: o.budget }) : sk.plan(W, { width, threads: [threads], candidates: [f], budgetMs: 1 });
          } catch (e) {
            // A form that does not fit this matrix (N:M of an unstructured one, BSR of scattered entries) is n/a.
            if (!(e instanceof sk.SparseError && /applies to this W/.test(e.message))) throw e;
            notes[f] = e.message;
          }
          ms[f] = op ? time(() => op.apply(B, { out: C }), o.budget) : null;
          progress(++done, total);
        }
        for (const f of formats) {
          const t = ms[f];
          results.push({
            width,
            threads,
            format: f === 'auto' ? `auto (${chosen})` : f,
            ms: t,
            gflops: t === null ? null : (2 * nnz * width) / t / 1e6,
            speedupVsDense: t === null || !ms.dense ? null : ms.dense / t,
            ...(notes[f] ? { note: notes[f] } : {}),
          });
        }
      }
    }
    report.matrices.push({ name, rows: W.rows, cols: W.cols, nnz, sparsity: 1 - nnz / (W.rows * W.cols), results });
    process.stdout.write(`\n${name}: ${W.rows}x${W.cols}, ${nnz} stored (${((1 - nnz / (W.rows * W.cols)) * 100).toFixed(1)}% sparse); ${report.cpu}; ` +
      `speed-up against this library's dense GEMM, same run\n`);
    process.stdout.write(`${table(['width', 'threads', 'format', 'ms', 'GFLOP/s (2 nnz width / time)', 'vs dense'], results.map((r) => [r.width, r.threads, r.format,
      r.ms === null ? 'n/a' : r.ms.toFixed(4), r.gflops === null ? 'n/a' : r.gflops.toFixed(1), r.speedupVsDense === null ? 'n/a' : `${r.speedupVsDense.toFixed(2)}x`]))}\n`);
  }
  if (o.json) write(o.json, `${JSON.stringify(report, null, 2)}\n`, '--json');
  if (o.chart) write(o.chart, await benchChart(report, { ...o, bySparsity: files.length === 0 && o.sparsity.length > 1 }), '--chart');
}

/** @param {string} file @param {string} text @param {string} option */
function write(file, text, option) {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`${option} '${file}' cannot be written: ${/** @type {Error} */ (e).message}`);
  }
}

/**
 * The chart of a bench report: speed-up against dense by sparsity for a --random run over several sparsities, else
 * by width; one line per format (and matrix, when there are several), at the largest thread count; the dense line
 * and each line's crossover marked. SVG, or an HTML page for a .html file name.
 * @param {{ cpu: string, matrices: any[] }} report @param {{ chart?: string, threads: number[], bySparsity: boolean }} o
 */
async function benchChart(report, o) {
  const threads = Math.max(...o.threads);
  const bySparsity = o.bySparsity;
  const widths = new Set(report.matrices.flatMap((m) => m.results.map((/** @type {any} */ r) => r.width)));
  const width = Math.max(...widths);
  /** @type {import('./chart').Point[]} */
  const points = [];
  for (const m of report.matrices) {
    for (const r of m.results) {
      if (r.threads !== threads || r.speedupVsDense === null || r.format === 'dense') continue;
      if (bySparsity && r.width !== width) continue;
      const format = r.format.startsWith('auto') ? 'auto' : r.format;
      points.push({ x: bySparsity ? m.sparsity : r.width, y: r.speedupVsDense, series: bySparsity || report.matrices.length === 1 ? format : `${m.name} ${format}` });
    }
  }
  const title = bySparsity ? `Speed-up against dense by sparsity, width ${width}, ${threads} threads (${report.cpu})` : `Speed-up against dense by width, ${threads} threads (${report.cpu})`;
  const svg = await renderChart(points, {
    title,
    xTitle: bySparsity ? 'sparsity (fraction of zeros)' : 'width (columns of B)',
    yTitle: "speed-up against this library's dense GEMM",
    xScale: bySparsity ? 'linear' : 'log',
    baseline: { y: 1, label: 'dense' },
    crossovers: true,
  });
  return /\.html?$/i.test(o.chart ?? '') ? chartPage(svg, title) : svg;
}

// ---- prune -----------------------------------------------------------------------------------------------------

/**
 * @param {string} input
 * @param {{ output: string, sparsity?: number[], method: string, only?: string }} o
 */
function prune(input, o) {
  if (!fs.existsSync(input)) throw new UsageError(`IN '${input}' does not exist`);
  const method = /^(magnitude|global|nm:(\d+):(\d+)|block:(\d+)x(\d+))$/.exec(o.method);
  if (!method) throw new UsageError(`--method '${o.method}' is not magnitude, global, nm:N:M or block:RxC`);
  const structured = o.method.startsWith('nm:');
  if (!structured && !o.sparsity) throw new UsageError(`--sparsity is needed with --method ${o.method}`);
  let only = null;
  try {
    only = o.only === undefined ? null : new RegExp(o.only);
  } catch (e) {
    throw new UsageError(`--only '${o.only}' is not a regular expression: ${/** @type {Error} */ (e).message}`);
  }
  const sparsity = o.sparsity ? o.sparsity[0] : 0;
  const tensors = sk.importSafetensorsFile(input);
  /** @type {[string, import('sparsekit').DenseMatrix][]} */
  const targets = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (t.shape.length === 2 && t.data instanceof Float32Array && (!only || only.test(name))) targets.push([name, sk.denseMatrix(t.shape[0], t.shape[1], t.data)]);
  }
  if (targets.length === 0) throw new UsageError(`no 2-D float weight of ${input}${only ? ` matches --only '${o.only}'` : ''}`);
  /** @param {import('sparsekit').DenseMatrix} W @param {import('sparsekit').Mask} mask */
  const masked = (W, mask) => {
    const A = mask.toCSR();
    for (let r = 0; r < A.rows; r++) for (let k = A.indptr[r]; k < A.indptr[r + 1]; k++) A.values[k] = W.data[r * W.cols + A.indices[k]];
    return A;
  };
  /** @type {Record<string, any>} */
  const pruned = {};
  if (o.method === 'global') {
    const masks = sk.globalMagnitudePrune(targets.map(([, W]) => W), { sparsity });
    targets.forEach(([name, W], i) => (pruned[name] = masked(W, masks[i])));
  } else {
    for (const [name, W] of targets) {
      if (o.method === 'magnitude') pruned[name] = masked(W, sk.magnitudePrune(W, { sparsity }));
      else if (structured) pruned[name] = sk.nmPrune(W, { n: Number(method[2]), m: Number(method[3]) });
      else pruned[name] = sk.blockPrune(W, { block: [Number(method[4]), Number(method[5])], sparsity }).toCSR();
    }
  }
  const report = sk.pruneReport(pruned);
  /** @type {Record<string, any>} */
  const out = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = pruned[name] ?? { data: t.data, shape: t.shape };
  sk.exportCompressedTensorsFile(o.output, out);
  process.stdout.write(`${table(['tensor', 'shape', 'kept', 'sparsity'], report.layers.map((l) => {
    const W = targets.find(([n]) => n === l.name)?.[1];
    return [l.name, W ? `${W.rows}x${W.cols}` : '', l.kept, `${(l.sparsity * 100).toFixed(2)}%`];
  }))}\n`);
  process.stdout.write(`pruned ${report.layers.length} weights (${o.method}); overall sparsity ${(report.total.sparsity * 100).toFixed(2)}% ` +
    `(${report.total.kept} of ${report.total.size} kept); wrote ${o.output} (compressed-tensors: sparse-bitmask${structured && o.method === 'nm:2:4' ? ', sparse-24-bitmask' : ''})\n`);
}

// ---- convert ---------------------------------------------------------------------------------------------------

/**
 * @param {string} input @param {string} output
 * @param {{ format: string, tensor?: string, layout: string }} o
 */
function convert(input, output, o) {
  if (!fs.existsSync(input)) throw new UsageError(`IN '${input}' does not exist`);
  const f = /^(csr|mask|bsr:(\d+)x(\d+)|nm:(\d+):(\d+))$/.exec(o.format);
  if (!f) throw new UsageError(`--format '${o.format}' is not csr, bsr:RxC, nm:N:M or mask`);
  if (!/\.(mtx|safetensors)$/i.test(output)) throw new UsageError(`OUT '${output}' must end in .mtx or .safetensors`);
  /** @type {[string, import('sparsekit').CSRMatrix][]} */
  let list = [];
  if (/\.safetensors$/i.test(input)) {
    for (const [name, t] of Object.entries(sk.importCompressedTensorsFile(input))) {
      if (o.tensor !== undefined && name !== o.tensor) continue;
      if (t instanceof sk.CSRMatrix) list.push([name, t]);
      else if (t instanceof sk.NMMatrix) list.push([name, t.toCSR()]);
      else if (t.shape.length === 2 && t.data instanceof Float32Array) list.push([name, sk.CSRMatrix.fromDense(sk.denseMatrix(t.shape[0], t.shape[1], t.data))]);
    }
  } else {
    list = [[path.basename(input).replace(/\.[^.]*$/, '').replace(/\W/g, '_') || 'A', sk.readMatrixMarket(fs.readFileSync(input))]];
  }
  if (list.length === 0) throw new UsageError(`no 2-D weight${o.tensor ? ` named '${o.tensor}'` : ''} in ${input}`);
  if (/\.mtx$/i.test(output)) {
    if (list.length !== 1) throw new UsageError(`OUT is Matrix Market, which holds one matrix; ${input} has ${list.length} (pick one with --tensor)`);
    fs.writeFileSync(output, sk.writeMatrixMarket(list[0][1]));
    process.stdout.write(`wrote ${output}: ${list[0][0]}, ${list[0][1].rows}x${list[0][1].cols}, ${list[0][1].nnz} stored\n`);
    return;
  }
  /** @type {Record<string, any>} */
  const out = {};
  for (const [name, A] of list) {
    out[name] = o.format === 'csr' ? A
      : o.format === 'mask' ? sk.Mask.fromCSR(A)
      : f[2] ? sk.BSRMatrix.fromCSR(A, { block: [Number(f[2]), Number(f[3])] })
      : sk.NMMatrix.fromCSR(A, { n: Number(f[4]), m: Number(f[5]) });
  }
  if (o.layout === 'compressed-tensors') sk.exportCompressedTensorsFile(output, out);
  else {
    const dotted = Object.keys(out).find((n) => n.includes('.'));
    if (dotted) throw new UsageError(`tensor '${dotted}' has a '.' in its name, which sparsekit's own layout keeps for its parts; use --layout compressed-tensors`);
    sk.saveFile(output, out);
  }
  process.stdout.write(`wrote ${output} (${o.layout}): ${list.map(([n, A]) => `${n} ${A.rows}x${A.cols} as ${o.format}`).join(', ')}\n`);
}

// ---- the program -----------------------------------------------------------------------------------------------

function program() {
  const p = new Command('sparsekit')
    .description('Sparse kernels, formats and pruning for Node.js: measure them on your matrices.')
    .version(sk.info().version)
    .option('--debug', 'print stack traces of errors')
    .exitOverride();
  p.command('info')
    .description('what this machine and build run: CPU, ISA, the kernel chosen per family, threads, CUDA')
    .option('--json', 'print JSON instead of a table')
    .action((opts) => info(opts));
  p.command('bench')
    .description('time each format (and the planner\'s choice) on Matrix Market / safetensors files or random matrices')
    .argument('[FILE...]', 'Matrix Market (.mtx) or safetensors files (every 2-D float weight, CSR / 2:4 compressed-tensors too)')
    .option('--random <MxK>', 'a seeded random matrix of this shape per --sparsity', shapeArg)
    .option('--sparsity <list>', 'sparsities of the random matrices, each in [0, 1)', numberList('--sparsity', { min: 0, max: 1, below: true }), [0.5, 0.9])
    .option('--widths <list>', 'dense widths (columns of B, the batch)', numberList('--widths', { min: 1, max: 65536, integer: true }), [1, 32, 256])
    .option('--threads <list>', 'thread counts', numberList('--threads', { min: 1, max: 256, integer: true }), [sk.info().threads])
    .option('--formats <list>', 'auto, dense, csr, bsr:RxC, nm:N:M', formatList, ['auto', 'dense', 'csr'])
    .option('--tensor <name>', 'only this tensor of a safetensors file')
    .option('--json <file>', 'also write the results as JSON')
    .option('--chart <file>', 'also draw speed-up against dense (by sparsity or width) as .svg or .html')
    .option('--seed <n>', 'seed of the random matrices', numberList('--seed', { min: 0, max: 2 ** 32 - 1, integer: true }), [1])
    .option('--budget <ms>', 'time per measurement, ms', numberList('--budget', { min: 1, max: 60000 }), [100])
    .action((files, opts) => bench(files, { ...opts, seed: opts.seed[0], budget: opts.budget[0] }));
  p.command('prune')
    .description("prune the 2-D weights of a safetensors checkpoint (e.g. a PyTorch state dict); write compressed-tensors")
    .argument('<IN>', 'a safetensors file')
    .requiredOption('-o, --output <OUT>', 'the pruned checkpoint to write (compressed-tensors layout)')
    .option('--sparsity <s>', 'fraction of each weight (or of all, with global) to prune, in [0, 1)', numberList('--sparsity', { min: 0, max: 1, below: true }))
    .option('--method <m>', 'magnitude (per tensor), global, nm:N:M or block:RxC', 'magnitude')
    .option('--only <regex>', 'prune only the weights whose names match')
    .action((input, opts) => prune(input, opts));
  p.command('convert')
    .description('convert between Matrix Market and safetensors layouts')
    .argument('<IN>', 'a .mtx or .safetensors file')
    .argument('<OUT>', 'a .mtx or .safetensors file')
    .option('--format <f>', 'csr, bsr:RxC, nm:N:M or mask (safetensors output)', 'csr')
    .option('--layout <l>', "safetensors output: 'sparsekit' (this library's) or 'compressed-tensors'", 'sparsekit')
    .option('--tensor <name>', 'only this tensor of a safetensors input')
    .action((input, output, opts) => {
      if (opts.layout !== 'sparsekit' && opts.layout !== 'compressed-tensors') throw new UsageError(`--layout '${opts.layout}' is not sparsekit or compressed-tensors`);
      convert(input, output, opts);
    });
  return p;
}

async function main() {
  const debug = process.argv.includes('--debug');
  try {
    await program().parseAsync(process.argv);
  } catch (e) {
    const err = /** @type {Error & { code?: string, exitCode?: number }} */ (e);
    // commander has printed its own message for usage errors; --help and --version end here with code 0.
    if (err.code && err.code.startsWith('commander.')) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (debug) console.error(err);
    else console.error(`sparsekit: ${err instanceof sk.SparseError ? `${err.code}: ` : ''}${err.message.split('\n')[0]}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}

main();
