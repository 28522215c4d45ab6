// N:M SpMV, AVX-512. When n divides 16, a vector covers 16/n whole groups: the column of each lane is
// (first group of the vector) * m + (lane / n) * m + position, positions widened from bytes with a masked load.
// When those columns span at most 32 (2:4, 4:8, 1:2, ...), x is loaded as two contiguous vectors and the lanes are
// picked with one two-source permute, which is several times faster than a gather; otherwise x is gathered. Lanes
// past the last column (zero padding) and zero slots (skipped, as in the scalar kernel) keep their accumulators.
// Other n use the scalar kernel. Several vectors (p.nx, params.h) are taken up to kBlock at a time: a row's
// positions, values and masks are decoded once for all of them (each vector then costs its loads of x, a permute
// and an FMA per 16 slots).
// GCC 12: _mm512_reduce_add_ps trips a false -Wmaybe-uninitialized in its own header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "f32-spmv-nm-impl.h"

namespace sk {
namespace {

constexpr int kBlock = 8;  // vectors of x per pass over a row

struct Shape {
  int64_t slots;
  int shift;
  bool permute;
  __m512i lane_group, vm, vcols;
};

// Row i times NC vectors (x_c = x + c * p.ldx) into sum[c]; returns the row's anomalies (non-zero slots with a
// position >= m or a column past the end).
template <int NC>
int64_t row_dots(const SpmvNmParams& p, const Shape& k, int32_t i, const float* x, float* sum) {
  const NmF32& a = p.a;
  const int64_t base = static_cast<int64_t>(i) * k.slots, slots = k.slots;
  const int shift = k.shift;
  __m512 acc[NC][2];
  for (int c = 0; c < NC; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
  int64_t s = 0, bad = 0;
  if (k.permute) {
    // Fast path: whole vectors whose 32-column window of x lies inside x. No masks; a position >= m only
    // misplaces a lane within the window (memory-safe) and is counted once at the end.
    __mmask16 suspect = 0;
    for (; s + 32 <= slots && ((s + 16) >> shift) * a.m + 32 <= a.cols; s += 32) {
      const int64_t c0 = (s >> shift) * a.m, c1 = ((s + 16) >> shift) * a.m;
      const __m512i pos0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.positions + base + s)));
      const __m512i pos1 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.positions + base + s + 16)));
      suspect |= _mm512_cmpge_epu32_mask(pos0, k.vm) | _mm512_cmpge_epu32_mask(pos1, k.vm);
      const __m512i idx0 = _mm512_add_epi32(k.lane_group, pos0), idx1 = _mm512_add_epi32(k.lane_group, pos1);
      // Zero slots are skipped (their lanes keep acc), see the scalar kernel.
      const __m512 v0 = _mm512_loadu_ps(a.values + base + s), v1 = _mm512_loadu_ps(a.values + base + s + 16);
      const __mmask16 nz0 = _mm512_cmpneq_ps_mask(v0, _mm512_setzero_ps()), nz1 = _mm512_cmpneq_ps_mask(v1, _mm512_setzero_ps());
      for (int c = 0; c < NC; ++c) {
        const float* xc = x + c * p.ldx;
        const __m512 x0 = _mm512_permutex2var_ps(_mm512_loadu_ps(xc + c0), idx0, _mm512_loadu_ps(xc + c0 + 16));
        const __m512 x1 = _mm512_permutex2var_ps(_mm512_loadu_ps(xc + c1), idx1, _mm512_loadu_ps(xc + c1 + 16));
        acc[c][0] = _mm512_mask3_fmadd_ps(v0, x0, acc[c][0], nz0);
        acc[c][1] = _mm512_mask3_fmadd_ps(v1, x1, acc[c][1], nz1);
      }
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
    const __m512i idx = _mm512_add_epi32(k.lane_group, pos);  // column relative to c0
    const __m512i col = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(c0)), idx);
    const __mmask16 ok = _mm512_mask_cmplt_epu32_mask(_mm512_mask_cmplt_epu32_mask(live, pos, k.vm), col, k.vcols);
    const __mmask16 nonzero = _mm512_mask_cmpneq_ps_mask(live, v, _mm512_setzero_ps());
    bad += __builtin_popcount(nonzero & ~ok);
    // x[c0 .. c0+32), masked at the end of x (masked lanes are not read, so no load past the array).
    const int64_t left = a.cols - c0;
    const __mmask16 m_lo = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (left > 0 ? left : 0)) - 1);
    const __mmask16 m_hi = left >= 32 ? 0xFFFF : left <= 16 ? 0 : static_cast<__mmask16>((1u << (left - 16)) - 1);
    for (int c = 0; c < NC; ++c) {
      const float* xc = x + c * p.ldx;
      const __m512 xv = k.permute ? _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m_lo, xc + c0), idx, _mm512_maskz_loadu_ps(m_hi, xc + c0 + 16))
                                  : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), ok, col, xc, 4);
      if ((s >> 4) & 1) acc[c][1] = _mm512_mask3_fmadd_ps(v, xv, acc[c][1], ok & nonzero);  // constant indices: see -avx2
      else acc[c][0] = _mm512_mask3_fmadd_ps(v, xv, acc[c][0], ok & nonzero);
    }
  }
  for (int c = 0; c < NC; ++c) sum[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
  return bad;
}

}  // namespace

int64_t sk_f32_spmv_nm__avx512(const SpmvNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  if (16 % a.n != 0) return sk_f32_spmv_nm__scalar(p, row_begin, row_end);
  Shape k;
  k.slots = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m * a.n;
  k.shift = __builtin_ctz(static_cast<unsigned>(a.n));
  k.lane_group = _mm512_mullo_epi32(_mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), k.shift),
                                    _mm512_set1_epi32(a.m));
  k.vm = _mm512_set1_epi32(a.m);
  k.vcols = _mm512_set1_epi32(a.cols);
  k.permute = static_cast<int64_t>(16 >> k.shift) * a.m <= 32;  // columns one vector of slots covers
  return nm_spmv_blocks<kBlock>(p, row_begin, row_end, [&](int nc, int32_t i, const float* x, float* sum) -> int64_t {
    switch (nc) {
      case 8: return row_dots<8>(p, k, i, x, sum);
      case 7: return row_dots<7>(p, k, i, x, sum);
      case 6: return row_dots<6>(p, k, i, x, sum);
      case 5: return row_dots<5>(p, k, i, x, sum);
      case 4: return row_dots<4>(p, k, i, x, sum);
      case 3: return row_dots<3>(p, k, i, x, sum);
      case 2: return row_dots<2>(p, k, i, x, sum);
      default: return row_dots<1>(p, k, i, x, sum);
    }
  });
}

}  // namespace sk
