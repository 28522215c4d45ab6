import { expect, test } from 'vitest';
import { Adam, loadTraining, ReLU, Rng, saveTraining, Sequential, SET, softmaxCrossEntropy, SparseLinear } from '../lib/index';
import { expectSameBits, expectSparseError } from './helpers';

function makeRun(seed: number) {
  const layers = [new SparseLinear(20, 16, { density: 0.3, seed }), new SparseLinear(16, 4, { density: 0.5, seed: seed + 1 })];
  const net = new Sequential([layers[0], new ReLU(), layers[1]]);
  return { layers, net, opt: new Adam({ lr: 0.01 }), set: new SET({ dropFraction: 0.3, updateEvery: 3, endStep: 100, seed: seed + 2 }) };
}

function trainStep(run: ReturnType<typeof makeRun>, step: number): void {
  const rng = new Rng(1000 + step); // the data of a step depends only on the step
  const x = { data: Float32Array.from({ length: 20 * 8 }, () => rng.next() - 0.5), rows: 20, cols: 8 };
  const labels = Int32Array.from({ length: 8 }, () => rng.nextInt(4));
  const { grad } = softmaxCrossEntropy(run.net.forward(x), labels);
  run.net.backward(grad);
  run.opt.step(run.net.params());
  if (run.set.shouldUpdate(step)) for (const l of run.layers) run.set.update(l, step, { optimizer: run.opt });
}

test('saving mid-training and resuming continues bit for bit (weights, masks, Adam state, SET generator)', () => {
  const a = makeRun(1);
  let bytes = new Uint8Array(0);
  for (let step = 1; step <= 10; step++) {
    trainStep(a, step);
    if (step === 5) bytes = saveTraining({ layers: a.layers, optimizer: a.opt, updater: a.set, step, extra: { note: 'mid' } });
  }
  const b = makeRun(99); // different initial weights, pattern and seed: all replaced by the checkpoint
  const { step, extra } = loadTraining(bytes, { layers: b.layers, optimizer: b.opt, updater: b.set });
  expect(step).toBe(5);
  expect(extra).toEqual({ note: 'mid' });
  for (let s = step + 1; s <= 10; s++) trainStep(b, s);
  a.layers.forEach((l, i) => {
    expect(b.layers[i].weight.indices).toEqual(l.weight.indices);
    expect(b.layers[i].weight.indptr).toEqual(l.weight.indptr);
    expectSameBits(b.layers[i].weight.values, l.weight.values, `layer ${i} weights`);
    expectSameBits(b.layers[i].bias!, l.bias!, `layer ${i} bias`);
    expectSameBits(b.opt.state(b.layers[i].params()[0]).m!, a.opt.state(l.params()[0]).m!, `layer ${i} Adam m`);
  });
  expectSparseError(() => loadTraining(bytes, { layers: [b.layers[0]] }), 'ERR_SHAPE', /2 layers, the model 1/);
});
