#include "regrow.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "check.h"
#include "select.h"

namespace sk {

Status regrow_csr_f32(const RegrowParams& p) {
  const CsrF32& w = p.w;
  const int64_t size = static_cast<int64_t>(w.rows) * w.cols;
  if (p.k < 0 || p.k > w.nnz) return Status::error(Code::kRange, "k must be in [0, nnz]");
  Status s = check_csr(w, true, "weight");
  if (!s.is_ok()) return s;
  int64_t nans = 0;
  for (int64_t e = 0; e < size; ++e) nans += p.scores[e] != p.scores[e];
  if (nans) return Status::error(Code::kRange, "the growth scores contain " + std::to_string(nans) + " NaN value(s)");
  // Drop: the bits of the kept entries.
  std::vector<uint32_t> keep((w.nnz + 31) / 32, 0);
  ScoreTensor kept_scores{w.values, nullptr, w.nnz, 1.0f, keep.data()};
  s = select_global(&kept_scores, 1, w.nnz - p.k, true, false);
  if (!s.is_ok()) return Status::error(s.code, "weights: " + s.message);
  // Grow: kept positions become NaN, which ranks below every real score (no NaN is left among the others), so the
  // k selected are never kept ones: at least k positions are not kept.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int32_t i = 0; i < w.rows; ++i)
    for (int32_t q = w.indptr[i]; q < w.indptr[i + 1]; ++q)
      if ((keep[q >> 5] >> (q & 31)) & 1u) p.scores[static_cast<int64_t>(i) * w.cols + w.indices[q]] = nan;
  std::vector<uint32_t> grown((size + 31) / 32, 0);
  ScoreTensor grow_scores{p.scores, nullptr, size, 1.0f, grown.data()};
  s = select_global(&grow_scores, 1, p.k, p.abs, true);
  if (!s.is_ok()) return s;
  // Merge each row's kept entries (sorted) with its grown positions (in column order).
  int64_t out = 0;
  p.out_indptr[0] = 0;
  for (int32_t i = 0; i < w.rows; ++i) {
    int32_t q = w.indptr[i];
    const int32_t q_end = w.indptr[i + 1];
    const int64_t base = static_cast<int64_t>(i) * w.cols;
    for (int32_t j = 0; j < w.cols; ++j) {
      while (q < q_end && w.indices[q] < j) ++q;
      const int64_t bit = base + j;
      const bool is_kept = q < q_end && w.indices[q] == j && ((keep[q >> 5] >> (q & 31)) & 1u);
      const bool is_grown = (grown[bit >> 5] >> (bit & 31)) & 1u;
      if (!is_kept && !is_grown) continue;
      if (out >= w.nnz) return Status::error(Code::kNative, "regrow: more entries than nnz");
      p.out_indices[out] = j;
      p.out_values[out] = is_kept ? w.values[q] : 0.0f;
      p.from[out] = is_kept ? q : -1;
      ++out;
    }
    p.out_indptr[i + 1] = static_cast<int32_t>(out);
  }
  if (out != w.nnz) return Status::error(Code::kNative, "regrow: nnz not preserved");
  return Status::ok();
}

}  // namespace sk
