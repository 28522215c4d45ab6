import * as v from '../core/validate';
import { SparseLinear } from '../nn';
import type { BackendParam } from '../optim';
import { spmmDevice, spmmTDevice, sddmmDevice } from './kernels';
import { DeviceCSRMatrix, DeviceMatrix } from './tensors';

/** A trainable tensor on the device for SGD / Adam: its value and gradient, equal-sized DeviceMatrix objects. */
export type DeviceParam = BackendParam<DeviceMatrix>;

/**
 * A SparseLinear layer on a device (the default backend: CUDA): Y = W X + b over feature-major batches (X is inFeatures x batch), with the same
 * passes as on the CPU, each one kernel on device data: forward SpMM (+ bias), weight gradient SDDMM at the stored
 * weights, bias gradient row sums, input gradient transposed SpMM. Made from a host layer with fromHost(); the
 * trained values go back with copyToHost(). Train it with SGD / Adam on params(), as on the CPU.
 */
export class DeviceSparseLinear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: DeviceCSRMatrix;
  readonly weightGrad: DeviceMatrix;
  readonly bias: DeviceMatrix | null;
  readonly biasGrad: DeviceMatrix | null;
  private input: DeviceMatrix | null = null;
  private readonly paramList: DeviceParam[];

  private constructor(layer: SparseLinear) {
    this.inFeatures = layer.inFeatures;
    this.outFeatures = layer.outFeatures;
    const made: { dispose(): void }[] = [];
    try {
      this.weight = DeviceCSRMatrix.fromHost(layer.weight);
      made.push(this.weight);
      this.weightGrad = DeviceMatrix.zeros(layer.weight.nnz, 1);
      made.push(this.weightGrad);
      this.bias = layer.bias ? DeviceMatrix.fromHost({ data: layer.bias, rows: layer.outFeatures, cols: 1 }) : null;
      if (this.bias) made.push(this.bias);
      this.biasGrad = layer.bias ? DeviceMatrix.zeros(layer.outFeatures, 1) : null;
    } catch (e) {
      for (const m of made) m.dispose();
      throw e;
    }
    this.paramList = [{ value: this.weight.valuesMatrix(), grad: this.weightGrad }];
    if (this.bias && this.biasGrad) this.paramList.push({ value: this.bias, grad: this.biasGrad });
  }

  /** Uploads a host layer's pattern, weights and bias (one copy each, now). */
  static fromHost(layer: SparseLinear): DeviceSparseLinear {
    return new DeviceSparseLinear(v.instanceOf('layer', layer, SparseLinear));
  }

  /** The stored weights' values (and the bias), with their gradients: the same objects every call. */
  params(): DeviceParam[] {
    return this.paramList;
  }

  /** Y = W X + b for X of inFeatures x batch on the device. Keeps X (not copied) for backward(). */
  forward(x: DeviceMatrix, opts?: { out?: DeviceMatrix }): DeviceMatrix {
    v.instanceOf('x', x, DeviceMatrix);
    if (x.rows !== this.inFeatures) v.fail('ERR_SHAPE', `Expected x.rows to be ${this.inFeatures} but received ${x.rows}`);
    const o = v.options<{ out?: DeviceMatrix }>('options', opts, ['out']);
    const y = spmmDevice(this.weight, x, { out: o.out });
    if (this.bias) this.weight.backend.addRowBias(y.buffer, y.rows, y.cols, this.bias.buffer);
    this.input = x;
    return y;
  }

  /**
   * Given dY (outFeatures x batch) for the last forward(): fills weightGrad and biasGrad, and returns dX
   * (inFeatures x batch), or null with { inputGradient: false }.
   */
  backward(dy: DeviceMatrix, opts?: { out?: DeviceMatrix; inputGradient?: boolean }): DeviceMatrix | null {
    const x = this.input;
    if (!x) v.fail('ERR_ARGUMENT', 'backward() needs a forward() first');
    v.instanceOf('dy', dy, DeviceMatrix);
    if (dy.rows !== this.outFeatures || dy.cols !== x.cols) v.fail('ERR_SHAPE', `Expected a ${this.outFeatures}x${x.cols} dy but received ${dy.rows}x${dy.cols}`);
    const o = v.options<{ out?: DeviceMatrix; inputGradient?: boolean }>('options', opts, ['out', 'inputGradient']);
    const wantInput = o.inputGradient === undefined ? true : v.boolean('options.inputGradient', o.inputGradient);
    sddmmDevice(this.weight, dy, x, { out: this.weightGrad });
    if (this.biasGrad) this.weight.backend.rowSums(dy.buffer, dy.rows, dy.cols, this.biasGrad.buffer);
    return wantInput ? spmmTDevice(this.weight, dy, { out: o.out }) : null;
  }

  /** Writes the trained weights and bias into a host layer with the same pattern (e.g. the one it came from). */
  copyToHost(layer: SparseLinear): void {
    v.instanceOf('layer', layer, SparseLinear);
    if (layer.inFeatures !== this.inFeatures || layer.outFeatures !== this.outFeatures || layer.weight.nnz !== this.weight.nnz || !layer.bias !== !this.bias) {
      v.fail('ERR_SHAPE', 'The host layer does not have this layer\'s shape, pattern size and bias');
    }
    this.weight.valuesToHost(layer.weight.values);
    if (this.bias && layer.bias) this.bias.toHost({ data: layer.bias, rows: this.outFeatures, cols: 1 });
  }

  dispose(): void {
    for (const m of [this.weight, this.weightGrad, this.bias, this.biasGrad]) m?.dispose();
  }
}
