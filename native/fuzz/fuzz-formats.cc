// libFuzzer target: arbitrary BSR, N:M and COO inputs (structure unchecked, possibly corrupt) through the
// conversions that read them and the BSR / N:M kernels at every ISA, and dense GEMM shapes and offsets. Properties:
// no memory error (ASan/UBSan); conversions either refuse or produce a valid CSR; the kernels agree across ISAs
// whenever the scalar one accepts.
#include <vector>

#include "../core/check.h"
#include "../core/convert.h"
#include "../core/ops.h"
#include "../core/pack.h"
#include "fuzz-common.h"

namespace {

void bsr_case(fuzz::Reader& in) {
  const int32_t rows = in.small(0, 13), cols = in.small(0, 13), r = in.small(1, 5), c = in.small(1, 5), n = in.small(1, 18);
  const int32_t brows = (rows + r - 1) / r, bcols = (cols + c - 1) / c;
  const int32_t blocks = in.small(0, 12);
  std::vector<int32_t> indptr(brows + 1), indices(blocks);
  for (int32_t i = 0; i <= brows; ++i) indptr[i] = i == 0 && in.u8() > 16 ? 0 : in.small(-1, blocks + 1);
  for (int32_t k = 0; k < blocks; ++k) indices[k] = in.small(-1, bcols + 1);
  std::vector<float> values(static_cast<size_t>(blocks) * r * c);
  for (float& v : values) v = in.value();
  const sk::BsrView b{rows, cols, r, c, indptr.data(), indices.data(), values.data(), blocks};
  std::vector<int32_t> out_indptr(rows + 1);
  if (sk::bsr_to_csr_count(b, out_indptr.data()).is_ok()) {
    const int32_t nnz = out_indptr[rows];
    fuzz::require(nnz >= 0 && nnz <= static_cast<int64_t>(blocks) * r * c, "BSR -> CSR count out of range");
    std::vector<int32_t> out_indices(nnz);
    std::vector<float> out_values(nnz);
    if (sk::bsr_to_csr_fill(b, out_indptr.data(), out_indices.data(), out_values.data(), nnz).is_ok()) {
      fuzz::require(sk::check_csr({rows, cols, nnz, out_indptr.data(), out_indices.data(), out_values.data()}, true, "C").is_ok(),
                    "BSR -> CSR produced an invalid CSR");
    }
  }
  const sk::BsrF32 k{rows, cols, r, c, blocks, indptr.data(), indices.data(), values.data()};
  std::vector<float> bm(static_cast<size_t>(cols) * n, 0.25f), ref;
  bool ref_ok = false;
  for (int isa : fuzz::isas()) {
    sk::set_active_isa(isa);
    std::vector<float> cm(static_cast<size_t>(rows) * n, 1.0f);
    const bool ok = sk::spmm_bsr_f32({k, bm.data(), n, cm.data(), n, n, 1.0f, 0.5f}).is_ok();
    if (isa == sk::kIsaScalar) ref = cm, ref_ok = ok;
    else fuzz::require(ok == ref_ok && (!ok || fuzz::close(cm, ref)), "BSR SpMM: ISAs disagree");
  }
}

void nm_case(fuzz::Reader& in) {
  const int32_t rows = in.small(0, 9), cols = in.small(0, 17), nn = in.small(1, 4), m = std::max<int32_t>(nn, in.small(1, 9));
  const int32_t n = in.small(1, 18);
  const size_t slots = static_cast<size_t>(rows) * ((cols + m - 1) / m) * nn;
  std::vector<float> values(slots);
  std::vector<uint8_t> positions(slots);
  for (size_t s = 0; s < slots; ++s) values[s] = in.value(), positions[s] = static_cast<uint8_t>(in.small(0, m + 1));
  const sk::NmView a{rows, cols, nn, m, values.data(), positions.data()};
  std::vector<int32_t> indptr(rows + 1);
  if (sk::nm_to_csr_count(a, indptr.data()).is_ok()) {
    const int32_t nnz = indptr[rows];
    fuzz::require(nnz >= 0 && static_cast<size_t>(nnz) <= slots, "N:M -> CSR count out of range");
    std::vector<int32_t> indices(nnz);
    std::vector<float> vals(nnz);
    if (sk::nm_to_csr_fill(a, indptr.data(), indices.data(), vals.data(), nnz).is_ok()) {
      fuzz::require(sk::check_csr({rows, cols, nnz, indptr.data(), indices.data(), vals.data()}, false, "C").is_ok(),
                    "N:M -> CSR produced an out-of-range CSR");
    }
  }
  const sk::NmF32 k{rows, cols, nn, m, values.data(), positions.data()};
  std::vector<float> x(cols, 0.5f), bm(static_cast<size_t>(cols) * n), ref_y, ref_c;
  for (size_t t = 0; t < bm.size(); ++t) bm[t] = 0.25f + 0.125f * static_cast<float>(t % 7);
  const bool trans = in.u8() & 1;
  bool ref_ok = false;
  for (int isa : fuzz::isas()) {
    sk::set_active_isa(isa);
    std::vector<float> y(rows, 1.0f), cm(static_cast<size_t>(rows) * n, 1.0f);
    const bool ok1 = sk::spmv_nm_f32({k, x.data(), y.data(), 1.0f, 0.5f}).is_ok();
    sk::set_pack_tuning(sk::PackMode::kAuto, 0, in.u8() < 128 ? 64 : 0);  // L1 blocks of 8 rows of B, or as planned
    sk::SpmmNmParams q{k, bm.data(), trans ? cols : n, cm.data(), n, n, 1.0f, 0.5f};
    q.b_trans = trans;  // B given transposed (n x cols): narrow widths read its rows in place
    const bool ok2 = sk::spmm_nm_f32(q).is_ok();
    sk::set_pack_tuning(sk::PackMode::kAuto, 0);
    fuzz::require(ok1 == ok2, "N:M SpMV and SpMM disagree on the structure");
    if (isa == sk::kIsaScalar) ref_y = y, ref_c = cm, ref_ok = ok1;
    else fuzz::require(ok1 == ref_ok && (!ok1 || (fuzz::close(y, ref_y) && fuzz::close(cm, ref_c))), "N:M: ISAs disagree");
  }
}

void coo_case(fuzz::Reader& in) {
  const int32_t rows = in.small(0, 9), cols = in.small(0, 9), count = in.small(0, 30);
  std::vector<int32_t> ri(count), ci(count);
  std::vector<float> v(count);
  for (int32_t k = 0; k < count; ++k) ri[k] = in.small(-1, rows), ci[k] = in.small(-1, cols), v[k] = in.value();
  std::vector<int32_t> indptr(rows + 1), indices(count);
  std::vector<float> values(count);
  int64_t nnz = -1;
  const bool sum = in.u8() & 1;
  if (sk::coo_to_csr(rows, cols, count, ri.data(), ci.data(), v.data(), sum, indptr.data(), indices.data(), values.data(), &nnz).is_ok()) {
    fuzz::require(nnz >= 0 && nnz <= count, "COO -> CSR count out of range");
    fuzz::require(sk::check_csr({rows, cols, nnz, indptr.data(), indices.data(), values.data()}, true, "C").is_ok(),
                  "COO -> CSR produced an invalid CSR");
  }
}

// Dense GEMM, no structure to corrupt, for the operator's packing paths under the sanitizers: narrow B (packed
// transposed), wide B packed into padded rows or read in place (the pack mode from the input), op(A) copied per task
// (trans_a; k past one 256-step chunk), operands at 0-3 floats past their buffers' start, lda/ldb/ldc past the row.
void gemm_case(fuzz::Reader& in) {
  const int32_t m = in.small(1, 9), n = in.small(1, 40);
  const int32_t k = in.u8() < 32 ? in.small(250, 300) : in.small(0, 40);
  const bool trans = in.u8() & 1;
  const int64_t lda = (trans ? m : k) + in.small(0, 3), ldb = n + in.small(0, 3), ldc = n + in.small(0, 3);
  const int32_t oa = in.small(0, 3), ob = in.small(0, 3), oc = in.small(0, 3);
  const float beta = in.u8() & 1 ? 0.5f : 0.0f;
  const sk::PackMode mode = static_cast<sk::PackMode>(in.small(0, 2));
  std::vector<float> a(oa + static_cast<size_t>(trans ? k : m) * lda), b(ob + static_cast<size_t>(k) * ldb);
  for (float& v : a) v = in.value();
  for (float& v : b) v = in.value();
  std::vector<float> ref;
  for (int isa : fuzz::isas()) {
    sk::set_active_isa(isa);
    sk::set_pack_tuning(mode, 0);
    std::vector<float> c(oc + static_cast<size_t>(m) * ldc, 1.0f);
    const bool ok = sk::gemm_f32({a.data() + oa, lda, trans, b.data() + ob, ldb, c.data() + oc, ldc, m, n, k, 1.0f, beta}).is_ok();
    sk::set_pack_tuning(sk::PackMode::kAuto, 0);
    fuzz::require(ok, "gemm refused a valid product");
    if (isa == sk::kIsaScalar) ref = c;
    else fuzz::require(fuzz::close(c, ref), "gemm: ISAs disagree");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::single_thread();
  fuzz::Reader in{data, size};
  switch (in.u8() % 4) {
    case 0: bsr_case(in); break;
    case 1: nm_case(in); break;
    case 3: gemm_case(in); break;
    default: coo_case(in); break;
  }
  sk::set_active_isa(sk::best_isa());
  return 0;
}
