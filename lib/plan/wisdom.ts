/**
 * The planner's memory, like FFTW's wisdom: the choice made for each (library version, CPU, ISA, threads, shape,
 * width class, structure signature), with the timings behind it. In memory per process; exportPlans() / importPlans()
 * carry it across processes, refusing wisdom from another CPU or library version.
 */
import * as os from 'node:os';
import { info } from '../core/runtime';
import * as v from '../core/validate';
import { isFormName } from './candidates';

/** One timed (or estimated) candidate. */
export interface CandidateResult {
  /** 'dense', 'csr', 'bsr:4x4', 'nm:2:4', ... */
  format: string;
  threads: number;
  /** Structure-only estimate (ms). */
  estimateMs: number;
  /** Best measured time (ms), or null when it was not timed. */
  ms: number | null;
  /** Timed runs (ms is the fastest of them; 0 when it was not timed). */
  runs: number;
  /** Why it was not timed: 'estimate' (its structure-only estimate put it far behind). */
  skipped: 'estimate' | null;
  /** Bytes of W in this form. */
  memoryBytes: number;
}

export interface Wisdom {
  format: string;
  threads: number;
  candidates: CandidateResult[];
}

const wisdom = new Map<string, Wisdom>();

/** The machine a plan is valid on: CPU model, ISA in use, and the library version. */
function machine(): { sparsekit: string; cpu: string; isa: string } {
  const i = info();
  return { sparsekit: i.version, cpu: os.cpus()[0]?.model?.trim() ?? 'unknown', isa: i.isa };
}

/** The cache key of a problem. */
export function planKey(parts: { threads: number; rows: number; cols: number; widthClass: number; signature: string }): string {
  return `${info().isa}|t${parts.threads}|${parts.rows}x${parts.cols}|w${parts.widthClass}|${parts.signature}`;
}

export function lookup(key: string): Wisdom | undefined {
  return wisdom.get(key);
}

export function remember(key: string, w: Wisdom): void {
  wisdom.set(key, w);
}

/** Forgets every plan of this process. */
export function clearPlans(): void {
  wisdom.clear();
}

const FILE_KIND = 'sparsekit-plans';

const nonNegative = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** Whether an imported candidate has every field explain() reads, each of its type. */
function isCandidate(c: unknown): c is CandidateResult {
  const r = c as Partial<Record<keyof CandidateResult, unknown>>;
  return r !== null && typeof r === 'object' && isFormName(r.format) && Number.isInteger(r.threads) && (r.threads as number) >= 1 &&
    nonNegative(r.estimateMs) && (r.ms === null || nonNegative(r.ms)) && Number.isInteger(r.runs) && (r.runs as number) >= 0 &&
    (r.skipped === null || r.skipped === 'estimate') && nonNegative(r.memoryBytes);
}

/** Every plan of this process as JSON, with the machine it was measured on (for importPlans elsewhere). */
export function exportPlans(): string {
  return JSON.stringify({ kind: FILE_KIND, ...machine(), plans: [...wisdom.entries()].map(([key, w]) => ({ key, ...w })) });
}

/**
 * Adds plans exported by exportPlans(). A file from another CPU model, ISA or library version is refused
 * (ERR_UNSUPPORTED: its timings say nothing about this machine); a malformed one is ERR_IO. Returns how many
 * plans were added.
 */
export function importPlans(json: string): number {
  if (typeof json !== 'string') v.fail('ERR_ARGUMENT', `Expected the string exportPlans() returned for json but received ${v.describe(json)}`);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    return v.fail('ERR_IO', `importPlans: not JSON (${(e as Error).message})`);
  }
  const d = doc as { kind?: unknown; sparsekit?: unknown; cpu?: unknown; isa?: unknown; plans?: unknown };
  if (d === null || typeof d !== 'object' || d.kind !== FILE_KIND || !Array.isArray(d.plans)) {
    v.fail('ERR_IO', 'importPlans: not a sparsekit plans file (exportPlans() writes one)');
  }
  const here = machine();
  for (const field of ['sparsekit', 'cpu', 'isa'] as const) {
    if (d[field] !== here[field]) {
      v.fail('ERR_UNSUPPORTED', `importPlans: these plans were measured with ${field} ${JSON.stringify(d[field])}, this process has ${JSON.stringify(here[field])}; plan again here`);
    }
  }
  const checked: [string, Wisdom][] = (d.plans as unknown[]).map((p, i) => {
    const q = p as Partial<Wisdom> & { key?: unknown };
    if (q === null || typeof q !== 'object' || typeof q.key !== 'string' || typeof q.format !== 'string' || !Number.isInteger(q.threads) ||
      !Array.isArray(q.candidates)) {
      return v.fail('ERR_IO', `importPlans: plans[${i}] is malformed`);
    }
    if (!isFormName(q.format) || (q.threads as number) < 1 || (q.threads as number) > 256) {
      return v.fail('ERR_IO', `importPlans: plans[${i}] chooses '${q.format}' on ${String(q.threads)} threads, which is no plan`);
    }
    (q.candidates as unknown[]).forEach((c, j) => {
      if (!isCandidate(c)) v.fail('ERR_IO', `importPlans: plans[${i}].candidates[${j}] is malformed (explain() shows these): ${v.describe(c)}`);
    });
    return [q.key, { format: q.format, threads: q.threads as number, candidates: q.candidates as CandidateResult[] }];
  });
  for (const [key, w] of checked) wisdom.set(key, w);
  return checked.length;
}
