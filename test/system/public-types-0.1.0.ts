// Every type name exported by sparsekit 0.1.0, imported from today's index: `npm run typecheck` fails if one is
// gone. (Values are checked at run time by public-api.test.ts.)
import type {
  AdamOptions, ApplyOptions, BlockOptions, BlockPruneOptions, ConstantSparsityOptions, DenseMatrix, DeviceKernelOptions, DeviceParam,
  DeviceSpmmOptions, FromCOOOptions, FromDenseOptions, GemmOptions, GlobalPruneOptions, Info, IsaName, JsonValue,
  KernelOptions, Layer, MaskUpdateOptions, MaskUpdateResult, NMOptions, NMPruneOptions, Param, PolynomialDecayOptions,
  PruneOptions, PruneReport, PruneScope, RandomOptions, RandomPruneOptions, SGDOptions, Savable, Schedule,
  SddmmOptions, SparseErrorCode, SparseLinearOptions, SparseOperand, SpmmTOptions, ToDeviceOptions, TrainingState, WriteMatrixMarketOptions,
} from '../../lib/index';

export type Types010 = [
  AdamOptions, ApplyOptions, BlockOptions, BlockPruneOptions, ConstantSparsityOptions, DenseMatrix, DeviceKernelOptions, DeviceParam,
  DeviceSpmmOptions, FromCOOOptions, FromDenseOptions, GemmOptions, GlobalPruneOptions, Info, IsaName, JsonValue,
  KernelOptions<Float32Array>, Layer, MaskUpdateOptions, MaskUpdateResult, NMOptions, NMPruneOptions, Param, PolynomialDecayOptions,
  PruneOptions, PruneReport, PruneScope, RandomOptions, RandomPruneOptions, SGDOptions, Savable, Schedule,
  SddmmOptions, SparseErrorCode, SparseLinearOptions, SparseOperand, SpmmTOptions, ToDeviceOptions, TrainingState, WriteMatrixMarketOptions,
];
