// CSR SpMM, AVX2 + FMA. Same structure as the AVX-512 kernel: balanced tiles of up to 8 YMM vectors (16 registers:
// 8 accumulators, a broadcast and loads), each accumulated in registers over the row's stored entries and written
// once with alpha/beta; the last vector of a row is masked when n is not a multiple of 8.
#include <immintrin.h>

#include "../kernels.h"

namespace sk {
namespace {

constexpr int kMaxTile = 8;

template <int NV, bool kLast>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, __m256i last) {
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
      const __m256 bv = (kLast && t == NV - 1) ? _mm256_maskload_ps(b + 8 * t, last) : _mm256_loadu_ps(b + 8 * t);
      acc[t] = _mm256_fmadd_ps(v, bv, acc[t]);
    }
  }
  const __m256 alpha = _mm256_set1_ps(p.alpha);
  const __m256 beta = _mm256_set1_ps(p.beta);
  for (int t = 0; t < NV; ++t) {
    float* out = c + j + 8 * t;
    __m256 r = _mm256_mul_ps(alpha, acc[t]);
    if (kLast && t == NV - 1) {
      if (p.beta != 0.0f) r = _mm256_fmadd_ps(beta, _mm256_maskload_ps(out, last), r);
      _mm256_maskstore_ps(out, last, r);
    } else {
      if (p.beta != 0.0f) r = _mm256_fmadd_ps(beta, _mm256_loadu_ps(out), r);
      _mm256_storeu_ps(out, r);
    }
  }
}

template <int NV>
inline void run(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, bool masked, __m256i last) {
  if (masked) tile<NV, true>(p, begin, end, j, c, last);
  else tile<NV, false>(p, begin, end, j, c, last);
}

}  // namespace

int64_t sk_f32_spmm_csr__avx2(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const int64_t n = p.n;
  const int64_t vectors = (n + 7) / 8;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const int64_t tail = n - 8 * (vectors - 1);  // lanes of the last vector, 1..8
  const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(tail)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
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
    for (int64_t t = 0, v = 0; t < tiles; ++t) {
      const int nv = static_cast<int>(vectors / tiles + (t < vectors % tiles ? 1 : 0));
      const bool masked = v + nv == vectors && tail != 8;
      switch (nv) {
#define SK_CASE(NV) case NV: run<NV>(p, begin, end, 8 * v, c, masked, tail_mask); break;
        SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6) SK_CASE(7) SK_CASE(8)
#undef SK_CASE
      }
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
