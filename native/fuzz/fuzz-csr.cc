// libFuzzer target: an arbitrary CSR structure (indptr and indices unchecked, possibly corrupt) through the native
// structure check, every CSR kernel at every ISA, the transpose, CSR -> BSR / N:M and the drop-and-grow step.
// Properties: no memory error (ASan/UBSan), a corrupt structure never passes check_csr, a valid one runs every
// kernel without anomalies with the same results on every ISA, and transposing twice gives the matrix back.
// The CUDA kernel bodies (native/cuda/kernels.cuh, plain C++ here) run as the CPU emulation runs them, on the same
// possibly corrupt structures: no memory error, and the scalar kernels' results and exact anomaly counts. SpMM also
// runs on a misaligned B packed into fuzzed panel widths (native/core/pack.h), and the transposed SpMM with a plan
// through a corrupt permutation.
#include <cstring>
#include <vector>

#include "../core/check.h"
#include "../core/convert.h"
#include "../core/ops.h"
#include "../core/pack.h"
#include "../core/regrow.h"
#include "../cuda/kernels.cuh"
#include "../kernels/kernels.h"
#include "fuzz-common.h"

namespace {

// The CUDA bodies on A (rows in reverse order for SpMM) against the scalar kernels; when perm is given (Aᵀ's
// structure t with a permutation into A's values, possibly corrupt), the transposed SpMM too.
void cuda_bodies(const sk::CsrF32& a, int32_t n, const std::vector<float>& b, const std::vector<float>& bt) {
  using sk::cuda::HostWarp;
  const int32_t rows = a.rows, cols = a.cols;
  std::vector<int32_t> order(rows);
  for (int32_t i = 0; i < rows; ++i) order[i] = rows - 1 - i;
  std::vector<float> c(static_cast<size_t>(rows) * n), c_ref = c, y(rows), y_ref = y, x(cols + 1, 0.5f), out(a.nnz), out_ref = out;
  const int64_t spmm_bad = sk::cuda::emulate_spmm(sk::cuda::SpmmDevice{{a, b.data(), n, c.data(), n, n, 1.0f, 0.0f}, order.data(), nullptr, a.nnz},
                                                  sk::cuda::spmm_grid(rows, n, b.data(), n, c.data(), n));
  const int64_t spmm_ref = sk::sk_f32_spmm_csr__scalar({a, b.data(), n, c_ref.data(), n, n, 1.0f, 0.0f}, 0, rows);
  fuzz::require(spmm_bad == spmm_ref && fuzz::close(c, c_ref), "CUDA SpMM body disagrees with the scalar kernel");
  const sk::SpmvParams pv{a, x.data(), y.data(), 1.0f, 0.0f};
  const int64_t spmv_bad = sk::cuda::emulate_rows(rows, [&](int32_t i) { return sk::cuda::spmv_row(pv, i, HostWarp{}); });
  const int64_t spmv_ref = sk::sk_f32_spmv_csr__scalar({a, x.data(), y_ref.data(), 1.0f, 0.0f}, 0, rows);
  fuzz::require(spmv_bad == spmv_ref && fuzz::close(y, y_ref), "CUDA SpMV body disagrees with the scalar kernel");
  const sk::SddmmParams pd{a, bt.data(), n, b.data(), n, n, out.data(), 1.0f, 0.0f};
  const int64_t sddmm_bad = sk::cuda::emulate_rows(rows, [&](int32_t i) { return sk::cuda::sddmm_row(pd, i, HostWarp{}); });
  const int64_t sddmm_ref = sk::sk_f32_sddmm_csr__scalar({a, bt.data(), n, b.data(), n, n, out_ref.data(), 1.0f, 0.0f}, 0, rows);
  fuzz::require(sddmm_bad == sddmm_ref && fuzz::close(out, out_ref), "CUDA SDDMM body disagrees with the scalar kernel");
  const int64_t check_bad = sk::cuda::emulate_rows(rows, [&](int32_t i) { return sk::cuda::check_row(a, i, HostWarp{}); });
  fuzz::require(check_bad == spmv_ref, "CUDA structure check disagrees with the scalar kernels' anomaly count");
}

// The transposed SpMM body over Aᵀ's structure with a permutation that may be corrupt: never reads out of range.
void cuda_transposed(const sk::CsrF32& t, const std::vector<int32_t>& perm, int64_t values_len, int32_t n, const std::vector<float>& bt) {
  std::vector<float> c(static_cast<size_t>(t.rows) * n);
  (void)sk::cuda::emulate_spmm(sk::cuda::SpmmDevice{{t, bt.data(), n, c.data(), n, n, 1.0f, 0.0f}, nullptr, perm.data(), values_len},
                               sk::cuda::spmm_grid(t.rows, n, bt.data(), n, c.data(), n));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::single_thread();
  fuzz::Reader in{data, size};
  const int32_t rows = in.small(0, 12), cols = in.small(0, 12), n = in.small(1, 19);
  const int32_t nnz = in.small(0, 40);
  std::vector<int32_t> indptr(rows + 1), indices(nnz);
  std::vector<float> values(nnz);
  const bool wild = in.u8() < 64;  // a quarter of inputs: raw structure; else a mostly valid one
  int32_t at = 0;
  for (int32_t i = 0; i <= rows; ++i) {
    if (wild) indptr[i] = in.small(-2, nnz + 2);
    else indptr[i] = i == 0 ? 0 : i == rows ? nnz : (at = std::min(nnz, at + in.small(0, 5)));
  }
  for (int32_t k = 0; k < nnz; ++k) indices[k] = wild ? in.small(-3, cols + 3) : in.small(0, std::max(cols - 1, 0));
  for (int32_t k = 0; k < nnz; ++k) values[k] = in.value();
  const sk::CsrF32 a{rows, cols, nnz, indptr.data(), indices.data(), values.data()};
  const sk::Status valid = sk::check_csr(a, true, "A");
  const bool in_bounds = sk::check_csr(a, false, "A").is_ok();

  std::vector<float> x(cols + 1, 0.5f), b(static_cast<size_t>(cols) * n + 1), bt(static_cast<size_t>(rows) * n + 1);
  for (size_t i = 0; i < b.size(); ++i) b[i] = fuzz::Reader{data, size, i}.value();
  for (size_t i = 0; i < bt.size(); ++i) bt[i] = fuzz::Reader{data, size, i + 7}.value();
  std::vector<float> ref_spmm, ref_spmmt;
  for (int isa : fuzz::isas()) {
    sk::set_active_isa(isa);
    std::vector<float> y(rows), c(static_cast<size_t>(rows) * n), ct(static_cast<size_t>(cols) * n), out(nnz);
    const sk::Status s1 = sk::spmv_csr_f32({a, x.data(), y.data(), 1.0f, 0.0f});
    const sk::Status s2 = sk::spmm_csr_f32({a, b.data(), n, c.data(), n, n, 1.0f, 0.0f});
    const sk::Status s3 = sk::spmmt_csr_f32({a, bt.data(), n, ct.data(), n, n, 1.0f, 0.0f});
    const sk::Status s4 = sk::sddmm_csr_f32({a, bt.data(), n, b.data(), n, n, out.data(), 1.0f, 0.0f});
    // B one float past its start, packed into aligned panels of a fuzzed width and walked in L1 blocks of a fuzzed
    // size (8 rows of B and up), against the same B used in place. SDDMM likewise with Y one float past its start,
    // packed in panels of the fuzzed width, and packed whole.
    std::vector<float> cp(c.size()), cu(c.size()), op(nnz), ou(nnz);
    sk::set_pack_tuning(sk::PackMode::kAlways, in.small(1, 24), 64 * in.small(1, 8));
    const sk::Status s5 = sk::spmm_csr_f32({a, b.data() + 1, n, cp.data(), n, n, 1.0f, 0.0f});
    const sk::Status s7 = sk::sddmm_csr_f32({a, bt.data(), n, b.data() + 1, n, n, op.data(), 1.0f, 0.0f});
    // No forced width: Y packed whole once per call (shared by the tasks), X's rows copied a few at a time.
    std::vector<float> os(nnz);
    sk::set_pack_tuning(sk::PackMode::kAlways, 0);
    const sk::Status s10 = sk::sddmm_csr_f32({a, bt.data(), n, b.data() + 1, n, n, os.data(), 1.0f, 0.0f});
    sk::set_pack_tuning(sk::PackMode::kNever, 0);
    const sk::Status s6 = sk::spmm_csr_f32({a, b.data() + 1, n, cu.data(), n, n, 1.0f, 0.0f});
    const sk::Status s8 = sk::sddmm_csr_f32({a, bt.data(), n, b.data() + 1, n, n, ou.data(), 1.0f, 0.0f});
    sk::set_pack_tuning(sk::PackMode::kAuto, 0);
    // B given transposed (n rows of cols floats): packed into panels through the transposing copy.
    std::vector<float> btr(static_cast<size_t>(cols) * n + 1), ctr(c.size());
    for (int32_t r = 0; r < cols; ++r)
      for (int32_t j = 0; j < n; ++j) btr[static_cast<size_t>(j) * cols + r] = b[1 + static_cast<size_t>(r) * n + j];
    sk::SpmmParams pt{a, btr.data(), cols, ctr.data(), n, n, 1.0f, 0.0f};
    pt.b_trans = true;
    const sk::Status s9 = sk::spmm_csr_f32(pt);
    fuzz::require(s9.is_ok() == s6.is_ok(), "a transposed B changed whether a CSR is reported corrupt");
    if (in_bounds) fuzz::require(fuzz::close(ctr, cu), "B given transposed and B in place disagree");
    fuzz::require(s5.is_ok() == s6.is_ok() && s7.is_ok() == s8.is_ok() && s10.is_ok() == s8.is_ok(), "packing changed whether a CSR is reported corrupt");
    if (in_bounds) fuzz::require(fuzz::close(op, ou) && fuzz::close(os, ou), "SDDMM with Y packed and in place disagree");
    if (in_bounds) {
      fuzz::require(s1.is_ok() && s2.is_ok() && s3.is_ok() && s4.is_ok(), "an in-bounds CSR made a kernel report an anomaly");
      if (ref_spmm.empty()) ref_spmm = c, ref_spmmt = ct;
      fuzz::require(fuzz::close(c, ref_spmm) && fuzz::close(ct, ref_spmmt), "ISAs disagree on a valid CSR");
      fuzz::require(fuzz::close(cp, cu), "packed and in-place B disagree");
    }
  }
  sk::set_active_isa(sk::best_isa());
  cuda_bodies(a, n, b, bt);

  std::vector<int32_t> t_indptr(cols + 1), t_indices(nnz), perm(nnz);
  std::vector<float> t_values(nnz);
  const sk::Status st = sk::csr_transpose(a, t_indptr.data(), t_indices.data(), t_values.data(), perm.data());
  fuzz::require(!valid.is_ok() || st.is_ok(), "transpose refused a valid CSR");
  if (valid.is_ok()) {
    std::vector<int32_t> r_indptr(rows + 1), r_indices(nnz);
    std::vector<float> r_values(nnz);
    const sk::CsrF32 t{cols, rows, nnz, t_indptr.data(), t_indices.data(), t_values.data()};
    fuzz::require(sk::check_csr(t, true, "At").is_ok(), "the transpose of a valid CSR is not valid");
    fuzz::require(sk::csr_transpose(t, r_indptr.data(), r_indices.data(), r_values.data()).is_ok(), "transpose back failed");
    fuzz::require(r_indptr == indptr && r_indices == indices && r_values == values, "transposing twice changed the matrix");
    // The CUDA transposed SpMM through this structure equals the scalar scatter; then with a corrupted permutation.
    std::vector<float> ct(static_cast<size_t>(cols) * n), ct_ref = ct;
    sk::sk_f32_spmmt_csr__scalar({a, bt.data(), n, ct_ref.data(), n, n, 1.0f, 0.0f}, 0, n);
    const sk::CsrF32 tv{cols, rows, nnz, t_indptr.data(), t_indices.data(), values.data()};
    fuzz::require(sk::cuda::emulate_spmm(sk::cuda::SpmmDevice{{tv, bt.data(), n, ct.data(), n, n, 1.0f, 0.0f}, nullptr, perm.data(), nnz},
                                         sk::cuda::spmm_grid(cols, n, bt.data(), n, ct.data(), n)) == 0 && fuzz::close(ct, ct_ref),
                  "CUDA transposed SpMM body disagrees with the scalar kernel");
    for (int32_t k = 0; k < nnz; ++k) perm[k] = in.small(-2, nnz + 2);
    cuda_transposed(tv, perm, nnz, n, bt);
    // The CPU transposed SpMM through the same (possibly corrupt) permutation, packed and not: an out-of-range
    // entry is an error, never a read outside A's values.
    bool perm_bad = false;
    for (int32_t k = 0; k < nnz; ++k) perm_bad |= perm[k] < 0 || perm[k] >= nnz;
    const sk::CsrF32 ts{cols, rows, nnz, t_indptr.data(), t_indices.data(), nullptr};  // values: gathered per task
    for (sk::PackMode mode : {sk::PackMode::kNever, sk::PackMode::kAlways}) {
      // packed: panels of 8 columns, so widths above 8 take the gathering path; both walked in L1 blocks
      sk::set_pack_tuning(mode, 8, 64);
      std::fill(ct.begin(), ct.end(), 0.0f);
      const sk::Status sp = sk::spmmt_plan_csr_f32({{ts, bt.data(), n, ct.data(), n, n, 1.0f, 0.0f}, perm.data(), values.data(), nnz});
      fuzz::require(sp.is_ok() != perm_bad, "a corrupt transpose-plan permutation was not reported (or a valid one was)");
      // The same through a value cache, kept as TransposePlan keeps it (filled only by a call that succeeded and read
      // the values): a refill, a call that finds it current with beta 0 (compared by the tasks as they multiply),
      // one with beta 1 on a zero C (compared first). The first two give the gathering call's bits.
      std::vector<float> cache_values(nnz), snapshot(nnz);
      int32_t state[2] = {0, 2};
      for (int round = 0; round < 3; ++round) {
        std::vector<float> cc(ct.size(), 0.0f);
        const sk::SpmmtPlanParams cp{{ts, bt.data(), n, cc.data(), n, n, 1.0f, round == 2 ? 1.0f : 0.0f}, perm.data(), values.data(), nnz,
                                     cache_values.data(), snapshot.data(), state};
        const sk::Status sc = sk::spmmt_plan_csr_f32(cp);
        fuzz::require(sc.is_ok() == sp.is_ok(), "the value cache changed whether a transposed product succeeds");
        if (!sc.is_ok()) {
          state[0] = 0;
          continue;
        }
        if (state[1] == 2) continue;  // no values read (width 0)
        state[0] = 1;
        fuzz::require(state[1] == (round == 0 ? 0 : 1), "the value cache was not refilled first and used after");
        fuzz::require(round == 2 ? fuzz::close(cc, ct) : std::memcmp(cc.data(), ct.data(), cc.size() * sizeof(float)) == 0,
                      "a transposed product through the value cache differs from the gathering one");
      }
      // A value changed (one bit) after the cache was filled: with beta 0 the tasks' compare finds it and the call
      // runs again, refilling; it gives the gathering call's bits for the new values.
      if (state[0] == 1 && nnz > 0) {
        std::vector<float> changed = values;
        uint32_t bits;
        const int32_t at = in.small(0, nnz - 1);
        std::memcpy(&bits, &changed[at], sizeof bits);
        bits ^= 1u;
        std::memcpy(&changed[at], &bits, sizeof bits);
        std::vector<float> cg(ct.size(), 0.0f), cc(ct.size(), 0.0f);
        const sk::Status g = sk::spmmt_plan_csr_f32({{ts, bt.data(), n, cg.data(), n, n, 1.0f, 0.0f}, perm.data(), changed.data(), nnz});
        const sk::Status c = sk::spmmt_plan_csr_f32({{ts, bt.data(), n, cc.data(), n, n, 1.0f, 0.0f}, perm.data(), changed.data(), nnz,
                                                    cache_values.data(), snapshot.data(), state});
        fuzz::require(g.is_ok() && c.is_ok() && state[1] == 0, "a changed value did not refill the value cache");
        fuzz::require(std::memcmp(cc.data(), cg.data(), cc.size() * sizeof(float)) == 0,
                      "a transposed product after a changed value differs from the gathering one");
      }
      // Aᵀ's indptr changed too (a plan's arrays written after it was made): each task checks its rows' bounds
      // before reading the values it gathered; ASan and UBSan see any read outside them.
      std::vector<int32_t> t_bad = t_indptr;
      t_bad[in.small(0, cols)] = in.small(-2, nnz + 2);
      const sk::CsrF32 tb{cols, rows, nnz, t_bad.data(), t_indices.data(), nullptr};
      (void)sk::spmmt_plan_csr_f32({{tb, bt.data(), n, ct.data(), n, n, 1.0f, 0.0f}, perm.data(), values.data(), nnz});
    }
    sk::set_pack_tuning(sk::PackMode::kAuto, 0);
  }

  const int32_t br = in.small(1, 5), bc = in.small(1, 5);
  std::vector<int32_t> bsr_indptr((rows + br - 1) / br + 1);
  if (sk::csr_to_bsr_count(a, br, bc, bsr_indptr.data()).is_ok()) {
    const int32_t blocks = bsr_indptr.back();
    fuzz::require(blocks >= 0 && blocks <= static_cast<int64_t>(bsr_indptr.size()) * ((cols + bc - 1) / bc + 1), "BSR block count out of range");
    std::vector<int32_t> bsr_indices(blocks);
    std::vector<float> bsr_values(static_cast<size_t>(blocks) * br * bc);
    (void)sk::csr_to_bsr_fill(a, br, bc, bsr_indptr.data(), bsr_indices.data(), bsr_values.data());
  }
  const int32_t nm_n = in.small(1, 4), nm_m = std::max<int32_t>(nm_n, in.small(1, 8));
  const size_t slots = static_cast<size_t>(rows) * ((cols + nm_m - 1) / nm_m) * nm_n;
  std::vector<float> nm_values(slots);
  std::vector<uint8_t> nm_positions(slots);
  (void)sk::csr_to_nm(a, nm_n, nm_m, nm_values.data(), nm_positions.data());

  std::vector<float> scores(static_cast<size_t>(rows) * cols);
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = fuzz::Reader{data, size, i + 3}.value();
  std::vector<int32_t> g_indptr(rows + 1), g_indices(nnz), from(nnz);
  std::vector<float> g_values(nnz);
  const int64_t k = in.small(0, nnz);
  const sk::Status sg = sk::regrow_csr_f32({a, k, scores.data(), (in.u8() & 1) != 0, g_indptr.data(), g_indices.data(), g_values.data(), from.data()});
  fuzz::require(!valid.is_ok() || sg.is_ok(), "regrow refused a valid CSR");
  if (sg.is_ok()) {
    fuzz::require(sk::check_csr({rows, cols, nnz, g_indptr.data(), g_indices.data(), g_values.data()}, true, "G").is_ok(),
                  "regrow produced an invalid pattern");
  }
  return 0;
}
