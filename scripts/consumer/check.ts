// Type-checked with --strict against the package's own .d.ts; never run.
import { Adam, CSRMatrix, DenseMatrix, denseMatrix, magnitudePrune, ReLU, RigL, Sequential, SparseError, SparseLinear, softmaxCrossEntropy, spmm } from 'sparsekit';

const W: CSRMatrix = CSRMatrix.random(10, 8, { density: 0.5, seed: 1 });
const X: DenseMatrix = denseMatrix(8, 4);
const Y: DenseMatrix = spmm(W, X, { alpha: 2 });
const rows: number = Y.rows;
const net = new Sequential([new SparseLinear(8, 6, { density: 0.5 }), new ReLU(), new SparseLinear(6, 3, { sparsity: 0.5 })]);
const { loss, grad } = softmaxCrossEntropy(net.forward(X), [0, 1, 2, 0]);
const dx: DenseMatrix | null = net.backward(grad, { inputGradient: false });
new Adam({ lr: 1e-3 }).step(net.params());
const rigl = new RigL({ endStep: 100 });
const pruned = magnitudePrune(denseMatrix(4, 4), { sparsity: 0.5 });
const e: SparseError | null = null;
export const used = [rows, loss, dx, rigl, pruned, e];
