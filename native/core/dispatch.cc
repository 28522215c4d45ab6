#include "dispatch.h"

#include <cstddef>

#include "../kernels/kernels.h"
#include "cpu.h"

namespace sk {
namespace {

template <typename Fn>
struct Entry {
  int isa;
  Fn fn;
  const char* name;
};

#define SK_KERNEL(isa, fn) {isa, fn, #fn},
const Entry<SpmvCsrF32Fn> kSpmvCsrF32[] = {
#include "../kernels/f32-spmv-csr/f32-spmv-csr.inc"
};
const Entry<SpmmCsrF32Fn> kSpmmCsrF32[] = {
#include "../kernels/f32-spmm-csr/f32-spmm-csr.inc"
};
const Entry<SddmmCsrF32Fn> kSddmmCsrF32[] = {
#include "../kernels/f32-sddmm-csr/f32-sddmm-csr.inc"
};
const Entry<SpmmtCsrF32Fn> kSpmmtCsrF32[] = {
#include "../kernels/f32-spmmt-csr/f32-spmmt-csr.inc"
};
const Entry<SpmmBsrF32Fn> kSpmmBsrF32[] = {
#include "../kernels/f32-spmm-bsr/f32-spmm-bsr.inc"
};
const Entry<SpmmNmF32Fn> kSpmmNmF32[] = {
#include "../kernels/f32-spmm-nm/f32-spmm-nm.inc"
};
const Entry<SpmvNmF32Fn> kSpmvNmF32[] = {
#include "../kernels/f32-spmv-nm/f32-spmv-nm.inc"
};
const Entry<SgdF32Fn> kSgdF32[] = {
#include "../kernels/f32-sgd/f32-sgd.inc"
};
const Entry<AdamF32Fn> kAdamF32[] = {
#include "../kernels/f32-adam/f32-adam.inc"
};
const Entry<GemmF32Fn> kGemmF32[] = {
#include "../kernels/f32-gemm/f32-gemm.inc"
};
#undef SK_KERNEL

// The entry with the highest ISA not above the active one that this CPU supports. Every list starts with a scalar
// kernel, so there is always one.
template <typename Fn, size_t N>
const Entry<Fn>& pick(const Entry<Fn> (&table)[N]) {
  const int active = active_isa();
  const uint32_t supported = supported_isas();
  const Entry<Fn>* best = &table[0];
  for (size_t i = 0; i < N; ++i) {
    const int isa = table[i].isa;
    if (isa <= active && (supported & (1u << isa)) && isa >= best->isa) best = &table[i];
  }
  return *best;
}

}  // namespace

SpmvCsrF32Fn spmv_csr_f32_kernel() { return pick(kSpmvCsrF32).fn; }
SpmmCsrF32Fn spmm_csr_f32_kernel() { return pick(kSpmmCsrF32).fn; }
SddmmCsrF32Fn sddmm_csr_f32_kernel() { return pick(kSddmmCsrF32).fn; }
SpmmtCsrF32Fn spmmt_csr_f32_kernel() { return pick(kSpmmtCsrF32).fn; }
SpmmBsrF32Fn spmm_bsr_f32_kernel() { return pick(kSpmmBsrF32).fn; }
SpmmNmF32Fn spmm_nm_f32_kernel() { return pick(kSpmmNmF32).fn; }
SpmvNmF32Fn spmv_nm_f32_kernel() { return pick(kSpmvNmF32).fn; }
SgdF32Fn sgd_f32_kernel() { return pick(kSgdF32).fn; }
AdamF32Fn adam_f32_kernel() { return pick(kAdamF32).fn; }
GemmF32Fn gemm_f32_kernel() { return pick(kGemmF32).fn; }

int chosen_kernels(Chosen* out, int max) {
  const Chosen all[] = {
      {"f32-spmv-csr", pick(kSpmvCsrF32).name, isa_name(pick(kSpmvCsrF32).isa)},
      {"f32-spmm-csr", pick(kSpmmCsrF32).name, isa_name(pick(kSpmmCsrF32).isa)},
      {"f32-sddmm-csr", pick(kSddmmCsrF32).name, isa_name(pick(kSddmmCsrF32).isa)},
      {"f32-spmmt-csr", pick(kSpmmtCsrF32).name, isa_name(pick(kSpmmtCsrF32).isa)},
      {"f32-spmm-bsr", pick(kSpmmBsrF32).name, isa_name(pick(kSpmmBsrF32).isa)},
      {"f32-spmm-nm", pick(kSpmmNmF32).name, isa_name(pick(kSpmmNmF32).isa)},
      {"f32-spmv-nm", pick(kSpmvNmF32).name, isa_name(pick(kSpmvNmF32).isa)},
      {"f32-sgd", pick(kSgdF32).name, isa_name(pick(kSgdF32).isa)},
      {"f32-adam", pick(kAdamF32).name, isa_name(pick(kAdamF32).isa)},
      {"f32-gemm", pick(kGemmF32).name, isa_name(pick(kGemmF32).isa)},
  };
  const int count = static_cast<int>(sizeof(all) / sizeof(all[0]));
  for (int i = 0; i < count && i < max; ++i) out[i] = all[i];
  return count;
}

}  // namespace sk
