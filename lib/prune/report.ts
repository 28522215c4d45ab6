/** What pruning kept, per tensor and overall. */
import * as v from '../core/validate';
import { BSRMatrix, CSRMatrix, DenseMatrix, formatOf, Mask, NMMatrix } from '../formats';

export interface PruneReport {
  layers: { name: string; size: number; kept: number; sparsity: number }[];
  total: { size: number; kept: number; sparsity: number };
}

/** Per-tensor and global kept counts and sparsity of Masks, sparse matrices or dense matrices (non-zeros). */
export function pruneReport(tensors: Record<string, Mask | CSRMatrix | BSRMatrix | NMMatrix | DenseMatrix>): PruneReport {
  if (tensors === null || typeof tensors !== 'object') v.fail('ERR_ARGUMENT', `Expected an object of named tensors but received ${v.describe(tensors)}`);
  const layers = Object.entries(tensors).map(([name, t]) => {
    const spec = formatOf(t);
    let kept: number;
    if (spec) kept = spec.kept(t as never);
    else {
      v.dense(name, t);
      kept = 0;
      for (const x of (t as DenseMatrix).data) if (x !== 0) kept++;
    }
    const size = t.rows * t.cols;
    return { name, size, kept, sparsity: size ? 1 - kept / size : 0 };
  });
  const size = layers.reduce((a, l) => a + l.size, 0), kept = layers.reduce((a, l) => a + l.kept, 0);
  return { layers, total: { size, kept, sparsity: size ? 1 - kept / size : 0 } };
}
