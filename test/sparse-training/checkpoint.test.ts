import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Adam, loadTraining, ReLU, Rng, saveTraining, Sequential, SET, SGD, softmaxCrossEntropy, SparseLinear } from '../../lib/index';
import { expectRelClose, expectSameBits, expectSparseError } from '../helpers';

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
  let bytes: Uint8Array = new Uint8Array(0);
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

// test/fixtures/checkpoint-0.1.0-*.safetensors were written by sparsekit 0.1.0 (before lib/ moved into layers):
// the same seeded run as below, 5 steps, saved at step 5. Loading them must give what this code computes for
// that run now: the file keys and the optimizers' state layout are unchanged.
describe('checkpoints written by 0.1.0 load', () => {
  const fixtures = path.join(__dirname, '..', 'fixtures');
  const cases = [
    { file: 'checkpoint-0.1.0-adam.safetensors', opt: () => new Adam({ lr: 0.01 }) },
    { file: 'checkpoint-0.1.0-sgd.safetensors', opt: () => new SGD({ lr: 0.05, momentum: 0.9 }) },
  ];
  for (const { file, opt } of cases) {
    test(file, () => {
      const now = makeRun(1);
      now.opt = opt() as never;
      for (let step = 1; step <= 5; step++) trainStep(now, step);
      const old = makeRun(99);
      old.opt = opt() as never;
      const { step, extra } = loadTraining(fs.readFileSync(path.join(fixtures, file)), { layers: old.layers, optimizer: old.opt, updater: old.set });
      expect(step).toBe(5);
      expect(extra).toEqual({ note: 'v0.1.0' });
      now.layers.forEach((l, i) => {
        const o = old.layers[i];
        expect(o.weight.indptr).toEqual(l.weight.indptr);
        expect(o.weight.indices).toEqual(l.weight.indices);
        expectRelClose(o.weight.values, l.weight.values, 1e-6, `layer ${i} weights`);
        expectRelClose(o.bias!, l.bias!, 1e-6, `layer ${i} bias`);
        l.params().forEach((p, j) => {
          const want = now.opt.checkpointState(p), got = old.opt.checkpointState(o.params()[j]);
          expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
          expect(Object.keys(want).length).toBeGreaterThan(0);
          for (const key of Object.keys(want)) {
            if (typeof want[key] === 'number') expect(got[key]).toBe(want[key]);
            else expectRelClose(got[key] as Float32Array, want[key] as Float32Array, 1e-6, `layer ${i} param ${j} ${key}`);
          }
        });
      });
      expect(old.set.rngState()).toEqual(now.set.rngState());
    });
  }
});
