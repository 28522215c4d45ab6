// CSR SpMM, AVX-512. For each row of A, the columns of C are walked in tiles of 8, 4, 2 and 1 ZMM registers and a
// masked remainder; each tile is accumulated in registers over the row's stored entries (broadcast A[i,k], FMA with
// B[k, tile]) and written once with alpha/beta. Eight independent accumulators cover the FMA latency; the row's
// indices and values are re-read per tile from L1.
#include <immintrin.h>

#include "../kernels.h"

namespace sk {
namespace {

template <int NV, bool kMasked>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int32_t j, float* c, __mmask16 mask) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  __m512 acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t k = begin; k < end; ++k) {
    const uint32_t col = static_cast<uint32_t>(a.indices[k]);
    if (col >= cols) continue;  // counted once per row by the caller
    const __m512 v = _mm512_set1_ps(a.values[k]);
    const float* b = p.b + static_cast<int64_t>(col) * p.ldb + j;
    for (int t = 0; t < NV; ++t) {
      const __m512 bv = kMasked ? _mm512_maskz_loadu_ps(mask, b + 16 * t) : _mm512_loadu_ps(b + 16 * t);
      acc[t] = _mm512_fmadd_ps(v, bv, acc[t]);
    }
  }
  const __m512 alpha = _mm512_set1_ps(p.alpha);
  const __m512 beta = _mm512_set1_ps(p.beta);
  for (int t = 0; t < NV; ++t) {
    float* out = c + j + 16 * t;
    __m512 r = _mm512_mul_ps(alpha, acc[t]);
    if (p.beta != 0.0f) {
      const __m512 old = kMasked ? _mm512_maskz_loadu_ps(mask, out) : _mm512_loadu_ps(out);
      r = _mm512_fmadd_ps(beta, old, r);
    }
    if (kMasked) _mm512_mask_storeu_ps(out, mask, r); else _mm512_storeu_ps(out, r);
  }
}

}  // namespace

int64_t sk_f32_spmm_csr__avx512(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const int32_t n = p.n;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++bad;
      begin = end = 0;  // the row is treated as empty: C[i,:] = beta * C[i,:]
    } else {
      for (int64_t k = begin; k < end; ++k) bad += static_cast<uint32_t>(a.indices[k]) >= static_cast<uint32_t>(a.cols);
    }
    int32_t j = 0;
    for (; j + 128 <= n; j += 128) tile<8, false>(p, begin, end, j, c, 0);
    if (j + 64 <= n) { tile<4, false>(p, begin, end, j, c, 0); j += 64; }
    if (j + 32 <= n) { tile<2, false>(p, begin, end, j, c, 0); j += 32; }
    if (j + 16 <= n) { tile<1, false>(p, begin, end, j, c, 0); j += 16; }
    if (j < n) tile<1, true>(p, begin, end, j, c, static_cast<__mmask16>((1u << (n - j)) - 1));
  }
  return bad;
}

}  // namespace sk
