// Top-k selection for pruning: keep the `keep` largest scores, write their bits into row-major bit sets.
// Score of element e: |x[e] * y[e]| (y optional; abs) or the ordered value itself (!abs), times a per-tensor scale.
// Ties at the threshold keep the lowest indices (tensors in order, then row-major), so results are deterministic.
// NaN scores: counted and refused (ERR_RANGE) unless nan_prune, which ranks them below everything.
#pragma once
#include <cstdint>

#include "status.h"

namespace sk {

struct ScoreTensor {
  const float* x;
  const float* y;  // null: score from x alone
  int64_t length;
  float scale;     // multiplies the score (per-layer normalisation in global pruning); 1 otherwise
  uint32_t* bits;  // ceil(length / 32) words, zero on entry
};

// One threshold across all tensors (scope 'tensor' with one tensor, global pruning with several).
Status select_global(const ScoreTensor* tensors, int count, int64_t keep, bool abs, bool nan_prune);

// Per row (by_row) or per column of a rows x cols tensor: keep `keep` in every segment.
Status select_segments(const ScoreTensor& t, int32_t rows, int32_t cols, bool by_row, int64_t keep, bool abs, bool nan_prune);

// N:M: in every group of m consecutive columns of each row keep the n largest |x| (ties: lower column), writing
// rows * ceil(cols / m) * n values and positions.
Status select_nm(const float* x, int32_t rows, int32_t cols, int32_t n, int32_t m, bool nan_prune, float* values, uint8_t* positions);

}  // namespace sk
