// Format conversions, O(stored entries). Outputs are allocated by the caller (JS owns every buffer): where an
// output size depends on the data, a *_count function fills the output indptr first and the caller allocates from
// its last entry. Every function first checks the structure it indexes (conversions are synchronous, so nothing
// can change the arrays between the check and the use) and returns ERR_FORMAT / ERR_RANGE instead of reading out
// of bounds.
#pragma once
#include <cstdint>

#include "../kernels/params.h"
#include "status.h"

namespace sk {

using CsrView = CsrF32;

struct BsrView {
  int32_t rows, cols, r, c;
  const int32_t* indptr;  // ceil(rows / r) + 1
  const int32_t* indices;
  const float* values;  // blocks * r * c
  int64_t blocks;
};

struct NmView {
  int32_t rows, cols, n, m;
  const float* values;       // rows * groups * n
  const uint8_t* positions;  // rows * groups * n
};

// Dense (row-major) -> CSR keeping x != 0 && !(|x| <= threshold) (NaN kept).
void dense_to_csr_count(const float* data, int32_t rows, int32_t cols, float threshold, int32_t* indptr);
// The *_fill functions recount first and refuse (ERR_ARGUMENT) an indptr that does not match the input or whose
// total is not `capacity` (the outputs' length), so a fill never writes past its outputs.
Status dense_to_csr_fill(const float* data, int32_t rows, int32_t cols, float threshold, const int32_t* indptr,
                         int32_t* indices, float* values, int64_t capacity);

// Aᵀ: out_indptr has cols + 1 entries, out_indices / out_values nnz (out_values may be null: the structure only).
// perm (nnz entries, or null) receives, for
// each entry of Aᵀ, the index of the same entry in A (a transpose plan: Aᵀ's values are A.values[perm]).
Status csr_transpose(const CsrView& a, int32_t* out_indptr, int32_t* out_indices, float* out_values, int32_t* perm = nullptr);

// COO triplets -> CSR sorted by (row, col). Outputs have capacity n; *out_nnz receives the count after merging
// duplicates (summed, or ERR_FORMAT naming the position when !sum).
Status coo_to_csr(int32_t rows, int32_t cols, int64_t n, const int32_t* ri, const int32_t* ci, const float* v, bool sum,
                  int32_t* indptr, int32_t* indices, float* values, int64_t* out_nnz);

Status csr_to_bsr_count(const CsrView& a, int32_t r, int32_t c, int32_t* bsr_indptr);
Status csr_to_bsr_fill(const CsrView& a, int32_t r, int32_t c, const int32_t* bsr_indptr, int32_t* bsr_indices,
                       float* bsr_values);

// Non-zero entries of a BSR matrix (padding and zeros dropped).
Status bsr_to_csr_count(const BsrView& b, int32_t* indptr);
Status bsr_to_csr_fill(const BsrView& b, const int32_t* indptr, int32_t* indices, float* values, int64_t capacity);

// CSR (non-zero entries) -> N:M; ERR_FORMAT if a group holds more than n non-zeros.
Status csr_to_nm(const CsrView& a, int32_t n, int32_t m, float* values, uint8_t* positions);

Status nm_to_csr_count(const NmView& a, int32_t* indptr);
Status nm_to_csr_fill(const NmView& a, const int32_t* indptr, int32_t* indices, float* values, int64_t capacity);

}  // namespace sk
