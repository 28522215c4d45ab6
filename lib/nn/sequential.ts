import * as v from '../core/validate';
import { DenseMatrix, denseMatrix } from '../formats';
import type { Param } from '../optim';
import { AffineLayer } from './affine';
import { Layer } from './layer';
import { ReLU } from './relu';

/**
 * Layers applied in order; backward runs them in reverse. Feature-major batches throughout. The activations and
 * gradients between layers live in buffers Sequential owns and reuses while the batch size stays the same (so a
 * step allocates nothing but its output); what forward() and backward() return is always a new matrix. The
 * library's own layers (SparseLinear, Linear, ReLU) write into those buffers; other layers allocate as they like.
 */
export class Sequential {
  readonly layers: Layer[];
  private readonly acts: (DenseMatrix | undefined)[] = [];
  private readonly grads: (DenseMatrix | undefined)[] = [];

  constructor(layers: Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of layers but received ${v.describe(layers)}`);
    layers.forEach((l, i) => {
      if (l === null || typeof l !== 'object' || typeof l.forward !== 'function' || typeof l.backward !== 'function') {
        v.fail('ERR_ARGUMENT', `Expected layers[${i}] to have forward() and backward() but received ${v.describe(l)}`);
      }
    });
    this.layers = layers;
  }

  /** The reusable rows x cols buffer in slot i of a list. */
  private static buffer(list: (DenseMatrix | undefined)[], i: number, rows: number, cols: number): DenseMatrix {
    const b = list[i];
    if (b && b.rows === rows && b.cols === cols) return b;
    return (list[i] = denseMatrix(rows, cols));
  }

  forward(x: DenseMatrix): DenseMatrix {
    let h = x;
    const last = this.layers.length - 1;
    this.layers.forEach((l, i) => {
      if (i < last && l instanceof AffineLayer) h = l.forward(h, { out: Sequential.buffer(this.acts, i, l.outFeatures, h.cols) });
      else if (i < last && l instanceof ReLU && i > 0 && h === this.acts[i - 1]) h = l.forward(h, { out: h }); // in place on a buffer of ours
      else h = l.forward(h);
    });
    return h;
  }

  /**
   * Backpropagates dY (not modified) through every layer, filling the parameter gradients; returns dX, or null
   * with { inputGradient: false } (then the first layer's input gradient is not computed at all).
   */
  backward(dy: DenseMatrix, opts?: { inputGradient?: boolean }): DenseMatrix | null {
    const o = v.options<{ inputGradient?: boolean }>('options', opts, ['inputGradient']);
    const wantInput = o.inputGradient === undefined ? true : v.boolean('options.inputGradient', o.inputGradient);
    let g: DenseMatrix = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      if (i === 0) {
        if (wantInput) return l.backward(g);
        if (l instanceof AffineLayer) l.backward(g, { inputGradient: false });
        else if (!(l instanceof ReLU)) l.backward(g);
        return null;
      }
      if (l instanceof AffineLayer) g = l.backward(g, { out: Sequential.buffer(this.grads, i, l.inFeatures, g.cols) });
      else if (l instanceof ReLU) g = l.backward(g, { out: Sequential.buffer(this.grads, i, g.rows, g.cols) });
      else {
        const next = l.backward(g);
        if (!next) v.fail('ERR_ARGUMENT', `layers[${i}].backward() returned no input gradient`);
        g = next;
      }
    }
    return g;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => (l.params ? l.params() : []));
  }
}
