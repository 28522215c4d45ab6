/** What a layer is, and the option shapes and output rule every layer of this folder shares. */
import * as v from '../core/validate';
import { DenseMatrix, denseMatrix } from '../formats';
import type { Param } from '../optim';

/** A layer Sequential can hold. */
export interface Layer {
  forward(x: DenseMatrix): DenseMatrix;
  backward(dy: DenseMatrix): DenseMatrix | null;
  params?(): Param[];
}

export interface ForwardOptions {
  /** Write the output here (its shape must match; it may not share memory with the input) instead of a new matrix. */
  out?: DenseMatrix;
}

export interface BackwardOptions extends ForwardOptions {
  /** false: fill the parameter gradients only and return null (the input gradient of a first layer is not needed). */
  inputGradient?: boolean;
}

/** The `out` a layer writes into: the given one after its checks, or a fresh one. */
export function outArg(out: DenseMatrix | undefined, rows: number, cols: number, input: DenseMatrix, inputName: string): DenseMatrix {
  if (out === undefined) return denseMatrix(rows, cols);
  v.dense('options.out', out, rows, cols);
  v.disjoint('options.out', out.data, inputName, input.data);
  return out;
}
