// CSR SpMV, AVX2 + FMA: 16 entries a step, x's entries assembled into vectors from scalar loads (vinsertps), two
// vector accumulators; the row's last 0-15 entries one vector and then scalar FMAs. No hardware gather: on AMD Zen 1
// (where vgatherdps is microcoded) the gather kernel this replaced was slower than the scalar reference kernel
// (153-159 against 126-133 us), and this one ran 1.6x faster than it (1024x1024 at 90%: 153-159 -> 94-98 us on
// one thread, 81-84 -> 50-52 on two; 1024x1024 at 50% 651 -> 417 us; 16384x1024 at 95% 1.51 -> 1.11 ms; DRAM-bound
// 8192x8192 at 90% unchanged, 4.55 against 4.63 ms on two threads). The AVX-512 kernel keeps its gathers (not
// measured here: no AVX-512 on this host).
//
// Column indices are checked a vector at a time (all_in_range) while the row is summed with every index clamped into
// [0, cols) (memory safety only, should the arrays change during an async call); a row holding a bad index is then
// run again by the scalar kernel, which skips and counts them.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../kernels.h"

namespace sk {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 0xFF when the 8 indices at p are all in [0, cols).
inline int all_in_range(const int32_t* p, __m256i vcols) {
  const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), idx);
  return _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_andnot_si256(negative, _mm256_cmpgt_epi32(vcols, idx))));
}

// x at the 8 indices at p, each clamped to col_max. The indices are read as four 8-byte words (little-endian, as
// the SpMM kernels read theirs): copied through an array, GCC 12 staged them on the stack and the reloads stalled.
inline __m256 gather8(const float* x, const int32_t* p, uint32_t col_max) {
  uint64_t w0, w1, w2, w3;
  std::memcpy(&w0, p, 8);
  std::memcpy(&w1, p + 2, 8);
  std::memcpy(&w2, p + 4, 8);
  std::memcpy(&w3, p + 6, 8);
  auto at = [x, col_max](uint64_t w, int half) { return _mm_load_ss(x + std::min(static_cast<uint32_t>(w >> (32 * half)), col_max)); };
  __m128 lo = at(w0, 0);
  lo = _mm_insert_ps(lo, at(w0, 1), 0x10);
  lo = _mm_insert_ps(lo, at(w1, 0), 0x20);
  lo = _mm_insert_ps(lo, at(w1, 1), 0x30);
  __m128 hi = at(w2, 0);
  hi = _mm_insert_ps(hi, at(w2, 1), 0x10);
  hi = _mm_insert_ps(hi, at(w3, 0), 0x20);
  hi = _mm_insert_ps(hi, at(w3, 1), 0x30);
  return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

}  // namespace

int64_t sk_f32_spmv_csr__avx2(const SpmvParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(std::max(a.cols, 0));
  const uint32_t col_max = cols - 1;  // used only when cols >= 1
  const __m256i vcols = _mm256_set1_epi32(static_cast<int32_t>(cols));
  const int32_t* indices = a.indices;
  const float* values = a.values;
  const float* x = p.x;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t k, end;
    // A row with corrupt bounds, or any row when A has no columns (every entry out of range): the scalar kernel's.
    if (cols == 0 || !csr_row_ok(a, i, &k, &end)) {
      bad += sk_f32_spmv_csr__scalar(p, i, i + 1);
      continue;
    }
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int ok = 0xFF;
    for (; k + 16 <= end; k += 16) {
      ok &= all_in_range(indices + k, vcols) & all_in_range(indices + k + 8, vcols);
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(values + k), gather8(x, indices + k, col_max), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(values + k + 8), gather8(x, indices + k + 8, col_max), acc1);
    }
    if (k + 8 <= end) {
      ok &= all_in_range(indices + k, vcols);
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(values + k), gather8(x, indices + k, col_max), acc0);
      k += 8;
    }
    float s0 = 0.0f, s1 = 0.0f;
    for (; k + 2 <= end; k += 2) {
      const uint32_t c0 = static_cast<uint32_t>(indices[k]), c1 = static_cast<uint32_t>(indices[k + 1]);
      ok &= c0 < cols && c1 < cols ? 0xFF : 0;
      s0 = std::fma(values[k], x[std::min(c0, col_max)], s0);
      s1 = std::fma(values[k + 1], x[std::min(c1, col_max)], s1);
    }
    if (k < end) {
      const uint32_t c0 = static_cast<uint32_t>(indices[k]);
      ok &= c0 < cols ? 0xFF : 0;
      s0 = std::fma(values[k], x[std::min(c0, col_max)], s0);
    }
    if (ok != 0xFF) {  // a bad column index: the row again, by the scalar kernel (it skips and counts them)
      bad += sk_f32_spmv_csr__scalar(p, i, i + 1);
      continue;
    }
    const float sum = hsum(_mm256_add_ps(acc0, acc1)) + (s0 + s1);
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
