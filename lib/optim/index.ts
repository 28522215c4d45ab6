/** The optimizer layer: the Optimizer interface and its implementations. */
export type {
  AdamHyper, AnyParam, BackendParam, BackendTensor, Optimizer, OptimizerBackend, Param, SgdHyper, StateEntries,
} from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam } from './adam';
export type { AdamOptions } from './adam';
