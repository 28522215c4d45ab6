#include "check.h"

#include <string>

namespace sk {

Status check_csr(const CsrF32& a, bool sorted, const char* name) {
  const std::string n(name);
  auto bad = [&](const std::string& what) { return Status::error(Code::kFormat, n + " is not a valid CSR matrix: " + what); };
  if (a.rows < 0 || a.cols < 0 || a.nnz < 0) return bad("negative dimensions");
  if (a.indptr[0] != 0) return bad("indptr[0] = " + std::to_string(a.indptr[0]) + ", expected 0");
  for (int32_t i = 0; i < a.rows; ++i) {
    const int32_t lo = a.indptr[i], hi = a.indptr[i + 1];
    if (hi < lo) return bad("indptr decreases at row " + std::to_string(i));
    if (hi > a.nnz) return bad("indptr[" + std::to_string(i + 1) + "] = " + std::to_string(hi) + " is past nnz = " + std::to_string(a.nnz));
    for (int32_t q = lo; q < hi; ++q) {
      const int32_t j = a.indices[q];
      if (j < 0 || j >= a.cols) {
        return Status::error(Code::kRange, n + ": indices[" + std::to_string(q) + "] = " + std::to_string(j) + " is out of range for " +
                                               std::to_string(a.cols) + " columns");
      }
      if (sorted && q > lo && j <= a.indices[q - 1]) return bad("indices in row " + std::to_string(i) + " are not strictly increasing");
    }
  }
  if (a.indptr[a.rows] != a.nnz) return bad("indptr[rows] = " + std::to_string(a.indptr[a.rows]) + ", expected nnz = " + std::to_string(a.nnz));
  return Status::ok();
}

}  // namespace sk
