// require() entry: an SpMM checked against a dense product computed here.
'use strict';
const sk = require('sparsekit');
const W = sk.CSRMatrix.random(37, 29, { density: 0.3, seed: 7 });
const X = sk.denseMatrix(29, 13);
for (let k = 0; k < X.data.length; k++) X.data[k] = Math.sin(k);
const Y = sk.spmm(W, X);
const D = W.toDense().data;
let worst = 0;
for (let i = 0; i < 37; i++) {
  for (let j = 0; j < 13; j++) {
    let s = 0;
    for (let k = 0; k < 29; k++) s += D[i * 29 + k] * X.data[k * 13 + j];
    worst = Math.max(worst, Math.abs(s - Y.data[i * 13 + j]));
  }
}
if (!(worst < 1e-4) || W.nnz === 0) throw new Error(`spmm differs from the dense product by ${worst}`);
console.log(`require: ok (${sk.info().isa}, max error ${worst.toExponential(1)}, addon ${sk.info().addon})`);
