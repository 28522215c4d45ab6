import * as v from '../core/validate';
import { alignedFloat32Array, DenseMatrix } from '../formats';

/**
 * Mean softmax cross-entropy of logits (classes x batch, feature-major) against integer labels (one per column),
 * and its gradient w.r.t. the logits. Numerically stable (max subtracted per column).
 */
export function softmaxCrossEntropy(logits: DenseMatrix, labels: Int32Array | Uint8Array | number[]): { loss: number; grad: DenseMatrix; correct: number } {
  v.dense('logits', logits);
  const { rows: classes, cols: batch, data } = logits;
  if (labels === null || typeof labels !== 'object' || labels.length !== batch) {
    v.fail('ERR_SHAPE', `Expected ${batch} labels but received ${v.describe(labels)}`);
  }
  const grad = alignedFloat32Array(data.length);
  let loss = 0, correct = 0;
  for (let b = 0; b < batch; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= classes) v.fail('ERR_RANGE', `labels[${b}] = ${y} is not a class in [0, ${classes})`);
    let max = -Infinity, arg = 0;
    for (let c = 0, k = b; c < classes; c++, k += batch) if (data[k] > max) { max = data[k]; arg = c; }
    if (!Number.isFinite(max)) v.fail('ERR_RANGE', `logits column ${b} is not finite`);
    let sum = 0;
    for (let c = 0, k = b; c < classes; c++, k += batch) sum += (grad[k] = Math.exp(data[k] - max));
    loss += Math.log(sum) + max - data[y * batch + b];
    for (let c = 0, k = b; c < classes; c++, k += batch) grad[k] = (grad[k] / sum - (c === y ? 1 : 0)) / batch;
    if (arg === y) correct++;
  }
  return { loss: loss / batch, grad: { data: grad, rows: classes, cols: batch }, correct };
}
