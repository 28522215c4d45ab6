/** The pruning layer: selection methods, schedules, layer budgets and the report. */
export {
  blockPrune, globalMagnitudePrune, keptCount, magnitudePrune, nmPrune, randomPrune, scorePrune, taylorPrune,
} from './methods';
export type { BlockPruneOptions, GlobalPruneOptions, NMPruneOptions, PruneOptions, PruneScope, RandomPruneOptions } from './methods';
export { constantSparsity, iterativeSparsities, oneShot, polynomialDecay } from './schedules';
export type { ConstantSparsityOptions, PolynomialDecayOptions, Schedule } from './schedules';
export { erkDensities, uniformDensities } from './budgets';
export { pruneReport } from './report';
export type { PruneReport } from './report';
