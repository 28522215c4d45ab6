/**
 * sparsekit: sparse formats, kernels, pruning and sparse training for Node.js.
 * See README.md for a tour; every function validates its arguments and throws SparseError with a stable code.
 */
export { SparseError, ERROR_CODES } from './errors';
export type { SparseErrorCode } from './errors';
export { alignedFloat32Array, denseMatrix } from './dense';
export type { DenseMatrix } from './dense';
export { CSRMatrix } from './csr';
export type { FromDenseOptions, FromCOOOptions, RandomOptions } from './csr';
export { COOMatrix } from './coo';
export { BSRMatrix } from './bsr';
export type { BlockOptions } from './bsr';
export { NMMatrix } from './nm';
export type { NMOptions } from './nm';
export { Mask } from './mask';
export type { ApplyOptions } from './mask';
export { Rng } from './random';
export { save, load, loadMetadata, saveFile, loadFile } from './io/safetensors';
export type { Savable, JsonValue } from './io/safetensors';
export { readMatrixMarket, writeMatrixMarket } from './io/matrix-market';
export type { WriteMatrixMarketOptions } from './io/matrix-market';
export { spmv, spmvAsync, spmm, spmmAsync, spmmT, spmmTAsync, sddmm, sddmmAsync, transposePlan, TransposePlan, gemm, gemmAsync } from './ops';
export type { KernelOptions, SpmmTOptions, SddmmOptions, SparseOperand, GemmOptions } from './ops';
export {
  magnitudePrune, taylorPrune, scorePrune, globalMagnitudePrune, randomPrune, nmPrune, blockPrune, keptCount,
  constantSparsity, polynomialDecay, oneShot, iterativeSparsities, uniformDensities, erkDensities, pruneReport,
} from './prune';
export type {
  PruneOptions, PruneScope, GlobalPruneOptions, RandomPruneOptions, NMPruneOptions, BlockPruneOptions, Schedule,
  ConstantSparsityOptions, PolynomialDecayOptions, PruneReport,
} from './prune';
export { SparseLinear, Linear, sparseLinearNnz, ReLU, softmaxCrossEntropy, Sequential } from './train';
export type { Layer } from './train';
export type { SparseLinearOptions } from './train';
export { SGD, Adam } from './optim';
export { SET, RigL, pruneLayer } from './dst';
export { saveTraining, loadTraining } from './checkpoint';
export type { TrainingState } from './checkpoint';
export type { MaskUpdateOptions, MaskUpdateResult } from './dst';
export type { Param, SGDOptions, AdamOptions } from './optim';
export { info, setThreads, setIsa } from './runtime';
export type { Info, IsaName } from './runtime';
export {
  DeviceCSRMatrix,
  DeviceMatrix,
  DeviceNMMatrix,
  DeviceSparseLinear,
  toDevice,
  deviceMemoryInUse,
  spmmDevice,
  spmmDeviceAsync,
  spmmTDevice,
  spmmTDeviceAsync,
  spmvDevice,
  spmvDeviceAsync,
  sddmmDevice,
  sddmmDeviceAsync,
} from './cuda';
export type { DeviceKernelOptions, DeviceParam, DeviceSpmmOptions, ToDeviceOptions } from './cuda';
