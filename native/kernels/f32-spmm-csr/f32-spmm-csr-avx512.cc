// CSR SpMM, AVX-512. For each row of A, the columns of C are walked in tiles of up to 12 ZMM vectors; each tile is
// accumulated in registers over the row's stored entries (broadcast A[i,k], FMA with B[k, tile]) and written once
// with alpha/beta. The tile's independent accumulators cover the FMA latency; the row's indices and values are
// re-read per tile from L1. Tiles have near-equal widths (17 vectors -> 9 + 8, not 8 + 8 + 1), because a narrow
// tile has too few independent FMA chains.
//
// Alignment matters: with B 16 bytes past a cache line (where V8 puts a fresh buffer) every 64-byte load straddles
// two lines, 1024x1024 at 90% sparsity times 1024x256 then takes ~0.93 ms instead of ~0.67 ms (2 threads). Shifting
// the walk onto line boundaries with masked edge vectors measured slower still, so the library allocates its dense
// buffers 64-byte aligned instead (lib/dense.ts, alignedFloat32Array).
#include <immintrin.h>

#include "../kernels.h"

namespace sk {
namespace {

constexpr int kMaxTile = 12;  // accumulators per tile: 12 of the 32 ZMM registers, leaving room for loads

// Columns [j, j + 16*NV) of row c; with kLast, vector NV-1 is loaded and stored under `last`.
template <int NV, bool kLast>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, __mmask16 last) {
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
      const __m512 bv = (kLast && t == NV - 1) ? _mm512_maskz_loadu_ps(last, b + 16 * t) : _mm512_loadu_ps(b + 16 * t);
      acc[t] = _mm512_fmadd_ps(v, bv, acc[t]);
    }
  }
  const __m512 alpha = _mm512_set1_ps(p.alpha);
  const __m512 beta = _mm512_set1_ps(p.beta);
  for (int t = 0; t < NV; ++t) {
    float* out = c + j + 16 * t;
    __m512 r = _mm512_mul_ps(alpha, acc[t]);
    if (kLast && t == NV - 1) {
      if (p.beta != 0.0f) r = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(last, out), r);
      _mm512_mask_storeu_ps(out, last, r);
    } else {
      if (p.beta != 0.0f) r = _mm512_fmadd_ps(beta, _mm512_loadu_ps(out), r);
      _mm512_storeu_ps(out, r);
    }
  }
}

template <int NV>
inline void run(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, __mmask16 last) {
  if (last != 0xFFFF) tile<NV, true>(p, begin, end, j, c, last);
  else tile<NV, false>(p, begin, end, j, c, last);
}

}  // namespace

int64_t sk_f32_spmm_csr__avx512(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const int64_t n = p.n;
  const int64_t vectors = (n + 15) / 16;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const __mmask16 tail = static_cast<__mmask16>(0xFFFFu >> (16 * vectors - n));
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
      const __mmask16 last = v + nv == vectors ? tail : static_cast<__mmask16>(0xFFFF);
      switch (nv) {
#define SK_CASE(NV) case NV: run<NV>(p, begin, end, 16 * v, c, last); break;
        SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6)
        SK_CASE(7) SK_CASE(8) SK_CASE(9) SK_CASE(10) SK_CASE(11) SK_CASE(12)
#undef SK_CASE
      }
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
