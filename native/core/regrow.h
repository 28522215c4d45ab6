// The drop-and-grow step of dynamic sparse training at constant nnz (SET, RigL), on a sorted CSR weight.
#pragma once
#include <cstdint>

#include "../kernels/params.h"
#include "status.h"

namespace sk {

struct RegrowParams {
  CsrF32 w;             // rows x cols; its structure is checked here (ERR_FORMAT)
  int64_t k;            // entries dropped and grown, 0 <= k <= nnz
  float* scores;        // rows * cols growth scores (|score| when abs); scratch: overwritten
  bool abs;
  int32_t* out_indptr;  // rows + 1
  int32_t* out_indices; // nnz
  float* out_values;    // nnz: kept values, 0 for grown entries
  int32_t* from;        // nnz: index in w of each kept entry, -1 for a grown one
};

// Keeps the nnz - k stored entries with the largest |value| (ties: lower index), then grows the k positions with
// the largest score among the positions not kept (ties: lower position; a just-dropped position may come back,
// as in RigL), and writes the new sorted pattern. NaN scores or NaN weights: ERR_RANGE, nothing written.
Status regrow_csr_f32(const RegrowParams& p);

}  // namespace sk
