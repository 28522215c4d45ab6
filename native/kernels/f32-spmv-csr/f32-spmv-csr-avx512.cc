// CSR SpMV, AVX-512: 16-wide gathers of x, two accumulators, masked tail. Out-of-range column indices are masked
// out of the gather (never loaded) and counted.
// GCC 12's _mm512_reduce_add_ps trips a false -Wmaybe-uninitialized inside its own header (an _undefined_ vector).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_csr__avx512(const SpmvParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const __m512i vcols = _mm512_set1_epi32(a.cols);
  const __m512 zero = _mm512_setzero_ps();
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t k, end;
    float sum = 0.0f;
    if (csr_row_ok(a, i, &k, &end)) {
      __m512 acc0 = zero, acc1 = zero;
      for (; k + 32 <= end; k += 32) {
        const __m512i i0 = _mm512_loadu_si512(a.indices + k);
        const __m512i i1 = _mm512_loadu_si512(a.indices + k + 16);
        const __mmask16 m0 = _mm512_cmplt_epu32_mask(i0, vcols);
        const __mmask16 m1 = _mm512_cmplt_epu32_mask(i1, vcols);
        const __m512 x0 = _mm512_mask_i32gather_ps(zero, m0, i0, p.x, 4);
        const __m512 x1 = _mm512_mask_i32gather_ps(zero, m1, i1, p.x, 4);
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a.values + k), x0, acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a.values + k + 16), x1, acc1);
        if ((m0 & m1) != 0xFFFF) bad += 32 - __builtin_popcount(m0) - __builtin_popcount(m1);
      }
      for (; k < end; k += 16) {
        const int64_t rem = end - k;
        const __mmask16 tail = rem >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << rem) - 1);
        const __m512i i0 = _mm512_maskz_loadu_epi32(tail, a.indices + k);
        const __mmask16 m0 = _mm512_mask_cmplt_epu32_mask(tail, i0, vcols);
        const __m512 x0 = _mm512_mask_i32gather_ps(zero, m0, i0, p.x, 4);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a.values + k), x0, acc0);
        if (m0 != tail) bad += __builtin_popcount(tail) - __builtin_popcount(m0);
      }
      sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    } else {
      ++bad;
    }
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
