import { afterAll, describe, expect, test } from 'vitest';
import { Adam, info, setIsa, SGD } from '../../lib/index';
import { expectRelClose, expectSparseError, randomVector } from '../helpers';

afterAll(() => setIsa('auto'));

const LENGTHS = [0, 1, 7, 16, 17, 1000, 200_003];

const close = (got: Float32Array, want: Float64Array, what: string): void => expectRelClose(got, want, 1e-5, what);

describe.each(info().isas)('optimizers, isa %s', (isa) => {
  test('SGD (plain, momentum, Nesterov, weight decay) matches a scalar reference over several steps', () => {
    setIsa(isa);
    expect(info().kernels['f32-sgd'].isa).toBe(isa);
    for (const n of LENGTHS) {
      for (const [momentum, nesterov, weightDecay] of [[0, false, 0], [0.9, false, 0], [0.9, true, 1e-2], [0, false, 5e-2]] as const) {
        const opt = new SGD({ lr: 0.1, momentum, nesterov, weightDecay });
        const p = { value: randomVector(n, 1), grad: new Float32Array(n) };
        const w = Float64Array.from(p.value), buf = new Float64Array(n);
        for (let step = 0; step < 4; step++) {
          p.grad.set(randomVector(n, 10 + step));
          opt.step([p]);
          for (let i = 0; i < n; i++) {
            let g = p.grad[i] + weightDecay * w[i];
            if (momentum) {
              buf[i] = momentum * buf[i] + g;
              g = nesterov ? g + momentum * buf[i] : buf[i];
            }
            w[i] -= 0.1 * g;
          }
          close(p.value, w, `sgd ${isa} n${n} m${momentum} nesterov ${nesterov} wd${weightDecay} step ${step}`);
        }
      }
    }
  });

  test('Adam and AdamW match a scalar reference over several steps', () => {
    setIsa(isa);
    for (const n of LENGTHS) {
      for (const decoupled of [false, true]) {
        const opt = new Adam({ lr: 1e-2, betas: [0.9, 0.99], eps: 1e-6, weightDecay: 0.1, decoupled });
        const p = { value: randomVector(n, 2), grad: new Float32Array(n) };
        const w = Float64Array.from(p.value), m = new Float64Array(n), v = new Float64Array(n);
        for (let t = 1; t <= 5; t++) {
          p.grad.set(randomVector(n, 20 + t));
          opt.step([p]);
          for (let i = 0; i < n; i++) {
            let g = p.grad[i];
            if (decoupled) w[i] -= 1e-2 * 0.1 * w[i];
            else g += 0.1 * w[i];
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.99 * v[i] + 0.01 * g * g;
            w[i] -= (1e-2 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.99 ** t)) + 1e-6);
          }
          close(p.value, w, `adam ${isa} n${n} decoupled ${decoupled} step ${t}`);
        }
        expect(opt.state(p).step).toBe(5);
      }
    }
  });
});

describe('optimizer state and validation', () => {
  test('state is per parameter and per entry; resetState zeroes chosen entries', () => {
    const opt = new Adam({ lr: 0.1 });
    const a = { value: new Float32Array(4).fill(1), grad: new Float32Array(4).fill(0.5) };
    const b = { value: new Float32Array(2), grad: new Float32Array(2).fill(-1) };
    opt.step([a, b]);
    for (const x of opt.state(a).m!) expect(x).toBeCloseTo(0.05, 6); // (1 - beta1) * g, beta1 = 0.9 in float32
    expect(opt.state(b).m?.length).toBe(2);
    opt.resetState(a, [1, 3]);
    const m = Array.from(opt.state(a).m!);
    expect([m[1], m[3]]).toEqual([0, 0]);
    expect(m[0]).toBeCloseTo(0.05, 6);
    expect(m[2]).toBeCloseTo(0.05, 6);
    expect(opt.state(a).v![1]).toBe(0);
    expectSparseError(() => opt.resetState(a, [4]), 'ERR_RANGE', /indices in \[0, 4\)/);
    const sgd = new SGD({ lr: 0.1, momentum: 0.5 });
    sgd.step([a]);
    sgd.resetState(a, Int32Array.of(0));
    expect(sgd.state(a).momentum![0]).toBe(0);
  });

  test('bad options and parameters are refused', () => {
    expectSparseError(() => new SGD({ lr: NaN }), 'ERR_RANGE', /options.lr/);
    expectSparseError(() => new SGD({ lr: 0.1, nesterov: true }), 'ERR_ARGUMENT', /nesterov needs options.momentum/);
    expectSparseError(() => new Adam({ lr: 0.1, betas: [0.9, 1] }), 'ERR_RANGE', /below 1/);
    expectSparseError(() => new Adam({ lr: 0.1, beta1: 0.9 } as never), 'ERR_UNSUPPORTED', /Unknown option 'beta1'/);
    const opt = new SGD({ lr: 0.1 });
    expectSparseError(() => opt.step([{ value: new Float32Array(3), grad: new Float32Array(2) }]), 'ERR_SHAPE', /params\[0\].grad/);
    expectSparseError(() => opt.step([{ value: new Float64Array(3) as never, grad: new Float32Array(3) }]), 'ERR_DTYPE', /params\[0\].value/);
    const shared = new Float32Array(8);
    expectSparseError(() => opt.step([{ value: shared.subarray(0, 4), grad: shared.subarray(2, 6) }]), 'ERR_ARGUMENT', /share memory/);
  });
});
