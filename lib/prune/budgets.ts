/** Layer budgets: how a global sparsity is shared among layers (uniform, Erdős–Rényi-Kernel). */
import * as v from '../core/validate';

function shapes(name: string, x: unknown): number[][] {
  if (!Array.isArray(x) || x.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of shapes for ${name} but received ${v.describe(x)}`);
  return x.map((s, i) => {
    if (!Array.isArray(s) || s.length < 1) v.fail('ERR_ARGUMENT', `Expected an array of dimensions for ${name}[${i}] but received ${v.describe(s)}`);
    return s.map((d, k) => v.integer(`${name}[${i}][${k}]`, d, 1, v.INT32_MAX));
  });
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The same density 1 - sparsity for every layer (layers listed in `dense` stay dense and the rest share the remainder). */
export function uniformDensities(layerShapes: number[][], sparsity: number, opts?: { dense?: number[] }): number[] {
  const sh = shapes('layerShapes', layerShapes);
  const s = v.fraction('sparsity', sparsity);
  const o = v.options<{ dense?: number[] }>('options', opts, ['dense']);
  const dense = new Set((o.dense ?? []).map((i, k) => v.integer(`options.dense[${k}]`, i, 0, sh.length - 1)));
  const total = sh.reduce((a, x) => a + sizeOf(x), 0);
  const denseSize = sh.reduce((a, x, i) => a + (dense.has(i) ? sizeOf(x) : 0), 0);
  const rest = total - denseSize;
  const density = rest === 0 ? 1 : ((1 - s) * total - denseSize) / rest;
  if (density < 0 || density > 1 + 1e-12) v.fail('ERR_RANGE', `sparsity ${s} cannot be met with layers ${[...dense].join(', ')} kept dense`);
  return sh.map((_, i) => (dense.has(i) ? 1 : Math.min(1, density)));
}

/**
 * Erdős–Rényi-Kernel densities (Evci et al. 2020, RigL): density_l proportional to sum(dims_l) / prod(dims_l)
 * (to the power `power`, default 1), scaled so the kept parameters total (1 - sparsity) of all; a layer that would
 * exceed density 1 is made dense and the others are rescaled, repeatedly, as in the RigL implementation.
 */
export function erkDensities(layerShapes: number[][], sparsity: number, opts?: { power?: number }): number[] {
  const sh = shapes('layerShapes', layerShapes);
  const s = v.fraction('sparsity', sparsity);
  const o = v.options<{ power?: number }>('options', opts, ['power']);
  const power = o.power === undefined ? 1 : v.finite('options.power', o.power);
  const sizes = sh.map(sizeOf);
  const raw = sh.map((x) => Math.pow(x.reduce((a, b) => a + b, 0) / sizeOf(x), power));
  const total = sizes.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    let divisor = 0, rhs = (1 - s) * total;
    for (let i = 0; i < sh.length; i++) {
      if (dense.has(i)) rhs -= sizes[i];
      else divisor += raw[i] * sizes[i];
    }
    const eps = divisor === 0 ? 0 : rhs / divisor;
    let grew = false;
    for (let i = 0; i < sh.length; i++) {
      if (!dense.has(i) && eps * raw[i] > 1) {
        dense.add(i);
        grew = true;
      }
    }
    if (!grew) return sh.map((_, i) => (dense.has(i) ? 1 : Math.max(0, eps * raw[i])));
  }
}
