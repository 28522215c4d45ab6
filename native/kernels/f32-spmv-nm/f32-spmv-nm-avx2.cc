// N:M SpMV, AVX2: as the AVX-512 kernel with 8 lanes (n must divide 8; other n use the scalar kernel). When a
// vector's columns span at most 16 (2:4, 4:8), x is loaded as two contiguous vectors and lanes are picked with two
// in-lane permutes and a blend instead of a gather. Each row runs in two parts: whole vectors of slots whose columns
// of x all exist, with plain loads and the anomaly count kept in a vector (this is nearly every slot), then the
// rest with masked loads; AVX2 has no masked byte load, so a last partial vector of positions is copied through a
// small buffer. (One masked path for all slots took 0.63 ns a slot on 2:4 1024x1024, 2.5x the CSR kernel on the
// same matrix.) Several vectors (p.nx, params.h) are taken up to kBlock at a time, each row's slots decoded once.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "f32-spmv-nm-impl.h"

namespace sk {

namespace {

constexpr int kBlock = 4;  // vectors of x per pass over a row

struct Shape {
  int64_t slots, full;
  int shift;
  bool permute;
  __m256i lane_group, vm, vcols;
};

// Lane l of the result is lane idx[l] (0-15) of the 16 floats x_lo, x_hi: two in-lane permutes and a blend.
inline __m256 permute16(__m256 x_lo, __m256 x_hi, __m256i idx) {
  const __m256i seven = _mm256_set1_epi32(7);
  const __m256i sel = _mm256_and_si256(idx, seven);
  return _mm256_blendv_ps(_mm256_permutevar8x32_ps(x_lo, sel), _mm256_permutevar8x32_ps(x_hi, sel),
                          _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, seven)));
}

// x's lanes for a vector of slots: columns c0 + idx of xc, picked from the 16 floats at c0 (permute) or gathered.
inline __m256 pick(const Shape& k, const float* xc, int64_t c0, __m256i idx, __m256i ok) {
  if (!k.permute) return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xc + c0, idx, _mm256_castsi256_ps(ok), 4);
  return permute16(_mm256_loadu_ps(xc + c0), _mm256_loadu_ps(xc + c0 + 8), idx);
}

// Row i times NC vectors (x_c = x + c * p.ldx) into sum[c]; returns the row's anomalies (non-zero slots with a
// position >= m or a column past the end). One vector sums into two FMA chains, several into one each.
template <int NC>
int64_t row_dots(const SpmvNmParams& p, const Shape& k, int32_t i, const float* x, float* sum) {
  constexpr int NA = NC == 1 ? 2 : 1;
  const NmF32& a = p.a;
  const int64_t base = static_cast<int64_t>(i) * k.slots, slots = k.slots;
  const int shift = k.shift;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256 acc[NC][NA];
  for (int c = 0; c < NC; ++c)
    for (int t = 0; t < NA; ++t) acc[c][t] = _mm256_setzero_ps();
  __m256i bad_lanes = _mm256_setzero_si256();  // minus the anomalies of each lane
  int64_t s = 0, bad = 0;
  for (; s < k.full; s += 8) {
    int64_t packed;
    std::memcpy(&packed, a.positions + base + s, 8);
    const __m256i pos = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(packed));
    const __m256 v = _mm256_loadu_ps(a.values + base + s);
    const int64_t c0 = (s >> shift) * a.m;
    const __m256i idx = _mm256_add_epi32(k.lane_group, pos);
    const __m256i ok = _mm256_cmpgt_epi32(k.vm, pos);
    const __m256i zero = _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ));
    bad_lanes = _mm256_add_epi32(bad_lanes, _mm256_andnot_si256(_mm256_or_si256(ok, zero), _mm256_set1_epi32(-1)));
    for (int c = 0; c < NC; ++c) {
      // x is zeroed in the lanes of zero slots (skipped, see the scalar kernel). A non-zero slot with a position
      // >= m read a lane of the window (or none, gathered): it is counted, and a count fails the call.
      const __m256 xv = _mm256_andnot_ps(_mm256_castsi256_ps(zero), pick(k, x + c * p.ldx, c0, idx, ok));
      // Constant indices only: acc indexed by (s >> 3) & 1 was kept in memory (SpMV 1.6x slower).
      if (NA == 2 && ((s >> 3) & 1)) acc[c][NA - 1] = _mm256_fmadd_ps(v, xv, acc[c][NA - 1]);
      else acc[c][0] = _mm256_fmadd_ps(v, xv, acc[c][0]);
    }
  }
  {
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), bad_lanes);
    for (int32_t l : lanes) bad -= l;
  }
  for (; s < slots; s += 8) {
    const int64_t count = slots - s >= 8 ? 8 : slots - s;
    const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lane);
    uint8_t bytes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(bytes, a.positions + base + s, static_cast<size_t>(count));
    int64_t packed;
    std::memcpy(&packed, bytes, 8);
    const __m256i pos = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(packed));
    const __m256 v = _mm256_maskload_ps(a.values + base + s, live);
    const int64_t c0 = (s >> shift) * a.m;
    const __m256i idx = _mm256_add_epi32(k.lane_group, pos);  // column relative to c0
    const __m256i col = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(c0)), idx);
    // pos < m and col < cols (both non-negative here, so signed compares are exact), within the live lanes
    const __m256i ok = _mm256_and_si256(_mm256_and_si256(live, _mm256_cmpgt_epi32(k.vm, pos)), _mm256_cmpgt_epi32(k.vcols, col));
    const __m256i nonzero = _mm256_andnot_si256(_mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ)), live);
    bad += __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_andnot_si256(ok, nonzero))));
    const int64_t left = a.cols - c0;  // x[c0 .. c0+16), masked at the end of x
    const __m256i m_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left < 8 ? left : 8)), lane);
    const __m256i m_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left - 8 < 0 ? 0 : left - 8 < 8 ? left - 8 : 8)), lane);
    for (int c = 0; c < NC; ++c) {
      const float* xc = x + c * p.ldx;
      __m256 xv;
      if (k.permute) {
        xv = permute16(_mm256_maskload_ps(xc + c0, m_lo), _mm256_maskload_ps(xc + c0 + 8, m_hi), idx);
      } else {
        xv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xc, col, _mm256_castsi256_ps(ok), 4);
      }
      xv = _mm256_and_ps(xv, _mm256_castsi256_ps(_mm256_and_si256(ok, nonzero)));
      if (NA == 2 && ((s >> 3) & 1)) acc[c][NA - 1] = _mm256_fmadd_ps(v, xv, acc[c][NA - 1]);
      else acc[c][0] = _mm256_fmadd_ps(v, xv, acc[c][0]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    const __m256 t = NA == 2 ? _mm256_add_ps(acc[c][0], acc[c][NA - 1]) : acc[c][0];
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
    sum[c] = _mm_cvtss_f32(s4);
  }
  return bad;
}

}  // namespace

int64_t sk_f32_spmv_nm__avx2(const SpmvNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  if (8 % a.n != 0) return sk_f32_spmv_nm__scalar(p, row_begin, row_end);
  Shape k;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  k.slots = groups * a.n;
  k.shift = __builtin_ctz(static_cast<unsigned>(a.n));
  k.lane_group = _mm256_mullo_epi32(_mm256_srli_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), k.shift), _mm256_set1_epi32(a.m));
  k.vm = _mm256_set1_epi32(a.m);
  k.vcols = _mm256_set1_epi32(a.cols);
  k.permute = static_cast<int64_t>(8 >> k.shift) * a.m <= 16;
  // Whole vectors whose x columns lie inside x: c0 + reach <= cols.
  const int64_t reach = k.permute ? 16 : static_cast<int64_t>(8 >> k.shift) * a.m;
  k.full = std::min<int64_t>(k.slots / 8, a.cols >= reach ? ((a.cols - reach) / a.m) / (8 >> k.shift) + 1 : 0) * 8;
  return nm_spmv_blocks<kBlock>(p, row_begin, row_end, [&](int nc, int32_t i, const float* x, float* sum) {
    return nc == 4 ? row_dots<4>(p, k, i, x, sum) : nc == 3 ? row_dots<3>(p, k, i, x, sum) : nc == 2 ? row_dots<2>(p, k, i, x, sum) : row_dots<1>(p, k, i, x, sum);
  });
}

}  // namespace sk
