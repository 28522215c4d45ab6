/**
 * sparsekit: sparse formats, kernels, pruning and sparse training for Node.js.
 * See README.md for a tour; every function validates its arguments and throws SparseError with a stable code.
 * This file only re-exports; the layers below it are drawn in README.md, "Architecture".
 */
export { SparseError, ERROR_CODES } from './core/errors';
export type { SparseErrorCode } from './core/errors';
export { Rng } from './core/random';
export { info, setThreads, setIsa, setPacking, setAsyncLimit } from './core/runtime';
export type { CudaInfo, Info, IsaName, PackMode } from './core/runtime';
export {
  alignedFloat32Array, denseMatrix, CSRMatrix, COOMatrix, BSRMatrix, NMMatrix, Mask, formatOf, formatTags, toShared, fromShared,
} from './formats';
export type {
  DenseMatrix, FromDenseOptions, FromCOOOptions, RandomOptions, BlockOptions, NMOptions, ApplyOptions, SparseFormat, FromSharedOptions,
} from './formats';
export * from './io';
export {
  spmv, spmvAsync, spmm, spmmAsync, spmmT, spmmTAsync, sddmm, sddmmAsync, transposePlan, TransposePlan, gemm, gemmAsync,
  setInlineLimit, getInlineLimit,
} from './kernels';
export type { KernelOptions, SpmmOptions, SpmmTOptions, SddmmOptions, SparseOperand, GemmOptions, TransposePlanOptions } from './kernels';
export { plan, LinearOperator, exportPlans, importPlans, clearPlans } from './plan';
export type { PlanOptions, PlanApplyOptions, PlanExplanation, CandidateResult } from './plan';
export {
  magnitudePrune, taylorPrune, scorePrune, globalMagnitudePrune, randomPrune, nmPrune, blockPrune, keptCount,
  constantSparsity, polynomialDecay, oneShot, iterativeSparsities, uniformDensities, erkDensities, pruneReport,
} from './prune';
export type {
  PruneOptions, PruneScope, GlobalPruneOptions, RandomPruneOptions, NMPruneOptions, BlockPruneOptions, Schedule,
  ConstantSparsityOptions, PolynomialDecayOptions, PruneReport,
} from './prune';
export { SGD, Adam } from './optim';
export type { Optimizer, Param, SGDOptions, AdamOptions } from './optim';
export { SparseLinear, Linear, sparseLinearNnz, ReLU, softmaxCrossEntropy, Sequential, InferenceModel, onnxSpec } from './nn';
export type { Layer, SparseLinearOptions, LinearOptions, LayerFormat, ProductChoice, LayerSpec, ModelSpec, ModelTensor, InferenceOptions, PredictOptions } from './nn';
export { SET, RigL, pruneLayer, saveTraining, loadTraining } from './sparse-training';
export type { MaskUpdateOptions, MaskUpdateResult, TrainingState } from './sparse-training';
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
} from './device';
export type { DeviceBackend, DeviceKernelOptions, DeviceParam, DeviceSpmmOptions, ToDeviceOptions } from './device';
