/**
 * The ways to compute W B that the planner chooses among: the dense GEMM, CSR, BSR at the block shapes whose fill
 * is acceptable, N:M where the pattern is N:M, each at a thread count. A first estimate from structure alone
 * (a rough roofline per format) leaves out the hopeless ones; the survivors are timed on the real operands.
 */
import { BSRMatrix, CSRMatrix, DenseMatrix, NMMatrix } from '../formats';
import { gemm, gemmAsync, SparseOperand, spmm, spmmAsync, SpmmOptions } from '../kernels';
import { MIN_BLOCK_FILL, Structure } from './structure';

/** A form of W the kernels take, and its product with a dense B. */
export interface Form {
  /** 'dense', 'csr', 'bsr:4x4', 'nm:2:4', ... */
  name: string;
  /** Bytes its arrays take. */
  memoryBytes: number;
  /** transB is only ever set for the sparse forms (LinearOperator transposes B itself for the dense one). */
  apply(B: DenseMatrix, opts: SpmmOptions): DenseMatrix;
  applyAsync(B: DenseMatrix, opts: SpmmOptions): Promise<DenseMatrix>;
}

function sparseForm(name: string, A: SparseOperand, memoryBytes: number): Form {
  return { name, memoryBytes, apply: (B, o) => spmm(A, B, o), applyAsync: (B, o) => spmmAsync(A, B, o) };
}

/** Whether a string names a form: 'dense', 'csr', 'bsr:RxC' or 'nm:N:M'. */
export function isFormName(name: unknown): name is string {
  return typeof name === 'string' && /^(dense|csr|bsr:\d{1,2}x\d{1,2}|nm:\d{1,3}:\d{1,3})$/.test(name);
}

/** Builds the form `name` of W (given as CSR, and as dense when the caller had it dense). */
export function buildForm(name: string, csr: CSRMatrix, dense: DenseMatrix | null): Form {
  if (name === 'dense') {
    const D = dense ?? csr.toDense();
    return { name, memoryBytes: D.data.byteLength, apply: (B, o) => gemm(D, B, o), applyAsync: (B, o) => gemmAsync(D, B, o) };
  }
  if (name === 'csr') return sparseForm(name, csr, csr.indptr.byteLength + csr.indices.byteLength + csr.values.byteLength);
  const [kind, spec] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)];
  if (kind === 'bsr') {
    const [r, c] = spec.split('x').map(Number);
    const A = BSRMatrix.fromCSR(csr, { block: [r, c] });
    return sparseForm(name, A, A.indptr.byteLength + A.indices.byteLength + A.values.byteLength);
  }
  const [n, m] = spec.split(':').map(Number);
  const A = NMMatrix.fromCSR(csr, { n, m });
  return sparseForm(name, A, A.values.byteLength + A.positions.byteLength);
}

/**
 * BSR block shapes whose fill is at least this fraction of the best shape's are candidates too: fill does not rank
 * shapes that are about equally full. A 2048x2048 band of 102 columns a row (95% sparse) fills 4x4, 8x1 and 16x1
 * blocks to 0.9 alike, and at width 32 (2 threads, AMD EPYC Zen 5 class) 8x1 took 45 us, 4x4 78, 16x1 65 and CSR
 * 115; with only the first of the tied shapes (4x4) timed, the planner could not find 8x1.
 */
const BLOCK_FILL_TIE = 0.9;

/**
 * Every form that applies to this structure: dense, CSR, the block shapes whose fill is acceptable and within
 * BLOCK_FILL_TIE of the best-filled one (best first), and the densest-packed N:M pattern the rows fit (fewest slots
 * per column).
 */
export function applicableForms(s: Structure): string[] {
  const names = ['dense', 'csr'];
  const blocks = Object.entries(s.blocks).filter(([, b]) => b.fill >= MIN_BLOCK_FILL).sort((x, y) => y[1].fill - x[1].fill);
  for (const [shape, b] of blocks) if (b.fill >= BLOCK_FILL_TIE * blocks[0][1].fill) names.push(`bsr:${shape}`);
  const nm = [...s.nm].sort((x, y) => ratio(x) - ratio(y));
  if (nm.length) names.push(`nm:${nm[0]}`);
  return names;
}

const ratio = (p: string) => {
  const [n, m] = p.split(':').map(Number);
  return n / m;
};

/** Values W stores in a form (padding and explicit zeros included). */
function storedValues(name: string, s: Structure): number {
  const kind = name.split(':')[0];
  if (kind === 'dense') return s.rows * s.cols;
  if (kind === 'csr') return s.nnz;
  if (kind === 'bsr') {
    const [r, c] = name.slice(4).split('x').map(Number);
    return s.blocks[name.slice(4)].blocks * r * c;
  }
  const [n, m] = name.slice(3).split(':').map(Number);
  return s.rows * Math.ceil(s.cols / m) * n;
}

/** Bytes of W in a form: values and indices. */
export function formBytes(name: string, s: Structure): number {
  const kind = name.split(':')[0], stored = storedValues(name, s);
  if (kind === 'dense') return stored * 4;
  if (kind === 'csr') return (s.rows + 1) * 4 + stored * 8;
  if (kind === 'bsr') {
    const [r, c] = name.slice(4).split('x').map(Number);
    return (Math.ceil(s.rows / r) + 1) * 4 + (stored / (r * c)) * 4 + stored * 4;
  }
  return stored * 5; // a float and a uint8 position per slot
}

// Rough sustained rates per thread of this library's kernels (GFLOP/s of their own stored entries) at a wide B,
// from bench/ on an AVX2 core, and how they fall at narrow widths (the GEMM's register tiles are 16 to 32 columns wide;
// below 8 columns it runs dot products, ~17-24 GFLOP/s a thread at widths 1-4 on the AMD EPYC host, bound by reading
// A; a sparse product at width 1 is an SpMV, bound by reading the matrix): only used to rank and prune before timing.
const RATE = { dense: 60, csr: 22, bsr: 40, nm: 30 };
const narrow = (kind: keyof typeof RATE, width: number) =>
  kind === 'dense' ? (width < 8 ? 0.25 + width / 32 : Math.min(1, width / 32)) : Math.min(1, (width + 4) / 16);

/** Estimated milliseconds of W B for a form at `threads` threads and width `width`. */
export function estimateMs(name: string, s: Structure, width: number, threads: number): number {
  const kind = name.split(':')[0] as keyof typeof RATE;
  const stored = storedValues(name, s) + (kind === 'csr' ? s.rows : 0); // a CSR row costs about one entry
  const parallel = Math.min(threads, Math.max(1, Math.floor((stored * width) / 2e5))); // little work does not split well
  return (2 * stored * Math.max(width, 1)) / (RATE[kind] * narrow(kind, width) * 1e6 * parallel) + 0.002; // + a call's fixed cost
}
