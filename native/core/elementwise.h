// Elementwise passes of the training layers over feature-major batches (rows = features, cols = batch). They are
// memory-bound single passes over L2-sized data, so they are plain loops the compiler vectorises at the baseline
// ISA, run on the calling thread; there is nothing for a dispatch table or the pool to win.
#pragma once
#include <cstdint>

namespace sk {

// y[i, j] += bias[i] for a rows x cols row-major y.
void add_row_bias_f32(float* y, int32_t rows, int32_t cols, const float* bias);
// out[i] = sum over j of m[i, j], accumulated in double.
void row_sums_f32(const float* m, int32_t rows, int32_t cols, float* out);
// out = max(x, 0); NaN stays NaN. out may be x.
void relu_f32(const float* x, float* out, int64_t n);
// out = dy where x > 0, else 0. out may be dy.
void relu_backward_f32(const float* x, const float* dy, float* out, int64_t n);
// out (cols x rows) = the transpose of a (rows x cols), both row-major, in cache-sized tiles. out and a are disjoint.
void transpose_f32(const float* a, int32_t rows, int32_t cols, float* out);

}  // namespace sk
