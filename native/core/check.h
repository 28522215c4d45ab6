// Structure checks of the sparse formats, for native code that indexes through a structure it did not build (the
// native layer never trusts JS). Each is O(size of the structure) and names the first fault it finds.
#pragma once
#include "../kernels/params.h"
#include "status.h"

namespace sk {

// indptr[0] = 0, non-decreasing, indptr[rows] = nnz (ERR_FORMAT); every index in [0, cols) (ERR_RANGE); strictly
// increasing within a row when `sorted` (ERR_FORMAT). The same rules and codes as lib/validate.ts's csr().
Status check_csr(const CsrF32& a, bool sorted, const char* name);

}  // namespace sk
