/** The CPU kernels: one file per op group, all through the pipeline in ./call.ts. */
export type { KernelOptions } from './call';
export { transposableB } from './call'; // for lib/plan, not re-exported by lib/index.ts
export { spmv, spmvAsync } from './spmv';
export { setInlineLimit, getInlineLimit } from './inline';
export { spmm, spmmAsync } from './spmm';
export type { SparseOperand, SpmmOptions } from './spmm';
export { spmmT, spmmTAsync } from './spmm-t';
export type { SpmmTOptions } from './spmm-t';
export { TransposePlan, transposePlan } from './transpose-plan';
export type { TransposePlanOptions } from './transpose-plan';
export { sddmm, sddmmAsync } from './sddmm';
export type { SddmmOptions } from './sddmm';
export { gemm, gemmAsync } from './gemm';
export type { GemmOptions } from './gemm';
