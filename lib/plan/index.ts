/** The planner: measure the ways to compute W B on this host and keep the fastest (plan), with its cache. */
export { choose, LinearOperator, plan } from './plan';
export type { ApplyOptions as PlanApplyOptions, PlanExplanation, PlanOptions } from './plan';
export { clearPlans, exportPlans, importPlans } from './wisdom';
export type { CandidateResult } from './wisdom';
export { widthClass } from './structure';
