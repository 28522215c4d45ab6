// N:M SpMV, AVX-512. When n divides 16, a vector covers 16/n whole groups: the column of each lane is
// (first group of the vector) * m + (lane / n) * m + position, positions widened from bytes with a masked load.
// When those columns span at most 32 (2:4, 4:8, 1:2, ...), x is loaded as two contiguous vectors and the lanes are
// picked with one two-source permute, which is several times faster than a gather; otherwise x is gathered. Lanes
// past the last column (zero padding) and zero slots (skipped, as in the scalar kernel) keep their accumulators.
// Other n use the scalar kernel.
// GCC 12: _mm512_reduce_add_ps trips a false -Wmaybe-uninitialized in its own header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_nm__avx512(const SpmvNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  if (16 % a.n != 0) return sk_f32_spmv_nm__scalar(p, row_begin, row_end);
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  const int64_t slots = groups * a.n;
  const int shift = __builtin_ctz(static_cast<unsigned>(a.n));
  const __m512i lane_group = _mm512_mullo_epi32(_mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), shift),
                                                _mm512_set1_epi32(a.m));
  const __m512i vm = _mm512_set1_epi32(a.m), vcols = _mm512_set1_epi32(a.cols);
  const int64_t span = static_cast<int64_t>(16 >> shift) * a.m;  // columns one vector of slots covers
  const bool permute = span <= 32;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int64_t base = static_cast<int64_t>(i) * slots;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t s = 0;
    if (permute) {
      // Fast path: whole vectors whose 32-column window of x lies inside x. No masks; a position >= m only
      // misplaces a lane within the window (memory-safe) and is counted once at the end.
      __mmask16 suspect = 0;
      for (; s + 32 <= slots && ((s + 16) >> shift) * a.m + 32 <= a.cols; s += 32) {
        const int64_t c0 = (s >> shift) * a.m, c1 = ((s + 16) >> shift) * a.m;
        const __m512i pos0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.positions + base + s)));
        const __m512i pos1 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.positions + base + s + 16)));
        suspect |= _mm512_cmpge_epu32_mask(pos0, vm) | _mm512_cmpge_epu32_mask(pos1, vm);
        const __m512 x0 = _mm512_permutex2var_ps(_mm512_loadu_ps(p.x + c0), _mm512_add_epi32(lane_group, pos0), _mm512_loadu_ps(p.x + c0 + 16));
        const __m512 x1 = _mm512_permutex2var_ps(_mm512_loadu_ps(p.x + c1), _mm512_add_epi32(lane_group, pos1), _mm512_loadu_ps(p.x + c1 + 16));
        // Zero slots are skipped (their lanes keep acc), see the scalar kernel.
        const __m512 v0 = _mm512_loadu_ps(a.values + base + s), v1 = _mm512_loadu_ps(a.values + base + s + 16);
        acc0 = _mm512_mask3_fmadd_ps(v0, x0, acc0, _mm512_cmpneq_ps_mask(v0, _mm512_setzero_ps()));
        acc1 = _mm512_mask3_fmadd_ps(v1, x1, acc1, _mm512_cmpneq_ps_mask(v1, _mm512_setzero_ps()));
      }
      if (suspect) {  // rare: recount exactly over the fast part (only non-zero slots with position >= m count)
        for (int64_t t = 0; t < s; ++t) bad += a.values[base + t] != 0.0f && a.positions[base + t] >= a.m;
      }
    }
    for (; s < slots; s += 16) {
      const __mmask16 live = slots - s >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (slots - s)) - 1);
      const __m512i pos = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(live, a.positions + base + s));
      const __m512 v = _mm512_maskz_loadu_ps(live, a.values + base + s);
      const int64_t c0 = (s >> shift) * a.m;
      const __m512i idx = _mm512_add_epi32(lane_group, pos);  // column relative to c0
      const __m512i col = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(c0)), idx);
      const __mmask16 ok = _mm512_mask_cmplt_epu32_mask(_mm512_mask_cmplt_epu32_mask(live, pos, vm), col, vcols);
      const __mmask16 nonzero = _mm512_mask_cmpneq_ps_mask(live, v, _mm512_setzero_ps());
      bad += __builtin_popcount(nonzero & ~ok);
      __m512 xv;
      if (permute) {
        // x[c0 .. c0+32), masked at the end of x (masked lanes are not read, so no load past the array).
        const int64_t left = a.cols - c0;
        const __mmask16 m_lo = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (left > 0 ? left : 0)) - 1);
        const __mmask16 m_hi = left >= 32 ? 0xFFFF : left <= 16 ? 0 : static_cast<__mmask16>((1u << (left - 16)) - 1);
        const __m512 x_lo = _mm512_maskz_loadu_ps(m_lo, p.x + c0);
        const __m512 x_hi = _mm512_maskz_loadu_ps(m_hi, p.x + c0 + 16);
        xv = _mm512_permutex2var_ps(x_lo, idx, x_hi);
      } else {
        xv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), ok, col, p.x, 4);
      }
      if ((s >> 4) & 1) acc1 = _mm512_mask3_fmadd_ps(v, xv, acc1, ok & nonzero);
      else acc0 = _mm512_mask3_fmadd_ps(v, xv, acc0, ok & nonzero);
    }
    const float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
