#!/usr/bin/env node
// @ts-check
// `npm run bench:serve`, and the third act of `npm start` (--short): serve the PyTorch-pruned MNIST MLPs of
// test/fixtures/models (784-300-100-10; 90% unstructured, and 2:4) from their compressed-tensors files, each linear
// layer planned by the library, against onnxruntime-node running the dense ONNX export of the same model (its
// MatMul/Gemm on MLAS: the Node-native dense option), both given the same batch-major float32 batch, measured in the
// same run on the same threads, in interleaved rounds (the median of each). Prints the latency of a batch of 128 and
// the ratio; --json FILE writes the rows.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { parseArgs } = require('node:util');
const sk = require('sparsekit');
const { interleaved } = require('./harness');
const { markdownTable } = require('../scripts/markdown-table');

const { values: flags } = parseArgs({
  options: { short: { type: 'boolean', default: false }, json: { type: 'string' }, batch: { type: 'string', default: '128' }, 'ort-child': { type: 'string' } },
});
const batch = Number(flags.batch);

/** The batch both contenders get: batch x 784, batch-major. */
function inputBatch() {
  const x = sk.denseMatrix(batch, 784);
  for (let i = 0; i < x.data.length; i++) x.data[i] = (Math.sin(i * 0.37) + 1) * 0.5;
  return x;
}

/**
 * `--ort-child MODEL`: onnxruntime alone in this process (forked by main): answers each { reps } with the
 * milliseconds that many runs took.
 * @param {string} name
 */
async function ortChild(name) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`), { intraOpNumThreads: sk.info().threads, interOpNumThreads: 1 });
  const feeds = { x: new ort.Tensor('float32', inputBatch().data, [batch, 784]) };
  process.on('message', async (/** @type {{ reps: number }} */ m) => {
    const t0 = performance.now();
    for (let i = 0; i < m.reps; i++) await session.run(feeds);
    /** @type {NonNullable<typeof process.send>} */ (process.send)({ ms: performance.now() - t0 });
  });
  /** @type {NonNullable<typeof process.send>} */ (process.send)({ ready: true });
}

/**
 * onnxruntime on `name` in a child process, as an interleaved() contender ({ slice }), and a way to end it.
 * @param {string} name
 */
async function ortElsewhere(name) {
  const child = fork(__filename, ['--ort-child', name, '--batch', String(batch)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** @type {{ resolve: (m: { ms?: number }) => void, reject: (e: Error) => void } | null} */
  let pending = null;
  child.on('message', (/** @type {{ ms?: number }} */ m) => pending?.resolve(m));
  child.on('exit', (code) => pending?.reject(new Error(`the onnxruntime child exited (${code})`)));
  /** @returns {Promise<{ ms?: number }>} */
  const next = () => new Promise((resolve, reject) => {
    pending = { resolve, reject };
  });
  await next(); // ready
  return {
    contender: { slice: async (/** @type {number} */ reps) => { const m = next(); child.send({ reps }); return /** @type {number} */ ((await m).ms); } },
    end: () => child.kill(),
  };
}
const dir = path.join(__dirname, '..', 'test', 'fixtures', 'models');
const spec = {
  layers: [
    { type: /** @type {const} */ ('linear'), weight: '0.weight', bias: '0.bias' },
    { type: /** @type {const} */ ('relu') },
    { type: /** @type {const} */ ('linear'), weight: '2.weight', bias: '2.bias' },
    { type: /** @type {const} */ ('relu') },
    { type: /** @type {const} */ ('linear'), weight: '4.weight', bias: '4.bias' },
  ],
};

async function main() {
  /** @type {typeof import('onnxruntime-node') | null} */
  let ort = null;
  try {
    ort = require('onnxruntime-node');
  } catch {
    console.log('onnxruntime-node is not installed (a devDependency): the serving comparison is skipped');
    return;
  }
  const threads = sk.info().threads;
  const models = flags.short ? ['mlp90'] : ['mlp90', 'mlp24'];
  const rows = [];
  for (const name of models) {
    const t0 = process.hrtime.bigint();
    const weights = sk.importCompressedTensorsFile(path.join(dir, `${name}-ct.safetensors`));
    const model = sk.InferenceModel.fromSpec(spec, weights, { width: batch });
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const session = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`), { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const x = inputBatch();
    const feeds = { x: new ort.Tensor('float32', x.data, [batch, 784]) };
    // Same answer first (the fixtures' own check is test/nn/inference.test.ts): the latency compares like with like.
    const ours = model.predict(x).data;
    const theirs = /** @type {Float32Array} */ ((await session.run(feeds)).y.data);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]) / Math.max(1, Math.abs(theirs[i])));
    if (!(worst < 1e-4)) throw new Error(`${name}: sparsekit and onnxruntime disagree by ${worst}`);
    // The same batch already feature-major (features x batch, as this library's layers hold activations): no
    // conversion on entry or exit.
    const xt = sk.denseMatrix(784, batch, sk.alignedFloat32Array(784 * batch));
    for (let r = 0; r < batch; r++) for (let c = 0; c < 784; c++) xt.data[c * batch + r] = x.data[r * 784 + c];
    // Interleaved rounds, medians: the VM's speed drifts by 10-30% from one second to the next, and timing the
    // contenders one after the other let that drift into the ratio.
    const t = await interleaved(
      { sparse: () => model.predict(x), featureMajor: () => model.predict(xt, { layout: 'feature-major' }), dense: () => session.run(feeds) },
      { rounds: flags.short ? 11 : 21 },
    );
    const sparse = t.sparse, featureMajor = t.featureMajor, dense = t.dense;
    await session.release();
    // The same comparison with onnxruntime in a process of its own, its rounds interleaved with ours: in one process
    // its intra-op threads, spinning after each run, take CPU from whatever runs next (rotating the order spreads
    // that over both contenders, it does not remove it). A service runs one or the other, not both.
    const elsewhere = await ortElsewhere(name);
    let apart;
    try {
      apart = await interleaved({ sparse: () => model.predict(x), dense: elsewhere.contender }, { rounds: flags.short ? 11 : 21 });
    } finally {
      elsewhere.end();
    }
    const layers = model.describe().filter((l) => l.type === 'linear').map((l) => `${l.format}/${l.threads}t`).join(', ');
    rows.push({
      model: name, batch, threads, sparseMs: sparse.ms, featureMajorMs: featureMajor.ms, denseMs: dense.ms, speedup: dense.ms / sparse.ms, layers, loadMs,
      apartSparseMs: apart.sparse.ms, apartDenseMs: apart.dense.ms, apartSpeedup: apart.dense.ms / apart.sparse.ms,
    });
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Serving the pruned MNIST MLP (784-300-100-10), batch ${batch}, ${threads} threads, ${cpu}.`);
  console.log('Baseline: onnxruntime-node running the dense ONNX export of the same model (torch.onnx.export), same batch, same run.');
  console.log(`Each time: the median of ${flags.short ? 11 : 21} interleaved rounds of ~40 ms (sparsekit batch-major, sparsekit feature-major, onnxruntime, in turn),`);
  console.log('first with onnxruntime in this process, then with onnxruntime alone in a child process (its rounds interleaved with ours).\n');
  const label = (/** @type {string} */ m) => (m === 'mlp90' ? '90% unstructured' : '2:4');
  console.log(
    markdownTable(
      ['model', 'sparsekit ms (batch-major, as onnxruntime)', 'onnxruntime dense ms', 'speed-up', 'sparsekit ms, feature-major input', 'forms chosen (per layer)', 'load + plan ms'],
      rows.map((r) => [label(r.model), r.sparseMs.toFixed(3), r.denseMs.toFixed(3), `${r.speedup.toFixed(2)}x`, `${r.featureMajorMs.toFixed(3)} (${(r.denseMs / r.featureMajorMs).toFixed(2)}x)`, r.layers, r.loadMs.toFixed(0)]),
    ).join('\n'),
  );
  console.log('\nonnxruntime in a process of its own (same batch, same threads, rounds interleaved with ours):\n');
  console.log(
    markdownTable(
      ['model', 'sparsekit ms (batch-major)', 'onnxruntime dense ms, own process', 'speed-up'],
      rows.map((r) => [label(r.model), r.apartSparseMs.toFixed(3), r.apartDenseMs.toFixed(3), `${r.apartSpeedup.toFixed(2)}x`]),
    ).join('\n'),
  );
  if (flags.json) fs.writeFileSync(String(flags.json), JSON.stringify({ cpu, rows }, null, 2));
}

(flags['ort-child'] ? ortChild(flags['ort-child']) : main()).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
