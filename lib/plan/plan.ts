/**
 * plan(W, { width }): measure, on this host, which way of computing W B is fastest for B of about that width, and
 * return an operator that computes it that way (oneMKL's inspector-executor, FFTW's plans). The choice is made
 * among the dense GEMM, CSR, BSR and N:M forms of W at a few thread counts: estimated from structure first, the
 * plausible ones timed on the real W within budgetMs. Choices are cached (./wisdom.ts), so a second plan() of a
 * similar weight is a lookup.
 */
import { Rng } from '../core/random';
import { info } from '../core/runtime';
import * as v from '../core/validate';
import { CSRMatrix, DenseMatrix, denseMatrix, formatOf, SparseFormat } from '../formats';
import { transposeOf } from '../formats/dense';
import { gemm, KernelOptions, spmmT, TransposePlan, transposePlan, transposableB } from '../kernels';
import { applicableForms, buildForm, estimateMs, Form, formBytes, isFormName } from './candidates';
import { analyse, signature, Structure, widthClass } from './structure';
import { CandidateResult, lookup, planKey, remember, Wisdom } from './wisdom';

export interface PlanOptions {
  /** Columns of the B the operator will mostly see (the batch); its width class keys the cache. */
  width: number;
  /** Thread counts to consider (default: 1 and info().threads; one is chosen per plan). */
  threads?: number[];
  /** Forms to consider (default: all that apply): 'dense', 'csr', 'bsr:RxC', 'nm:N:M'. */
  candidates?: string[];
  /**
   * Time for repeated runs of the leading candidates, ms (default 15). Every candidate the structure estimate leaves
   * in is timed once whatever the budget; conversions come on top.
   */
  budgetMs?: number;
  /** Use and fill the plan cache (default true); false always measures. */
  cache?: boolean;
}

export interface ApplyOptions {
  /** C to write (and read when beta != 0), rows x B.cols (rows x B.rows with transB). */
  out?: DenseMatrix;
  alpha?: number;
  beta?: number;
  /**
   * B is given transposed (width x W.cols, e.g. a batch-major batch): C = alpha W Bᵀ + beta C. The sparse forms
   * transpose it inside their packing (spmm's transB); the dense form transposes it into a new matrix first.
   */
  transB?: boolean;
}

export interface PlanExplanation {
  /** The chosen form and thread count. */
  format: string;
  threads: number;
  /** Whether the choice came from the cache (nothing was timed). */
  fromCache: boolean;
  key: string;
  /** Every candidate: estimate, measured time, GFLOP/s of useful work (2 nnz width / time), memory. */
  candidates: (CandidateResult & { gflops: number | null; chosen: boolean })[];
  /** Sparsity above which CSR beats the dense GEMM for this shape and width on this machine (from the timings), or null. */
  breakEvenSparsity: number | null;
  /** The table, as printed. */
  text: string;
}

const PLAN_OPTIONS = ['width', 'threads', 'candidates', 'budgetMs', 'cache'] as const;

/** Random values in [-0.5, 0.5) (the timing operand B). */
function randomFill(m: DenseMatrix): DenseMatrix {
  const rng = new Rng(1);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.next() - 0.5;
  return m;
}

/** W as CSR (the hub every form converts from), and W itself when it is dense. */
function asCsr(W: SparseFormat | DenseMatrix): { csr: CSRMatrix; dense: DenseMatrix | null } {
  if (formatOf(W)) return { csr: (W as SparseFormat).toCSR() as CSRMatrix, dense: null };
  const dense = v.dense('W', W) as DenseMatrix;
  return { csr: CSRMatrix.fromDense(dense), dense };
}

/**
 * An operator computing C = alpha W B + beta C one fixed way. W's structure is fixed when planned: for a form other
 * than W's own (a BSR, N:M or dense copy), W's values are also copied then; refresh() copies them again after W's
 * values changed (a CSR form computes with W itself and needs none).
 */
export class LinearOperator {
  /** The chosen form: 'dense', 'csr', 'bsr:RxC' or 'nm:N:M'. */
  readonly format: string;
  /** Threads each product is split over. */
  readonly threads: number;
  readonly rows: number;
  readonly cols: number;
  private form: Form;
  private transposed: TransposePlan | null = null;

  /** @internal */
  constructor(
    private readonly source: { W: SparseFormat | DenseMatrix; csr: CSRMatrix; dense: DenseMatrix | null },
    chosen: Wisdom,
    private readonly explanation: Omit<PlanExplanation, 'text'>,
  ) {
    this.format = chosen.format;
    this.threads = chosen.threads;
    this.rows = source.csr.rows;
    this.cols = source.csr.cols;
    this.form = buildForm(chosen.format, source.csr, source.dense);
  }

  /** The checked call: the B the form multiplies (transposed here for the dense form) and its options. */
  private call(B: DenseMatrix, opts: ApplyOptions | undefined): [DenseMatrix, KernelOptions<DenseMatrix> & { transB?: boolean }] {
    v.dense('B', B);
    const o = v.options<ApplyOptions>('options', opts, ['out', 'alpha', 'beta', 'transB']);
    const { transB } = transposableB(o, B, this.cols, "the planned W's cols");
    const { transB: _, ...rest } = o;
    if (transB && this.format === 'dense') return [transposeOf(B), { ...rest, threads: this.threads }];
    return [B, { ...rest, threads: this.threads, ...(transB ? { transB } : {}) }];
  }

  /**
   * C = alpha W B + beta C the planned way. B is W.cols x any width (the plan was timed at its width class), or
   * that width x W.cols with transB.
   */
  apply(B: DenseMatrix, opts?: ApplyOptions): DenseMatrix {
    return this.form.apply(...this.call(B, opts));
  }

  /** apply() on the thread pool; the event loop stays free. */
  applyAsync(B: DenseMatrix, opts?: ApplyOptions): Promise<DenseMatrix> {
    return this.form.applyAsync(...this.call(B, opts));
  }

  /** C = alpha Wᵀ B + beta C (B is W.rows x n): a dense W through gemm, any other through CSR's transposed product. */
  applyT(B: DenseMatrix, opts?: ApplyOptions): DenseMatrix {
    v.dense('B', B);
    if (B.rows !== this.rows) v.fail('ERR_SHAPE', `Expected B.rows to equal the planned W's rows (${this.rows}) but received ${B.rows}`);
    const o = { ...v.options<ApplyOptions>('options', opts, ['out', 'alpha', 'beta']), threads: this.threads };
    if (this.format === 'dense' && this.source.dense) return gemm(this.source.dense, B, { ...o, transA: true });
    this.transposed ??= transposePlan(this.source.csr);
    return spmmT(this.source.csr, B, { ...o, plan: this.transposed });
  }

  /** Whether this operator was planned for W (the same object and, for CSR, the same structure arrays). */
  matches(W: SparseFormat | DenseMatrix): boolean {
    return W === this.source.W;
  }

  /** Copies W's current values into the planned form again (for a form other than W's own). */
  refresh(): void {
    const { csr, dense } = asCsr(this.source.W);
    if (csr.nnz !== this.source.csr.nnz) v.fail('ERR_ARGUMENT', 'refresh(): W\'s structure changed since it was planned; plan it again');
    this.source.csr = csr;
    this.form = buildForm(this.format, csr, dense);
  }

  /** The candidates, their timings and the choice; printed as a table unless { print: false }. */
  explain(opts?: { print?: boolean }): PlanExplanation {
    const o = v.options<{ print?: boolean }>('options', opts, ['print']);
    const e = this.explanation;
    const header = ['candidate', 'threads', 'estimate ms', 'measured ms', 'runs', 'GFLOP/s', 'memory KiB', ''];
    const lines = e.candidates.map((c) => [
      c.format, String(c.threads), c.estimateMs.toFixed(3), c.ms === null ? `(${c.skipped})` : c.ms.toFixed(3), String(c.runs),
      c.gflops === null ? '-' : c.gflops.toFixed(1), (c.memoryBytes / 1024).toFixed(0), c.chosen ? '<- chosen' : '',
    ]);
    const w = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padStart(w[i])).join(' | ') + ' |';
    const text = [
      `plan for a ${this.rows}x${this.cols} weight (${e.key})${e.fromCache ? ', from the plan cache' : ''}:`,
      row(header), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...lines.map(row),
      `break-even sparsity against dense for this shape and width: ${e.breakEvenSparsity === null ? 'not measured' : `${(e.breakEvenSparsity * 100).toFixed(0)}%`}`,
    ].join('\n');
    if (o.print !== false) console.log(text);
    return { ...e, text };
  }
}

function checkOptions(opts: PlanOptions): Required<Omit<PlanOptions, 'candidates'>> & { candidates?: string[] } {
  const o = v.options<PlanOptions>('options', opts, PLAN_OPTIONS);
  const width = v.integer('options.width', o.width, 1, 1 << 20);
  const all = info().threads;
  const threads = o.threads === undefined ? [...new Set([1, all])] : o.threads;
  if (!Array.isArray(threads) || threads.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of thread counts for options.threads but received ${v.describe(threads)}`);
  threads.forEach((t, i) => v.integer(`options.threads[${i}]`, t, 1, 256));
  const budgetMs = o.budgetMs === undefined ? 15 : v.finite('options.budgetMs', o.budgetMs);
  if (!(budgetMs > 0)) v.fail('ERR_RANGE', `Expected a positive number for options.budgetMs but received ${budgetMs}`);
  let candidates: string[] | undefined;
  if (o.candidates !== undefined) {
    if (!Array.isArray(o.candidates) || o.candidates.length === 0) v.fail('ERR_ARGUMENT', `Expected a non-empty array of forms for options.candidates but received ${v.describe(o.candidates)}`);
    candidates = o.candidates.map((c, i) => {
      if (!isFormName(c)) {
        return v.fail('ERR_UNSUPPORTED', `Expected 'dense', 'csr', 'bsr:RxC' or 'nm:N:M' for options.candidates[${i}] but received ${v.describe(c)}`);
      }
      return c;
    });
  }
  return { width, threads: [...new Set(threads)].sort((a, b) => a - b), budgetMs, cache: o.cache === undefined ? true : v.boolean('options.cache', o.cache), candidates };
}

/** Estimated time under which a product is small enough for the thread count to matter, and so to be timed. */
const SMALL_MS = 0.5;

/** How long measure() runs a candidate untimed before timing it on more threads than the run before (see there). */
const WAKE_MS = 0.25;

/**
 * Times the candidates worth timing: one run each (after one warm-up run), then more runs of the leaders, and of
 * any candidate run only once, while the budget lasts. Left out: estimates over 2x the best, and the fewer-threads
 * variants of work large enough that splitting it always pays (estimate over SMALL_MS). Exported for tests.
 * @internal
 */
export function measure(s: Structure, forms: string[], threads: number[], width: number, budgetMs: number, build: (name: string) => Form): CandidateResult[] {
  const most = Math.max(...threads);
  const results: CandidateResult[] = [];
  for (const format of forms) {
    for (const t of threads) results.push({ format, threads: t, estimateMs: estimateMs(format, s, width, t), ms: null, runs: 0, skipped: null, memoryBytes: formBytes(format, s) });
  }
  results.sort((a, b) => a.estimateMs - b.estimateMs);
  const best = results[0].estimateMs;
  for (const r of results) {
    const large = estimateMs(r.format, s, width, most) > SMALL_MS;
    if (r !== results[0] && (r.estimateMs > 2 * best || (large && r.threads !== most))) r.skipped = 'estimate';
  }
  const B = randomFill(denseMatrix(s.cols, width)), C = denseMatrix(s.rows, width);
  const plausible = results.filter((r) => r.skipped === null);
  // Every form is built before the clock starts (conversions come on top of the budget, as PlanOptions says): built
  // lazily inside it, the conversions of a 300x784 weight to BSR, N:M and dense used up the 15 ms, so each candidate
  // ran once, cold, and that one run decided.
  const built = new Map<string, Form>();
  for (const r of plausible) if (!built.has(r.format)) built.set(r.format, build(r.format));
  // A run on more threads than the run before it finds the pool's other threads asleep (they spin only briefly
  // after a call) and pays for waking them: a 2-thread BSR product right after a 1-thread one took 0.20 ms, back to
  // back 0.062-0.080 (2048x2048 band, width 32, AMD EPYC VM), so in turn with its 1-thread form it was never timed
  // warm and lost to CSR. Such a run is preceded by untimed ones of the same candidate for at least WAKE_MS (one
  // run of a small product ends before a sleeping thread is up), as an operator applied call after call finds its
  // threads awake; each round takes the candidates by thread count, most first, so that happens once a round.
  let previousThreads = Infinity;
  const run = (r: CandidateResult): void => {
    const form = built.get(r.format) as Form;
    if (r.threads > previousThreads) {
      const awake = performance.now() + WAKE_MS;
      do form.apply(B, { out: C, threads: r.threads });
      while (performance.now() < awake);
    }
    previousThreads = r.threads;
    const t0 = performance.now();
    form.apply(B, { out: C, threads: r.threads });
    const ms = performance.now() - t0;
    r.ms = r.ms === null ? ms : Math.min(r.ms, ms);
    r.runs++;
  };
  const byThreads = (list: CandidateResult[]) => [...list].sort((a, b) => b.threads - a.threads); // stable: estimate order within
  const deadline = performance.now() + budgetMs;
  run(plausible[0]); // warms the caches and the pool; its time is replaced by the next runs'
  plausible[0].ms = null;
  plausible[0].runs = 0;
  for (const r of byThreads(plausible)) run(r); // every plausible candidate is timed once, whatever the budget
  // More runs, round robin over the leaders (within 1.5x of the best so far) and over every candidate timed only once,
  // while the budget lasts: a minimum of several runs is what separates close candidates. A form's first run is
  // often its slowest (a 300x784 2:4 weight at width 128, the forms in turn: CSR 1.77 ms, then 0.79-0.93; BSR 1.39,
  // then 1.16-1.35), so one run alone, which can be over 1.5x the leader's, does not rule a candidate out.
  for (let round = 0; round < 30 && performance.now() < deadline; round++) {
    const timed = byThreads(plausible.filter((r) => r.ms !== null));
    const fastest = Math.min(...timed.map((r) => r.ms as number));
    for (const r of timed) if (((r.ms as number) <= 1.5 * fastest || r.runs === 1) && performance.now() < deadline) run(r);
  }
  return results;
}

/** What plan() decides, before any operator is built: W as CSR (and dense), its structure, the cache key and choice. */
interface Decision {
  W: SparseFormat | DenseMatrix;
  csr: CSRMatrix;
  dense: DenseMatrix | null;
  s: Structure;
  key: string;
  wisdom: Wisdom;
  fromCache: boolean;
  width: number;
}

function decide(W: SparseFormat | DenseMatrix, opts: PlanOptions): Decision {
  const o = checkOptions(opts);
  const { csr, dense } = asCsr(W);
  const s = analyse(csr);
  const fits = applicableForms(s);
  const forms = (o.candidates ?? fits).filter((f) => fits.includes(f));
  if (forms.length === 0) v.fail('ERR_ARGUMENT', `None of options.candidates (${(o.candidates ?? []).join(', ')}) applies to this W (it fits: ${fits.join(', ')})`);
  const key = planKey({ threads: Math.max(...o.threads), rows: s.rows, cols: s.cols, widthClass: widthClass(o.width), signature: `${signature(s)}|${forms.join(',')}|${o.threads.join(',')}` });
  const cached = o.cache ? lookup(key) : undefined;
  if (cached) return { W, csr, dense, s, key, wisdom: cached, fromCache: true, width: o.width };
  const results = measure(s, forms, o.threads, o.width, o.budgetMs, (name) => buildForm(name, csr, dense));
  const best = results.filter((r) => r.ms !== null).reduce((a, b) => ((b.ms as number) < (a.ms as number) ? b : a));
  const wisdom = { format: best.format, threads: best.threads, candidates: results };
  if (o.cache) remember(key, wisdom);
  return { W, csr, dense, s, key, wisdom, fromCache: false, width: o.width };
}

/**
 * The form and thread count plan() would choose, without building the operator (no copy of W): for layers that
 * keep their own forms of a weight whose values change every step (lib/nn/layer-format.ts).
 */
export function choose(W: SparseFormat | DenseMatrix, opts: PlanOptions): { format: string; threads: number } {
  const { wisdom } = decide(W, opts);
  return { format: wisdom.format, threads: wisdom.threads };
}

/**
 * Plans W B for B of about `options.width` columns: returns an operator that computes it the fastest way measured
 * on this machine. W: a DenseMatrix or any sparse format.
 */
export function plan(W: SparseFormat | DenseMatrix, opts: PlanOptions): LinearOperator {
  const { csr, dense, s, key, wisdom: w, fromCache, width } = decide(W, opts);
  const flops = 2 * s.nnz * width;
  const candidates = w.candidates.map((c) => ({ ...c, gflops: c.ms === null ? null : flops / c.ms / 1e6, chosen: c.format === w.format && c.threads === w.threads }));
  const fastest = (f: string) => Math.min(...w.candidates.filter((c) => c.format === f && c.ms !== null).map((c) => c.ms as number));
  const denseMs = fastest('dense'), csrMs = fastest('csr');
  // CSR time grows with the stored entries: it meets dense at density d* = density * dense / csr.
  const breakEvenSparsity = Number.isFinite(denseMs) && Number.isFinite(csrMs) && s.density > 0 ? Math.min(1, Math.max(0, 1 - (s.density * denseMs) / csrMs)) : null;
  return new LinearOperator({ W, csr, dense }, w, { format: w.format, threads: w.threads, fromCache, key, candidates, breakEvenSparsity });
}
