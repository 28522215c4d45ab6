/**
 * How a layer computes its weight products: chosen by the planner on the first batch of each width class ('auto',
 * the default), or pinned ('csr', 'dense'). Only forms that follow a weight whose values change every step are
 * candidates: CSR computes with the weight's own arrays, and a dense copy is refreshed from them before each use.
 * 'auto' chooses by measuring, so two processes can choose differently and their results can differ in the last
 * bits, as with cudnn.benchmark in PyTorch: pin a format, or importPlans() one set of plans, for bit-reproducible runs.
 */
import * as v from '../core/validate';
import type { DenseMatrix, SparseFormat } from '../formats';
import { choose, widthClass } from '../plan';

export type LayerFormat = 'auto' | 'csr' | 'dense';

export interface ProductChoice {
  format: 'csr' | 'dense';
  /** Threads each product is split over (0: all of setThreads). */
  threads: number;
}

export const LAYER_FORMATS: readonly LayerFormat[] = ['auto', 'csr', 'dense'];

export function layerFormat(name: string, value: unknown): LayerFormat {
  return v.oneOf(name, value, LAYER_FORMATS, 'auto');
}

/** The products' form for the current weight, per batch-width class; forgotten when the weight changes. */
export class FormatChoice {
  private chosen: (ProductChoice & { widthClass: number }) | null = null;

  constructor(readonly pinned: LayerFormat) {}

  /** The choice for a batch of `width` columns, planning on `weight` if it is not made yet. */
  for(weight: SparseFormat | DenseMatrix, width: number): ProductChoice {
    if (this.pinned !== 'auto') return { format: this.pinned, threads: 0 };
    const wc = widthClass(width);
    if (!this.chosen || this.chosen.widthClass !== wc) {
      const c = choose(weight, { width, candidates: ['csr', 'dense'], budgetMs: 10 });
      this.chosen = { format: c.format as 'csr' | 'dense', threads: c.threads, widthClass: wc };
    }
    return this.chosen;
  }

  /** The last choice (null before the first forward after a weight change). */
  get current(): ProductChoice | null {
    return this.chosen;
  }

  /** After a weight change: plan again on the next batch (a plan-cache lookup for a weight of the same kind). */
  invalidate(): void {
    this.chosen = null;
  }
}

/** The kernels' threads option of a choice (undefined: all threads). */
export function threadsOf(c: ProductChoice): number | undefined {
  return c.threads > 0 ? c.threads : undefined;
}
