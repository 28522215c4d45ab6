// Parameter blocks shared by the kernels and the operators that call them. Plain data, no ownership.
//
// Safety contract (a deliberate departure from "kernels trust their inputs", see README "Architecture"): CSR
// kernels never read outside the arrays described here even when indptr/indices are corrupt, because JS can mutate
// a TypedArray at any time, including while an async call runs. A row whose bounds are not
// 0 <= indptr[i] <= indptr[i+1] <= nnz is skipped (its output is set as if the row were empty) and a column index
// outside [0, cols) is skipped; each kernel returns how many such anomalies it met, and the operator turns a
// non-zero count into ERR_FORMAT. The checks are one compare per row and one per stored entry (a vector compare in
// the SIMD paths), which costs nothing measurable next to the loads they guard.
#pragma once
#include <cstdint>

// A function the compiler must not inline: its code is then the same whatever calls it. The CSR SpMM tile
// (f32-spmm-csr-impl.h), inlined into its caller, came out of GCC 12 with the tile's loads of B rewritten as separate
// induction variables, half of them spilled to the stack, or with its index clamp as a branch, depending on the
// caller: 1.1-1.3x slower, and which variant lost changed with unrelated edits. The cached path of the transposed
// product through a plan (ops.cc), inlined, slowed the gathering path beside it 1.10x.
#if defined(__GNUC__)
#define SK_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define SK_NOINLINE __declspec(noinline)
#else
#define SK_NOINLINE
#endif

namespace sk {

struct CsrF32 {
  int32_t rows;
  int32_t cols;
  int64_t nnz;  // entries readable in indices and values
  const int32_t* indptr;  // rows + 1 entries
  const int32_t* indices;
  const float* values;
};

// y[i] = alpha * (A x)[i] + beta * y[i]; with beta == 0, y is write-only (NaN in y does not propagate).
struct SpmvParams {
  CsrF32 a;
  const float* x;  // a.cols entries
  float* y;        // a.rows entries
  float alpha;
  float beta;
};

// The CSR SpMM kernels prefetch the next rows of B in register tiles at least this wide (bytes); the operator does
// not plan L1 blocking for products whose tiles do (f32-spmm-csr-impl.h kPrefetch; core/pack.h plan_block_rows).
constexpr int kPrefetchTileBytes = 192;

// The most rows of A a blocked CSR pass walks per block of B (SpmmParams::block_chunk; the kernel's cursors).
constexpr int32_t kMaxBlockChunk = 256;

// C = alpha * A B + beta * C; B is a.cols x n, C is a.rows x n, both row-major with leading dimensions ldb, ldc.
// With beta == 0, C is write-only.
struct SpmmParams {
  CsrF32 a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int32_t n;
  float alpha;
  float beta;
  // When > 0, the SIMD kernels walk B in blocks of this many rows (L1 blocking, see f32-spmm-csr-impl.h and
  // plan_block_rows in core/pack.h); 0: one pass over B per column tile. The scalar kernel ignores it.
  int64_t block_rows = 0;
  // Rows of A per blocked pass (each block of B is walked by that many rows before the next block); 0: 32, a C tile
  // that stays in L1 beside an L1 block of B. At most kMaxBlockChunk. Only the CSR kernel reads it.
  int32_t block_chunk = 0;
  // B is given transposed: b holds n rows of a.cols floats, leading dimension ldb (C = alpha A Bᵀ + beta C). Only
  // the operator reads this: it packs such a B into row-major panels, and kernels never see it set.
  bool b_trans = false;
  // B is the operator's packed panel (core/pack.h): ldb a multiple of 16 floats, 64-byte aligned, every row zero from
  // column n to the end of its line (a further line before the next row, if any, is never read). A kernel may then
  // read whole vectors past n (simd::kPadded, vec.h).
  bool b_padded = false;
};

// SDDMM: out[k] = alpha * dot(X[i,:], Y[j,:]) + beta * out[k] for every stored (i, j = indices[k]) of the pattern
// `a` (its values are not read). X is a.rows x k (leading dimension ldx), Y is a.cols x k (ldy); out has a.nnz
// entries. With beta == 0, out is write-only.
struct SddmmParams {
  CsrF32 a;
  const float* x;
  int64_t ldx;
  const float* y;
  int64_t ldy;
  int32_t k;
  float* out;
  float alpha;
  float beta;
  // Both X and Y are the operator's packed copies (core/pack.h): leading dimensions multiples of 16 floats, 64-byte
  // aligned, every row zero from column k on. The kernels then read a row's last vector whole, in its place.
  bool padded = false;
};

// Transposed SpMM by scattering: C = alpha * Aᵀ B + beta * C with A a.rows x a.cols, B a.rows x n, C a.cols x n.
// A call owns the columns [col_begin, col_end) of C: threads split C by columns, so no two write one element.
// With `scratch` (the calling thread's, 64-byte aligned, `scratch_floats` long; native/core/ops.cc offers it when
// it fits the panel budget), the SIMD kernels accumulate a tile of C's columns there and copy it out once
// (f32-spmmt-csr-impl.h); the scalar reference ignores it.
struct SpmmtParams {
  CsrF32 a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int32_t n;
  float alpha;
  float beta;
  float* scratch = nullptr;
  int64_t scratch_floats = 0;
};

// Block sparse row matrix: CSR over r x c blocks (values block after block, each row-major).
struct BsrF32 {
  int32_t rows, cols, r, c;
  int64_t blocks;         // entries readable in indices; values has blocks * r * c
  const int32_t* indptr;  // ceil(rows / r) + 1
  const int32_t* indices;
  const float* values;
};

struct SpmmBsrParams {
  BsrF32 a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int32_t n;  // columns of B and C
  float alpha;
  float beta;
  bool b_trans = false;  // as SpmmParams::b_trans
  bool b_padded = false;  // as SpmmParams::b_padded
};

// N:M matrix: every row has ceil(cols / m) groups of n slots; a slot's column is group * m + position.
struct NmF32 {
  int32_t rows, cols, n, m;
  const float* values;       // rows * groups * n
  const uint8_t* positions;  // rows * groups * n
};

struct SpmmNmParams {
  NmF32 a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int32_t n;  // columns of B and C (not the N of N:M, which is a.n)
  float alpha;
  float beta;
  int64_t block_rows = 0;  // as SpmmParams::block_rows (rounded down to whole groups of M by the kernel)
  bool b_trans = false;    // as SpmmParams::b_trans
  bool b_padded = false;   // as SpmmParams::b_padded
};

// y = alpha A x + beta y, for `nx` vectors at once: x_c = x + c * ldx (a.cols floats each) and y_c[i] =
// y[i * ldy + c], c < nx. One vector (nx 1, ldy 1) is SpMV; several are an N:M SpMM with a narrow B given (or
// packed) transposed, each row's slots decoded once for all of them (ops.cc, spmm_nm_f32).
struct SpmvNmParams {
  NmF32 a;
  const float* x;
  float* y;
  float alpha;
  float beta;
  int32_t nx = 1;
  int64_t ldx = 0;
  int64_t ldy = 1;
};

// Optimizer updates over elements [begin, end) of a parameter (one value per stored weight):
// SGD (PyTorch semantics, dampening 0): g += weight_decay * w; buf = momentum * buf + g; step = nesterov ?
// g + momentum * buf : buf (or g without momentum, when buf is null); w -= lr * step.
struct SgdParams {
  float* w;
  const float* g;
  float* buf;  // momentum buffer, or null when momentum == 0
  float lr, momentum, weight_decay;
  bool nesterov;
};

// Adam / AdamW: decoupled ? w -= lr * weight_decay * w : g += weight_decay * w; m = b1 m + (1 - b1) g;
// v = b2 v + (1 - b2) g^2; w -= lr * (m * c1) / (sqrt(v * c2) + eps), with c1 = 1 / (1 - b1^t), c2 = 1 / (1 - b2^t).
struct AdamParams {
  float* w;
  const float* g;
  float* m;
  float* v;
  float lr, beta1, beta2, eps, weight_decay, c1, c2;
  bool decoupled;
};

// Dense GEMM: C = alpha * op(A) B + beta * C, all row-major; op(A) is A (m x k, lda) or, with trans_a, the
// transpose of a k x m matrix (lda its row length). B is k x n (ldb), C is m x n (ldc).
struct GemmParams {
  const float* a;
  int64_t lda;
  bool trans_a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int32_t m, n, k;
  float alpha;
  float beta;
  // A narrow B (n < kGemmNarrow, A not transposed) also packed transposed by the operator: bt[j * ldbt + t] is
  // B[t, j] for t < k, zero for k <= t < ldbt (a multiple of 16). The SIMD kernels then form each entry of C as a
  // dot product of A's row with a row of bt (contiguous loads of both); the scalar reference reads b. Null otherwise.
  const float* bt = nullptr;
  int64_t ldbt = 0;
  // B is packed by the operator: ldb a multiple of the ISA's vector width, b 64-byte aligned, zero from column n to
  // ldb (the SIMD kernels read whole vectors past n and mask only their last store of C).
  bool b_padded = false;
};

// Widths of B below which the dense GEMM runs as dot products over bt (GemmParams::bt).
constexpr int32_t kGemmNarrow = 8;

// A kernel computes rows [row_begin, row_end) (block rows for BSR, columns of C for SpMMT) and returns the number
// of anomalies it skipped (see above).
using SpmvCsrF32Fn = int64_t (*)(const SpmvParams& p, int32_t row_begin, int32_t row_end);
using SpmmCsrF32Fn = int64_t (*)(const SpmmParams& p, int32_t row_begin, int32_t row_end);
using SddmmCsrF32Fn = int64_t (*)(const SddmmParams& p, int32_t row_begin, int32_t row_end);
using SpmmtCsrF32Fn = int64_t (*)(const SpmmtParams& p, int32_t col_begin, int32_t col_end);
using SpmmBsrF32Fn = int64_t (*)(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end);
using SpmmNmF32Fn = int64_t (*)(const SpmmNmParams& p, int32_t row_begin, int32_t row_end);
using SpmvNmF32Fn = int64_t (*)(const SpmvNmParams& p, int32_t row_begin, int32_t row_end);
using SgdF32Fn = int64_t (*)(const SgdParams& p, int32_t begin, int32_t end);
using GemmF32Fn = int64_t (*)(const GemmParams& p, int32_t row_begin, int32_t row_end);
using AdamF32Fn = int64_t (*)(const AdamParams& p, int32_t begin, int32_t end);

// True when row i's bounds can be used; written once so every kernel checks the same way.
inline bool csr_row_ok(const CsrF32& a, int32_t i, int64_t* begin, int64_t* end) {
  const int64_t b = a.indptr[i];
  const int64_t e = a.indptr[i + 1];
  *begin = b;
  *end = e;
  return b >= 0 && b <= e && e <= a.nnz;
}

inline bool bsr_row_ok(const BsrF32& a, int32_t bi, int64_t* begin, int64_t* end) {
  const int64_t b = a.indptr[bi];
  const int64_t e = a.indptr[bi + 1];
  *begin = b;
  *end = e;
  return b >= 0 && b <= e && e <= a.blocks;
}

}  // namespace sk
