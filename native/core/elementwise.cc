#include "elementwise.h"

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

}  // namespace sk
