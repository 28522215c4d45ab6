// CSR SpMM, AVX2 + FMA. Same structure as the AVX-512 kernel: column tiles of 8, 4, 2 and 1 YMM registers and a
// masked remainder, each accumulated in registers over the row's stored entries and written once with alpha/beta.
#include <immintrin.h>

#include "../kernels.h"

namespace sk {
namespace {

template <int NV, bool kMasked>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int32_t j, float* c, __m256i mask) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  __m256 acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t k = begin; k < end; ++k) {
    const uint32_t col = static_cast<uint32_t>(a.indices[k]);
    if (col >= cols) continue;  // counted once per row by the caller
    const __m256 v = _mm256_set1_ps(a.values[k]);
    const float* b = p.b + static_cast<int64_t>(col) * p.ldb + j;
    for (int t = 0; t < NV; ++t) {
      const __m256 bv = kMasked ? _mm256_maskload_ps(b + 8 * t, mask) : _mm256_loadu_ps(b + 8 * t);
      acc[t] = _mm256_fmadd_ps(v, bv, acc[t]);
    }
  }
  const __m256 alpha = _mm256_set1_ps(p.alpha);
  const __m256 beta = _mm256_set1_ps(p.beta);
  for (int t = 0; t < NV; ++t) {
    float* out = c + j + 8 * t;
    __m256 r = _mm256_mul_ps(alpha, acc[t]);
    if (p.beta != 0.0f) {
      const __m256 old = kMasked ? _mm256_maskload_ps(out, mask) : _mm256_loadu_ps(out);
      r = _mm256_fmadd_ps(beta, old, r);
    }
    if (kMasked) _mm256_maskstore_ps(out, mask, r); else _mm256_storeu_ps(out, r);
  }
}

}  // namespace

int64_t sk_f32_spmm_csr__avx2(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const int32_t n = p.n;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i none = _mm256_setzero_si256();
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
    for (; j + 64 <= n; j += 64) tile<8, false>(p, begin, end, j, c, none);
    if (j + 32 <= n) { tile<4, false>(p, begin, end, j, c, none); j += 32; }
    if (j + 16 <= n) { tile<2, false>(p, begin, end, j, c, none); j += 16; }
    if (j + 8 <= n) { tile<1, false>(p, begin, end, j, c, none); j += 8; }
    if (j < n) tile<1, true>(p, begin, end, j, c, _mm256_cmpgt_epi32(_mm256_set1_epi32(n - j), lane));
  }
  return bad;
}

}  // namespace sk
