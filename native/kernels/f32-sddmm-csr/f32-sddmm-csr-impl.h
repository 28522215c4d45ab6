// SIMD SDDMM body, instantiated by the -avx2 and -avx512 files. Four stored entries of a row are computed together:
// each vector of X[i, :] is loaded once and multiplied into four independent accumulators (four rows of Y), which
// also hides the FMA latency. K that is not a multiple of the vector width ends with the row's last vector (the W
// elements ending at K, an unaligned load inside the row) with its lanes already summed zeroed: a masked load
// (vmaskmovps) there made K = 36 and K = 100 1.5x and 1.35x slower on AMD Zen 1. A row shorter than one vector
// takes masked loads. When both X and Y are the operator's zero-padded copies (SddmmParams::padded), the last
// vector is read whole, in its place, with no mask: the lanes past K are zero on both sides.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

namespace sddmm_detail {
template <class S, bool kPadded>
int64_t rows(const SddmmParams& p, int32_t row_begin, int32_t row_end) {
  using V = typename S::V;
  const CsrF32& a = p.a;
  const int32_t k_full = p.k / S::W * S::W;
  const bool whole = p.k >= S::W;  // the row holds a whole vector: the tail's load stays inside it
  const int32_t t0 = whole ? p.k - S::W : 0;
  const typename S::M tail = whole ? S::last(p.k - k_full) : S::first(p.k);
  const bool has_tail = p.k != k_full;
  // The tail vector of row r (of X or Y): elements [k_full, k) in their lanes (padded: in place; else the W ending at
  // k, or masked), the others zero.
  auto tail_of = [&](const float* r) {
    if constexpr (kPadded) return S::load(r + k_full);
    return whole ? S::keep(S::load(r + t0), tail) : S::load(r, tail);
  };
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  int64_t bad = 0;
  auto finish = [&](int64_t k, float dot) { p.out[k] = p.beta == 0.0f ? p.alpha * dot : p.alpha * dot + p.beta * p.out[k]; };
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t k, end;
    if (!csr_row_ok(a, i, &k, &end)) {
      ++bad;
      continue;
    }
    const float* x = p.x + static_cast<int64_t>(i) * p.ldx;
    for (; k + 4 <= end; k += 4) {
      const uint32_t j0 = a.indices[k], j1 = a.indices[k + 1], j2 = a.indices[k + 2], j3 = a.indices[k + 3];
      if (j0 >= cols || j1 >= cols || j2 >= cols || j3 >= cols) break;  // the one-at-a-time loop below handles it
      const float* y0 = p.y + j0 * p.ldy;
      const float* y1 = p.y + j1 * p.ldy;
      const float* y2 = p.y + j2 * p.ldy;
      const float* y3 = p.y + j3 * p.ldy;
      V s0 = S::zero(), s1 = S::zero(), s2 = S::zero(), s3 = S::zero();
      for (int32_t t = 0; t < k_full; t += S::W) {
        const V xv = S::load(x + t);
        s0 = S::fmadd(xv, S::load(y0 + t), s0);
        s1 = S::fmadd(xv, S::load(y1 + t), s1);
        s2 = S::fmadd(xv, S::load(y2 + t), s2);
        s3 = S::fmadd(xv, S::load(y3 + t), s3);
      }
      if (has_tail) {  // both sides zeroed outside the tail: 0 * inf would be NaN
        const V xv = tail_of(x);
        s0 = S::fmadd(xv, tail_of(y0), s0);
        s1 = S::fmadd(xv, tail_of(y1), s1);
        s2 = S::fmadd(xv, tail_of(y2), s2);
        s3 = S::fmadd(xv, tail_of(y3), s3);
      }
      finish(k, S::hsum(s0));
      finish(k + 1, S::hsum(s1));
      finish(k + 2, S::hsum(s2));
      finish(k + 3, S::hsum(s3));
    }
    for (; k < end; ++k) {
      const uint32_t j = a.indices[k];
      if (j >= cols) {
        ++bad;
        continue;
      }
      const float* y = p.y + j * p.ldy;
      V s = S::zero();
      for (int32_t t = 0; t < k_full; t += S::W) s = S::fmadd(S::load(x + t), S::load(y + t), s);
      if (has_tail) s = S::fmadd(tail_of(x), tail_of(y), s);
      finish(k, S::hsum(s));
    }
  }
  return bad;
}
}  // namespace sddmm_detail

template <class S>
int64_t sddmm_csr(const SddmmParams& p, int32_t row_begin, int32_t row_end) {
  return p.padded ? sddmm_detail::rows<S, true>(p, row_begin, row_end) : sddmm_detail::rows<S, false>(p, row_begin, row_end);
}

}  // namespace sk
