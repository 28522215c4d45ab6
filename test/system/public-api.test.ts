// The public API of 0.1.0 is still exported, with the same names (the lib/ layers move changed no name). New
// names may be added; this list only guards what users of 0.1.0 import. Types are checked by
// test/system/public-types-0.1.0.ts under `npm run typecheck`.
import { expect, test } from 'vitest';
import * as sk from '../../lib/index';

const VALUES_0_1_0 = ["Adam", "BSRMatrix", "COOMatrix", "CSRMatrix", "DeviceCSRMatrix", "DeviceMatrix", "DeviceNMMatrix", "DeviceSparseLinear", "ERROR_CODES", "Linear", "Mask", "NMMatrix", "ReLU", "RigL", "Rng", "SET", "SGD", "Sequential", "SparseError", "SparseLinear", "TransposePlan", "alignedFloat32Array", "blockPrune", "constantSparsity", "denseMatrix", "deviceMemoryInUse", "erkDensities", "gemm", "gemmAsync", "globalMagnitudePrune", "info", "iterativeSparsities", "keptCount", "load", "loadFile", "loadMetadata", "loadTraining", "magnitudePrune", "nmPrune", "oneShot", "polynomialDecay", "pruneLayer", "pruneReport", "randomPrune", "readMatrixMarket", "save", "saveFile", "saveTraining", "scorePrune", "sddmm", "sddmmAsync", "sddmmDevice", "sddmmDeviceAsync", "setIsa", "setThreads", "softmaxCrossEntropy", "sparseLinearNnz", "spmm", "spmmAsync", "spmmDevice", "spmmDeviceAsync", "spmmT", "spmmTAsync", "spmmTDevice", "spmmTDeviceAsync", "spmv", "spmvAsync", "spmvDevice", "spmvDeviceAsync", "taylorPrune", "toDevice", "transposePlan", "uniformDensities", "writeMatrixMarket"];

test('every value exported by 0.1.0 is still exported, and of the same kind', () => {
  const exported = sk as unknown as Record<string, unknown>;
  const missing = VALUES_0_1_0.filter((name) => !(name in exported));
  expect(missing).toEqual([]);
  for (const name of VALUES_0_1_0) expect(['function', 'object'], name).toContain(typeof exported[name]);
});
