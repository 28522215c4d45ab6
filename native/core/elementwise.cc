#include "elementwise.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace sk {

void add_row_bias_f32(float* y, int32_t rows, int32_t cols, const float* bias) {
  for (int32_t i = 0; i < rows; ++i) {
    float* row = y + static_cast<int64_t>(i) * cols;
    const float b = bias[i];
    for (int32_t j = 0; j < cols; ++j) row[j] += b;
  }
}

void row_sums_f32(const float* m, int32_t rows, int32_t cols, float* out) {
  for (int32_t i = 0; i < rows; ++i) {
    const float* row = m + static_cast<int64_t>(i) * cols;
    double s = 0;
    for (int32_t j = 0; j < cols; ++j) s += row[j];
    out[i] = static_cast<float>(s);
  }
}

void relu_f32(const float* x, float* out, int64_t n) {
  // `x > 0 ? x : 0` would turn NaN into 0 (the comparison is false); NaN is kept, as in PyTorch.
  for (int64_t k = 0; k < n; ++k) out[k] = (x[k] > 0.0f || x[k] != x[k]) ? x[k] : 0.0f;
}

void relu_backward_f32(const float* x, const float* dy, float* out, int64_t n) {
  for (int64_t k = 0; k < n; ++k) out[k] = x[k] > 0.0f ? dy[k] : 0.0f;
}

void transpose_f32(const float* a, int32_t rows, int32_t cols, float* out) {
  // 32 x 32 tiles: each tile's 32 source rows and 32 destination rows stay in L1 while it is copied. Inside a tile,
  // 4 x 4 blocks go through SSE registers on x86-64 (SSE is the x86-64 baseline: no dispatch needed); the edges and
  // other CPUs take the scalar loop.
  constexpr int32_t kTile = 32;
  for (int32_t r0 = 0; r0 < rows; r0 += kTile) {
    const int32_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
    for (int32_t c0 = 0; c0 < cols; c0 += kTile) {
      const int32_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
      int32_t r = r0;
#if defined(__SSE2__) || defined(_M_X64)
      for (; r + 4 <= r1; r += 4) {
        int32_t c = c0;
        for (; c + 4 <= c1; c += 4) {
          const float* src = a + static_cast<int64_t>(r) * cols + c;
          __m128 x0 = _mm_loadu_ps(src), x1 = _mm_loadu_ps(src + cols), x2 = _mm_loadu_ps(src + 2 * static_cast<int64_t>(cols)),
                 x3 = _mm_loadu_ps(src + 3 * static_cast<int64_t>(cols));
          _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
          float* dst = out + static_cast<int64_t>(c) * rows + r;
          _mm_storeu_ps(dst, x0);
          _mm_storeu_ps(dst + rows, x1);
          _mm_storeu_ps(dst + 2 * static_cast<int64_t>(rows), x2);
          _mm_storeu_ps(dst + 3 * static_cast<int64_t>(rows), x3);
        }
        for (; c < c1; ++c)
          for (int32_t k = r; k < r + 4; ++k) out[static_cast<int64_t>(c) * rows + k] = a[static_cast<int64_t>(k) * cols + c];
      }
#endif
      for (; r < r1; ++r)
        for (int32_t c = c0; c < c1; ++c) out[static_cast<int64_t>(c) * rows + r] = a[static_cast<int64_t>(r) * cols + c];
    }
  }
}

}  // namespace sk
