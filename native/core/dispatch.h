// One dispatch table per kernel family, built from the family's .inc list at compile time; the kernel used is the
// table's entry for the active ISA (cpu.h), or the best entry below it when the family has none for that ISA.
#pragma once
#include "../kernels/params.h"

namespace sk {

struct Chosen {
  const char* family;
  const char* kernel;
  const char* isa;
};

SpmvCsrF32Fn spmv_csr_f32_kernel();
SpmmCsrF32Fn spmm_csr_f32_kernel();
SddmmCsrF32Fn sddmm_csr_f32_kernel();
SpmmtCsrF32Fn spmmt_csr_f32_kernel();
SpmmBsrF32Fn spmm_bsr_f32_kernel();
SpmmNmF32Fn spmm_nm_f32_kernel();
SpmvNmF32Fn spmv_nm_f32_kernel();
SgdF32Fn sgd_f32_kernel();
AdamF32Fn adam_f32_kernel();
GemmF32Fn gemm_f32_kernel();

// What each family runs at the active ISA, for info(). Fills up to `max` entries and returns how many there are.
int chosen_kernels(Chosen* out, int max);

}  // namespace sk
