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

#define SK_KERNEL(isa, fn) int64_t fn(const SddmmParams& p, int32_t begin, int32_t end);
#include "f32-sddmm-csr/f32-sddmm-csr.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SpmmtParams& p, int32_t begin, int32_t end);
#include "f32-spmmt-csr/f32-spmmt-csr.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SpmmBsrParams& p, int32_t begin, int32_t end);
#include "f32-spmm-bsr/f32-spmm-bsr.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SpmmNmParams& p, int32_t begin, int32_t end);
#include "f32-spmm-nm/f32-spmm-nm.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SpmvNmParams& p, int32_t begin, int32_t end);
#include "f32-spmv-nm/f32-spmv-nm.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const SgdParams& p, int32_t begin, int32_t end);
#include "f32-sgd/f32-sgd.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const AdamParams& p, int32_t begin, int32_t end);
#include "f32-adam/f32-adam.inc"
#undef SK_KERNEL

#define SK_KERNEL(isa, fn) int64_t fn(const GemmParams& p, int32_t begin, int32_t end);
#include "f32-gemm/f32-gemm.inc"
#undef SK_KERNEL

}  // namespace sk
