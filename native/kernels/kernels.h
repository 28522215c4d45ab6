// Declarations of every kernel, generated from the per-family lists.
#pragma once
#include "params.h"

namespace sk {

#define SK_KERNEL(isa, fn) int64_t fn(const SpmvParams& p, int32_t row_begin, int32_t row_end);
#include "f32-spmv-csr/f32-spmv-csr.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SpmmParams& p, int32_t row_begin, int32_t row_end);
#include "f32-spmm-csr/f32-spmm-csr.inc"
#undef SK_KERNEL

}  // namespace sk
