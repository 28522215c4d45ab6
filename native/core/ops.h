// Operators: the entry points the binding calls. They pick the kernel for the active ISA, split rows over the
// thread pool by stored entries (not by row count), and turn what the kernels report into a Status.
// The binding has already checked every array length against the dimensions; operators re-check nothing the
// kernels guard themselves (see kernels/params.h).
#pragma once
#include "../kernels/params.h"
#include "status.h"

namespace sk {

Status spmv_csr_f32(const SpmvParams& p);
Status spmm_csr_f32(const SpmmParams& p);

}  // namespace sk
