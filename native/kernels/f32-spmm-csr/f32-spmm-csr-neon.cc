// CSR SpMM, NEON: the structure of the AVX kernels with 4-lane vectors. Balanced tiles of up to 8 vectors (32
// columns; 8 accumulators of aarch64's 32 vector registers), accumulated in registers over the row's stored
// entries and written once with alpha/beta. The last vector of a row is partial when n is not a multiple of 4
// (loaded and stored through a small buffer: NEON has no masked loads).
#include "../kernels.h"
#include "../vec.h"

namespace sk {
namespace {

using S = simd::Neon;
constexpr int kMaxTile = 8;

template <int NV, bool kLast>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, S::M last) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  S::V acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  for (int64_t k = begin; k < end; ++k) {
    const uint32_t col = static_cast<uint32_t>(a.indices[k]);
    if (col >= cols) continue;  // counted once per row by the caller
    const S::V v = S::set1(a.values[k]);
    const float* b = p.b + static_cast<int64_t>(col) * p.ldb + j;
    for (int t = 0; t < NV; ++t) {
      const S::V bv = (kLast && t == NV - 1) ? S::load(b + 4 * t, last) : S::load(b + 4 * t);
      acc[t] = S::fmadd(v, bv, acc[t]);
    }
  }
  const S::V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  const bool use_beta = p.beta != 0.0f;
  for (int t = 0; t < NV; ++t) {
    if (kLast && t == NV - 1) simd::store_alpha_beta<S, true>(c + j + 4 * t, acc[t], alpha, beta, use_beta, last);
    else simd::store_alpha_beta<S, false>(c + j + 4 * t, acc[t], alpha, beta, use_beta, last);
  }
}

template <int NV>
inline void run(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, bool masked, S::M last) {
  if (masked) tile<NV, true>(p, begin, end, j, c, last);
  else tile<NV, false>(p, begin, end, j, c, last);
}

}  // namespace

int64_t sk_f32_spmm_csr__neon(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const int64_t n = p.n;
  const int64_t vectors = (n + 3) / 4;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const int64_t tail = n - 4 * (vectors - 1);  // lanes of the last vector, 1..4
  const S::M last = S::first(static_cast<int>(tail));
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
      const bool masked = v + nv == vectors && tail != 4;
      switch (nv) {
#define SK_CASE(NV) case NV: run<NV>(p, begin, end, 4 * v, c, masked, last); break;
        SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6) SK_CASE(7) SK_CASE(8)
#undef SK_CASE
      }
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
