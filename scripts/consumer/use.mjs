// import entry: named exports, the same instance as require(), and an async SpMM.
import { createRequire } from 'node:module';
import { CSRMatrix, denseMatrix, info, spmm, spmmAsync, SparseError } from 'sparsekit';

const require = createRequire(import.meta.url);
if (require('sparsekit').CSRMatrix !== CSRMatrix) throw new Error('import and require gave different instances');
const W = CSRMatrix.random(64, 48, { density: 0.2, seed: 3 });
const X = denseMatrix(48, 9);
X.data.fill(0.5);
const a = spmm(W, X), b = await spmmAsync(W, X);
if (a.data.some((v, k) => v !== b.data[k])) throw new Error('spmmAsync differs from spmm');
try {
  spmm(W, denseMatrix(47, 9));
  throw new Error('a wrong shape was accepted');
} catch (e) {
  if (!(e instanceof SparseError) || e.code !== 'ERR_SHAPE') throw e;
}
console.log(`import: ok (${info().isa})`);
