// Vector traits for the SIMD kernel bodies that are shared between ISAs (one template, instantiated by each
// *-avx2.cc / *-avx512.cc / *-neon.cc file, which is compiled with only its own ISA flags, so each instantiation uses only the
// instructions of its file). Only the traits the including file's flags allow are defined.
#pragma once
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace sk {
namespace simd {

// The extra accumulator sets of a narrow SpMM tile (accumulator_sets): zeroed before the walk, then added into the
// first set (acc) after it. Sets are added in order, so every ISA sums them the same way.
template <class S, int K, int NV>
inline void zero_sets(typename S::V (&more)[K][NV], int used) {
#pragma GCC unroll 8
  for (int u = 0; u < used; ++u)
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) more[u][t] = S::zero();
}

template <class S, int K, int NV>
inline void add_sets(typename S::V (&acc)[NV], const typename S::V (&more)[K][NV], int used) {
#pragma GCC unroll 8
  for (int u = 0; u < used; ++u)
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) acc[t] = S::add(acc[t], more[u][t]);
}

// A hint to bring the line holding p into the caches (the SpMM kernels' next rows of B); no-op where unsupported.
inline void prefetch(const float* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// The index and position words the SpMM kernels take apart (f32-spmm-csr-impl.h, f32-spmm-nm-impl.h) are read as
// little-endian, as every target we build for is.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sparsekit's SIMD kernels assume a little-endian target"
#endif

// Sets of accumulators a register tile of `nv` vectors needs to keep the FMA pipes busy: two pipes of ~4 cycles'
// latency want about 8 independent chains, so a narrower tile sums successive entries into several sets, added
// at the end (the SpMM kernels; with one set, a one-vector tile waited on the previous FMA at every entry).
constexpr int accumulator_sets(int nv) { return nv >= 8 ? 1 : nv >= 4 ? 2 : nv >= 2 ? 4 : 8; }

#if defined(__AVX512F__)
// GCC 12's _mm512_reduce_add_ps trips a false -Wmaybe-uninitialized inside its own header.
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
struct Avx512 {
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load1(const float* p) { return _mm512_set1_ps(*p); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store(float* p, V v, M m) { _mm512_mask_storeu_ps(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static float hsum(V v) { return _mm512_reduce_add_ps(v); }
  // The first n lanes (0 <= n <= W).
  static M first(int n) { return static_cast<M>(n >= 16 ? 0xFFFF : (1u << n) - 1); }
  // The last n lanes (0 <= n <= W).
  static M last(int n) { return static_cast<M>(n >= 16 ? 0xFFFF : (0xFFFFu << (16 - n)) & 0xFFFF); }
  // v with the lanes outside m zeroed.
  static V keep(V v, M m) { return _mm512_maskz_mov_ps(m, v); }
  // The lanes in m from a, the others from b.
  static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
};
#pragma GCC diagnostic pop
#endif

#if defined(__AVX2__)
struct Avx2 {
  using V = __m256;
  using M = __m256i;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load1(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V load(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store(float* p, V v, M m) { _mm256_maskstore_ps(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static float hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static M first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static M last(int n) {
    return _mm256_cmpgt_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(7 - n));
  }
  static V keep(V v, M m) { return _mm256_and_ps(v, _mm256_castsi256_ps(m)); }
  static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m)); }
};
#endif

#if defined(__aarch64__)
// Advanced SIMD is part of the aarch64 baseline, so this needs no flags. NEON has no masked loads or stores: a
// partial vector (M = lanes in use) goes through a small buffer and never touches memory past its lanes.
struct Neon {
  using V = float32x4_t;
  using M = int;
  static constexpr int W = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V load1(const float* p) { return vld1q_dup_f32(p); }
  static V load(const float* p) { return vld1q_f32(p); }
  static V load(const float* p, M n) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f32(t);
  }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static void store(float* p, V v, M n) {
    float t[4];
    vst1q_f32(t, v);
    for (int i = 0; i < n; ++i) p[i] = t[i];
  }
  static V fmadd(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static float hsum(V v) { return vaddvq_f32(v); }
  static M first(int n) { return n >= 4 ? 4 : n; }
  // last(n) is -n (lanes [4 - n, 4)); only keep() takes it: the partial loads and stores take first()'s counts.
  static M last(int n) { return n >= 4 ? 4 : -n; }
  // The lanes of m (from first() or last()) as a bit mask.
  static uint32x4_t lanes(M m) {
    const uint32_t lane[4] = {0, 1, 2, 3};
    const uint32x4_t idx = vld1q_u32(lane);
    return m >= 0 ? vcltq_u32(idx, vdupq_n_u32(static_cast<uint32_t>(m))) : vcgeq_u32(idx, vdupq_n_u32(static_cast<uint32_t>(4 + m)));
  }
  // v with the lanes outside m zeroed.
  static V keep(V v, M m) { return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), lanes(m))); }
  // The lanes in m from a, the others from b.
  static V select(M m, V a, V b) { return vbslq_f32(lanes(m), a, b); }
};
#endif


// out = alpha * acc + beta * out (beta == 0: out is write-only), under `last` when kMask.
template <class S, bool kMask>
inline void store_alpha_beta(float* out, typename S::V acc, typename S::V alpha, typename S::V beta, bool use_beta,
                             typename S::M last) {
  typename S::V r = S::mul(alpha, acc);
  if (kMask) {
    if (use_beta) r = S::fmadd(beta, S::load(out, last), r);
    S::store(out, r, last);
  } else {
    if (use_beta) r = S::fmadd(beta, S::load(out), r);
    S::store(out, r);
  }
}

// How a register tile of NV vectors over a row of B (the kernel's loads) and of C (its one store) meets the end of
// the row. kWhole: it does not (whole vectors). kEdge: the row ends inside vector NV-1, `early` being W minus the
// lanes it uses. With NV >= 2 that vector is read and written `early` floats before its place, as the W columns
// ending at the row's end: whole, unmasked loads and stores (masked ones, vmaskmovps, made widths that are not a
// whole number of vectors up to 1.6x slower on AMD Zen 1: CSR n = 28 took longer than n = 32). Its first `early`
// lanes are columns vector NV-2 also holds, summed in the same order, so they come out bitwise the same: store_tile
// forms its result from C as it was, before the tile's other stores, and stores it last. With NV == 1 (a row
// narrower than one vector) it goes under the mask `last`. kPadded: as kEdge, but B's rows are the operator's packed
// panels (SpmmParams::b_padded: rows of whole vectors, zero past the row's end), so every load of B is a whole,
// aligned vector in its place, and only the store of vector NV-1 of C is masked. One masked store per row and tile
// instead of a masked load of B per stored entry (n = 2 to 7 on AVX2, NV == 1) or a load across two cache lines
// per stored entry (NV >= 2).
enum Tail { kWhole, kEdge, kPadded };

template <class S, int NV, int kTail>
inline typename S::V load_tile(const float* row, int t, int64_t early, typename S::M last) {
  if (kTail != kEdge || t != NV - 1) return S::load(row + S::W * t);
  if constexpr (NV >= 2) return S::load(row + S::W * t - early);
  return S::load(row + S::W * t, last);
}

// out[0 .. NV*W) = alpha * acc + beta * out (beta == 0: write-only), the last vector as load_tile read it.
template <class S, int NV, int kTail>
inline void store_tile(float* out, const typename S::V (&acc)[NV], typename S::V alpha, typename S::V beta, bool use_beta,
                       int64_t early, typename S::M last) {
  if constexpr (kTail == kEdge && NV >= 2) {
    float* shifted = out + S::W * (NV - 1) - early;
    typename S::V r = S::mul(alpha, acc[NV - 1]);
    if (use_beta) r = S::fmadd(beta, S::load(shifted), r);  // C as it was, before this tile's stores
#pragma GCC unroll 16
    for (int t = 0; t < NV - 1; ++t) store_alpha_beta<S, false>(out + S::W * t, acc[t], alpha, beta, use_beta, last);
    S::store(shifted, r);
  } else {
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) {
      if (kTail != kWhole && t == NV - 1) store_alpha_beta<S, true>(out + S::W * t, acc[t], alpha, beta, use_beta, last);
      else store_alpha_beta<S, false>(out + S::W * t, acc[t], alpha, beta, use_beta, last);
    }
  }
}

// A one-vector tile at the end of a row that ends `early` floats short of a whole vector (the tail tile of the BSR
// and gemm kernels, which walk whole vectors first): with `shifted` (the row holds a whole vector) it reads the W
// columns ending at the row's end, unmasked, and store_tail writes only its new lanes (the others, final already,
// taken from the output as it is now) through one blend and one whole store; else masked loads and stores.
template <class S>
inline typename S::V load_tail(const float* row, int64_t early, bool shifted, typename S::M last) {
  return shifted ? S::load(row - early) : S::load(row, last);
}

template <class S>
inline void store_tail(float* out, typename S::V acc, typename S::V alpha, typename S::V beta, bool use_beta, int64_t early, bool shifted,
                       typename S::M last) {
  if (!shifted) return store_alpha_beta<S, true>(out, acc, alpha, beta, use_beta, last);
  const typename S::V now = S::load(out - early);
  typename S::V r = S::mul(alpha, acc);
  if (use_beta) r = S::fmadd(beta, now, r);
  S::store(out - early, S::select(S::last(S::W - static_cast<int>(early)), r, now));
}

}  // namespace simd
}  // namespace sk
