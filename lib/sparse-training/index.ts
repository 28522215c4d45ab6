/** Training at a fixed or shrinking sparsity: mask updaters (SET, RigL), gradual pruning, checkpoints. */
export { MaskUpdater } from './updater';
export type { MaskUpdateOptions, MaskUpdateResult } from './updater';
export { SET } from './set';
export { RigL } from './rigl';
export { pruneLayer } from './gradual';
export { loadTraining, saveTraining } from './checkpoint';
export type { TrainingState } from './checkpoint';
