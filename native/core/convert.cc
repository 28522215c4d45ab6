#include "convert.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "check.h"

namespace sk {
namespace {

// indptr starts at 0, never decreases, ends at nnz; indices strictly increasing within a row and in [0, cols).
inline bool keep(float x, float threshold) { return x != 0.0f && !(std::fabs(x) <= threshold); }

// Recounts with `count` (which fills an indptr of rows + 1 and returns a Status) and compares with the caller's.
template <typename Count>
Status verify_counts(Count count, const int32_t* indptr, int32_t rows, int64_t capacity) {
  std::vector<int32_t> check(static_cast<size_t>(rows) + 1);
  Status s = count(check.data());
  if (!s.is_ok()) return s;
  if (!std::equal(check.begin(), check.end(), indptr) || check[rows] != capacity) {
    return Status::error(Code::kArgument, "the output indptr or lengths do not match the input (was it changed between count and fill?)");
  }
  return Status::ok();
}

}  // namespace

void dense_to_csr_count(const float* data, int32_t rows, int32_t cols, float threshold, int32_t* indptr) {
  indptr[0] = 0;
  for (int32_t i = 0; i < rows; ++i) {
    const float* row = data + static_cast<int64_t>(i) * cols;
    int32_t count = 0;
    for (int32_t j = 0; j < cols; ++j) count += keep(row[j], threshold);
    indptr[i + 1] = indptr[i] + count;
  }
}

Status dense_to_csr_fill(const float* data, int32_t rows, int32_t cols, float threshold, const int32_t* indptr,
                         int32_t* indices, float* values, int64_t capacity) {
  Status s = verify_counts(
      [&](int32_t* ip) {
        dense_to_csr_count(data, rows, cols, threshold, ip);
        return Status::ok();
      },
      indptr, rows, capacity);
  if (!s.is_ok()) return s;
  for (int32_t i = 0; i < rows; ++i) {
    const float* row = data + static_cast<int64_t>(i) * cols;
    int64_t w = indptr[i];
    for (int32_t j = 0; j < cols; ++j) {
      if (keep(row[j], threshold)) {
        indices[w] = j;
        values[w++] = row[j];
      }
    }
  }
  return Status::ok();
}

Status csr_transpose(const CsrView& a, int32_t* tptr, int32_t* tind, float* tval, int32_t* perm) {
  Status s = check_csr(a, true, "A");
  if (!s.is_ok()) return s;
  std::fill(tptr, tptr + a.cols + 1, 0);
  for (int64_t k = 0; k < a.nnz; ++k) ++tptr[a.indices[k] + 1];
  for (int32_t j = 0; j < a.cols; ++j) tptr[j + 1] += tptr[j];
  std::vector<int32_t> next(tptr, tptr + a.cols);
  for (int32_t i = 0; i < a.rows; ++i) {
    for (int32_t k = a.indptr[i]; k < a.indptr[i + 1]; ++k) {
      const int32_t dst = next[a.indices[k]]++;
      tind[dst] = i;
      if (tval) tval[dst] = a.values[k];
      if (perm) perm[dst] = k;
    }
  }
  return Status::ok();
}

Status coo_to_csr(int32_t rows, int32_t cols, int64_t n, const int32_t* ri, const int32_t* ci, const float* v, bool sum,
                  int32_t* indptr, int32_t* indices, float* values, int64_t* out_nnz) {
  for (int64_t k = 0; k < n; ++k) {
    if (static_cast<uint32_t>(ri[k]) >= static_cast<uint32_t>(rows) || static_cast<uint32_t>(ci[k]) >= static_cast<uint32_t>(cols)) {
      return Status::error(Code::kRange, "coo: entry " + std::to_string(k) + " is out of range");
    }
  }
  // Two stable counting sorts (by column, then by row) leave the entries ordered by (row, col).
  std::vector<int32_t> col_start(static_cast<size_t>(cols) + 1, 0), by_col(n), order(n);
  for (int64_t k = 0; k < n; ++k) ++col_start[ci[k] + 1];
  for (int32_t j = 0; j < cols; ++j) col_start[j + 1] += col_start[j];
  for (int64_t k = 0; k < n; ++k) by_col[col_start[ci[k]]++] = static_cast<int32_t>(k);
  std::vector<int32_t> row_start(static_cast<size_t>(rows) + 1, 0);
  for (int64_t k = 0; k < n; ++k) ++row_start[ri[k] + 1];
  for (int32_t i = 0; i < rows; ++i) row_start[i + 1] += row_start[i];
  std::vector<int32_t> next(row_start.begin(), row_start.end() - 1);
  for (int64_t t = 0; t < n; ++t) {
    const int32_t k = by_col[t];
    order[next[ri[k]]++] = k;
  }
  int64_t w = 0;
  indptr[0] = 0;
  for (int32_t i = 0; i < rows; ++i) {
    const int64_t row_begin = w;
    for (int32_t t = row_start[i]; t < row_start[i + 1]; ++t) {
      const int32_t k = order[t];
      if (w > row_begin && indices[w - 1] == ci[k]) {
        if (!sum) {
          return Status::error(Code::kFormat, "coo has more than one entry at (" + std::to_string(i) + ", " +
                                                  std::to_string(ci[k]) + ") and sumDuplicates is false");
        }
        values[w - 1] += v[k];
      } else {
        indices[w] = ci[k];
        values[w++] = v[k];
      }
    }
    indptr[i + 1] = static_cast<int32_t>(w);
  }
  *out_nnz = w;
  return Status::ok();
}

namespace {

// The sorted block columns of block row `bi`, using `seen` (size ceil(cols/c), all false on entry and exit).
void block_columns(const CsrView& a, int32_t r, int32_t c, int32_t bi, std::vector<char>& seen, std::vector<int32_t>& out) {
  out.clear();
  const int32_t row_end = std::min<int64_t>(a.rows, static_cast<int64_t>(bi) * r + r);
  for (int32_t row = bi * r; row < row_end; ++row) {
    for (int32_t k = a.indptr[row]; k < a.indptr[row + 1]; ++k) {
      const int32_t bj = a.indices[k] / c;
      if (!seen[bj]) {
        seen[bj] = 1;
        out.push_back(bj);
      }
    }
  }
  std::sort(out.begin(), out.end());
  for (int32_t bj : out) seen[bj] = 0;
}

}  // namespace

Status csr_to_bsr_count(const CsrView& a, int32_t r, int32_t c, int32_t* bptr) {
  Status s = check_csr(a, true, "A");
  if (!s.is_ok()) return s;
  const int32_t br = (a.rows + r - 1) / r, bc = (a.cols + c - 1) / c;
  std::vector<char> seen(bc, 0);
  std::vector<int32_t> cols;
  bptr[0] = 0;
  for (int32_t bi = 0; bi < br; ++bi) {
    block_columns(a, r, c, bi, seen, cols);
    const int64_t total = static_cast<int64_t>(bptr[bi]) + static_cast<int64_t>(cols.size());
    if (total * r * c > 2147483647LL) return Status::error(Code::kRange, "BSR would store more than 2^31-1 values");
    bptr[bi + 1] = static_cast<int32_t>(total);
  }
  return Status::ok();
}

Status csr_to_bsr_fill(const CsrView& a, int32_t r, int32_t c, const int32_t* bptr, int32_t* bind, float* bval) {
  Status s = check_csr(a, true, "A");
  if (!s.is_ok()) return s;
  const int32_t br = (a.rows + r - 1) / r, bc = (a.cols + c - 1) / c;
  std::vector<char> seen(bc, 0);
  std::vector<int32_t> cols, slot(bc, -1);
  for (int32_t bi = 0; bi < br; ++bi) {
    block_columns(a, r, c, bi, seen, cols);
    if (static_cast<int64_t>(cols.size()) != bptr[bi + 1] - bptr[bi]) {
      return Status::error(Code::kFormat, "A changed between counting and filling its blocks");
    }
    for (size_t t = 0; t < cols.size(); ++t) {
      bind[bptr[bi] + t] = cols[t];
      slot[cols[t]] = static_cast<int32_t>(bptr[bi] + t);
    }
    const int32_t row_end = std::min<int64_t>(a.rows, static_cast<int64_t>(bi) * r + r);
    for (int32_t row = bi * r; row < row_end; ++row) {
      for (int32_t k = a.indptr[row]; k < a.indptr[row + 1]; ++k) {
        const int32_t j = a.indices[k];
        bval[(static_cast<int64_t>(slot[j / c]) * r + (row - bi * r)) * c + j % c] = a.values[k];
      }
    }
  }
  return Status::ok();
}

namespace {

Status check_bsr(const BsrView& b) {
  const int32_t br = (b.rows + b.r - 1) / b.r, bc = (b.cols + b.c - 1) / b.c;
  if (b.indptr[0] != 0 || b.indptr[br] != b.blocks) return Status::error(Code::kFormat, "A: indptr must start at 0 and end at the block count");
  for (int32_t i = 0; i < br; ++i) {
    if (b.indptr[i + 1] < b.indptr[i]) return Status::error(Code::kFormat, "A: indptr decreases at block row " + std::to_string(i));
  }
  for (int32_t i = 0; i < br; ++i) {
    for (int32_t k = b.indptr[i]; k < b.indptr[i + 1]; ++k) {
      if (static_cast<uint32_t>(b.indices[k]) >= static_cast<uint32_t>(bc)) {
        return Status::error(Code::kRange, "A: block column index " + std::to_string(b.indices[k]) + " is out of range");
      }
      // Found by fuzzing: unsorted or repeated blocks made an unsorted CSR with duplicate columns.
      if (k > b.indptr[i] && b.indices[k] <= b.indices[k - 1]) {
        return Status::error(Code::kFormat, "A: block column indices in block row " + std::to_string(i) + " are not strictly increasing");
      }
    }
  }
  return Status::ok();
}

}  // namespace

Status bsr_to_csr_count(const BsrView& b, int32_t* indptr) {
  Status s = check_bsr(b);
  if (!s.is_ok()) return s;
  indptr[0] = 0;
  for (int32_t row = 0; row < b.rows; ++row) {
    const int32_t bi = row / b.r, a = row - bi * b.r;
    int64_t count = 0;
    for (int32_t k = b.indptr[bi]; k < b.indptr[bi + 1]; ++k) {
      const float* v = b.values + (static_cast<int64_t>(k) * b.r + a) * b.c;
      const int32_t width = std::min(b.c, b.cols - b.indices[k] * b.c);
      for (int32_t t = 0; t < width; ++t) count += v[t] != 0.0f;
    }
    if (indptr[row] + count > 2147483647LL) return Status::error(Code::kRange, "more than 2^31-1 non-zeros");
    indptr[row + 1] = static_cast<int32_t>(indptr[row] + count);
  }
  return Status::ok();
}

Status bsr_to_csr_fill(const BsrView& b, const int32_t* indptr, int32_t* indices, float* values, int64_t capacity) {
  Status s = verify_counts([&](int32_t* ip) { return bsr_to_csr_count(b, ip); }, indptr, b.rows, capacity);
  if (!s.is_ok()) return s;
  for (int32_t row = 0; row < b.rows; ++row) {
    const int32_t bi = row / b.r, a = row - bi * b.r;
    int64_t w = indptr[row];
    for (int32_t k = b.indptr[bi]; k < b.indptr[bi + 1]; ++k) {
      const float* v = b.values + (static_cast<int64_t>(k) * b.r + a) * b.c;
      const int32_t width = std::min(b.c, b.cols - b.indices[k] * b.c);
      for (int32_t t = 0; t < width; ++t) {
        if (v[t] != 0.0f) {
          indices[w] = b.indices[k] * b.c + t;
          values[w++] = v[t];
        }
      }
    }
  }
  return Status::ok();
}

Status csr_to_nm(const CsrView& a, int32_t n, int32_t m, float* values, uint8_t* positions) {
  Status s = check_csr(a, true, "A");
  if (!s.is_ok()) return s;
  const int64_t groups = (static_cast<int64_t>(a.cols) + m - 1) / m;
  std::vector<uint8_t> filled_pos(n);
  std::vector<float> filled_val(n);
  for (int32_t i = 0; i < a.rows; ++i) {
    int32_t k = a.indptr[i];
    const int32_t end = a.indptr[i + 1];
    for (int64_t g = 0; g < groups; ++g) {
      // The group's non-zeros, in column order.
      int32_t filled = 0;
      for (; k < end && a.indices[k] < (g + 1) * m; ++k) {
        if (a.values[k] == 0.0f) continue;
        if (filled == n) {
          return Status::error(Code::kFormat, "Row " + std::to_string(i) + ", columns " + std::to_string(g * m) + ".." +
                                                  std::to_string(std::min<int64_t>(a.cols, (g + 1) * m) - 1) + " hold more than " +
                                                  std::to_string(n) + " non-zeros, so the matrix is not " + std::to_string(n) +
                                                  ":" + std::to_string(m) + " sparse (use nmPrune to make it so)");
        }
        filled_pos[filled] = static_cast<uint8_t>(a.indices[k] - g * m);
        filled_val[filled++] = a.values[k];
      }
      // Spare slots take the smallest unused positions, merged in order with the filled ones.
      const int64_t base = (static_cast<int64_t>(i) * groups + g) * n;
      int32_t f = 0, spares = n - filled;
      for (int32_t slot = 0, p = 0; slot < n;) {
        if (f < filled && filled_pos[f] == p) {
          positions[base + slot] = static_cast<uint8_t>(p++);
          values[base + slot++] = filled_val[f++];
        } else if (spares > 0) {
          positions[base + slot] = static_cast<uint8_t>(p++);
          values[base + slot++] = 0.0f;
          --spares;
        } else {
          p = filled_pos[f];
        }
      }
    }
  }
  return Status::ok();
}

Status nm_to_csr_count(const NmView& a, int32_t* indptr) {
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  indptr[0] = 0;
  for (int32_t i = 0; i < a.rows; ++i) {
    int64_t count = 0;
    for (int64_t g = 0; g < groups; ++g) {
      for (int32_t s = 0; s < a.n; ++s) {
        const int64_t k = (static_cast<int64_t>(i) * groups + g) * a.n + s;
        if (a.positions[k] >= a.m || (s > 0 && a.positions[k] <= a.positions[k - 1])) {
          return Status::error(Code::kFormat, "A: positions must be strictly increasing below m (row " + std::to_string(i) + ")");
        }
        if (a.values[k] == 0.0f) continue;
        if (g * a.m + a.positions[k] >= a.cols) {
          return Status::error(Code::kFormat, "A: a non-zero slot's position is out of range (row " + std::to_string(i) + ")");
        }
        ++count;
      }
    }
    indptr[i + 1] = static_cast<int32_t>(indptr[i] + count);
  }
  return Status::ok();
}

Status nm_to_csr_fill(const NmView& a, const int32_t* indptr, int32_t* indices, float* values, int64_t capacity) {
  Status s = verify_counts([&](int32_t* ip) { return nm_to_csr_count(a, ip); }, indptr, a.rows, capacity);
  if (!s.is_ok()) return s;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  for (int32_t i = 0; i < a.rows; ++i) {
    int64_t w = indptr[i];
    for (int64_t g = 0; g < groups; ++g) {
      for (int32_t s = 0; s < a.n; ++s) {
        const int64_t k = (static_cast<int64_t>(i) * groups + g) * a.n + s;
        if (a.values[k] == 0.0f) continue;
        indices[w] = static_cast<int32_t>(g * a.m + a.positions[k]);
        values[w++] = a.values[k];
      }
    }
  }
  return Status::ok();
}

}  // namespace sk
