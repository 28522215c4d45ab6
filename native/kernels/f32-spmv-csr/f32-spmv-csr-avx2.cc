// CSR SpMV, AVX2 + FMA: 8-wide gathers of x, two accumulators, masked tail. Out-of-range column indices are masked
// out of the gather (never loaded) and counted.
#include <immintrin.h>

#include "../kernels.h"

namespace sk {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes whose index is in [0, cols).
inline __m256i in_range(__m256i idx, __m256i vcols) {
  const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), idx);
  return _mm256_andnot_si256(negative, _mm256_cmpgt_epi32(vcols, idx));
}

}  // namespace

int64_t sk_f32_spmv_csr__avx2(const SpmvParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const __m256i vcols = _mm256_set1_epi32(a.cols);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 zero = _mm256_setzero_ps();
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t k, end;
    float sum = 0.0f;
    if (csr_row_ok(a, i, &k, &end)) {
      __m256 acc0 = zero, acc1 = zero;
      for (; k + 16 <= end; k += 16) {
        const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.indices + k));
        const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.indices + k + 8));
        const __m256i m0 = in_range(i0, vcols);
        const __m256i m1 = in_range(i1, vcols);
        const __m256 x0 = _mm256_mask_i32gather_ps(zero, p.x, i0, _mm256_castsi256_ps(m0), 4);
        const __m256 x1 = _mm256_mask_i32gather_ps(zero, p.x, i1, _mm256_castsi256_ps(m1), 4);
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + k), x0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + k + 8), x1, acc1);
        const int ok = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_and_si256(m0, m1)));
        if (ok != 0xFF) {
          bad += 16 - __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(m0))) -
                 __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(m1)));
        }
      }
      for (; k < end; k += 8) {
        const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(end - k < 8 ? end - k : 8)), lane);
        const __m256i i0 = _mm256_maskload_epi32(a.indices + k, tail);
        const __m256i m0 = _mm256_and_si256(in_range(i0, vcols), tail);
        const __m256 x0 = _mm256_mask_i32gather_ps(zero, p.x, i0, _mm256_castsi256_ps(m0), 4);
        acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(a.values + k, tail), x0, acc0);
        bad += __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(tail))) -
               __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(m0)));
      }
      sum = hsum(_mm256_add_ps(acc0, acc1));
    } else {
      ++bad;
    }
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
