// A standalone test runner for the native kernels, without Node: every kernel family at every ISA this CPU has is
// compared against the scalar kernels over awkward shapes (empty rows, one column, widths that are not multiples
// of any vector width, leading dimensions wider than the matrix, unaligned pointers), with 1 and 2 threads, and a
// corrupt index must be reported the same way on every path. Built by scripts/native-tests.sh for this machine and,
// cross-compiled, for arm64 under qemu-user (the NEON kernels). Exit status 0 when everything matches.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include "../core/cpu.h"
#include "../core/ops.h"
#include "../core/pack.h"
#include "../core/thread_pool.h"

namespace {

int g_failures = 0, g_checks = 0;

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return static_cast<uint32_t>(s >> 16);
  }
  float uniform() { return static_cast<float>(next() % 2000001) / 1000000.0f - 1.0f; }  // [-1, 1]
  bool chance(double p) { return (next() % 1000000) < p * 1000000; }
};

// A floating-point buffer whose data starts one float past an aligned address, poisoned with NaN around it.
struct Buf {
  std::vector<float> store;
  float* data;
  size_t n;
  explicit Buf(size_t count, Rng* r = nullptr) : store(count + 18, NAN), data(store.data() + 1), n(count) {
    for (size_t i = 0; i < n; ++i) data[i] = r ? r->uniform() : 0.0f;
  }
};

struct Csr {
  int32_t rows, cols;
  std::vector<int32_t> indptr, indices;
  std::vector<float> values;
  sk::CsrF32 view() const { return {rows, cols, static_cast<int64_t>(indices.size()), indptr.data(), indices.data(), values.data()}; }
};

Csr random_csr(int32_t rows, int32_t cols, double density, Rng& r) {
  Csr a{rows, cols, {0}, {}, {}};
  for (int32_t i = 0; i < rows; ++i) {
    if (i % 5 == 2) {  // some empty rows whatever the density
      a.indptr.push_back(static_cast<int32_t>(a.indices.size()));
      continue;
    }
    for (int32_t j = 0; j < cols; ++j)
      if (r.chance(density)) a.indices.push_back(j), a.values.push_back(r.uniform());
    a.indptr.push_back(static_cast<int32_t>(a.indices.size()));
  }
  return a;
}

void expect_close(const std::string& what, const float* got, const float* want, size_t n) {
  ++g_checks;
  for (size_t i = 0; i < n; ++i) {
    const double tol = 2e-4 * (1.0 + std::fabs(want[i]));
    if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol)) {
      if (++g_failures <= 20) std::printf("FAIL %s: [%zu] = %.7g, scalar %.7g\n", what.c_str(), i, got[i], want[i]);
      return;
    }
  }
}

void expect_status(const std::string& what, const sk::Status& got, const sk::Status& want) {
  ++g_checks;
  if (got.code != want.code) {
    if (++g_failures <= 20) std::printf("FAIL %s: status %d, scalar %d\n", what.c_str(), static_cast<int>(got.code), static_cast<int>(want.code));
  }
}

// Runs `run` (which fills and returns an output) at the scalar ISA, then at every other ISA the CPU has, with 1 and
// 2 threads, and compares each against the scalar result.
void compare(const std::string& name, const std::function<sk::Status(std::vector<float>*)>& run, bool expect_error = false) {
  for (int threads : {1, 2}) {
    sk::set_pool_threads(threads);
    sk::set_active_isa(sk::kIsaScalar);
    std::vector<float> want;
    const sk::Status want_status = run(&want);
    if (want_status.is_ok() == expect_error) {
      ++g_failures;
      std::printf("FAIL %s: the scalar kernel %s\n", name.c_str(), expect_error ? "did not report the corruption" : "failed");
    }
    for (int isa = 1; isa < sk::kIsaCount; ++isa) {
      if (!(sk::supported_isas() & (1u << isa))) continue;
      sk::set_active_isa(isa);
      // Each packing choice: B, Y in place (the kernels' edge tiles, shifted or masked) or packed into padded
      // panels (SpmmParams::b_padded: whole-vector loads past n), and whatever the operator picks.
      for (sk::PackMode mode : {sk::PackMode::kAuto, sk::PackMode::kAlways, sk::PackMode::kNever}) {
        sk::set_pack_tuning(mode, 0);
        std::vector<float> got;
        const sk::Status got_status = run(&got);
        const std::string what = name + " isa=" + sk::isa_name(isa) + " threads=" + std::to_string(threads) + " packing=" +
                                 (mode == sk::PackMode::kAuto ? "auto" : mode == sk::PackMode::kAlways ? "always" : "never");
        expect_status(what, got_status, want_status);
        if (got.size() != want.size()) {
          ++g_failures;
          std::printf("FAIL %s: output sizes differ\n", what.c_str());
        } else {
          expect_close(what, got.data(), want.data(), got.size());
        }
      }
      sk::set_pack_tuning(sk::PackMode::kAuto, 0);
    }
  }
  sk::set_active_isa(sk::best_isa());
}

std::string shape(const char* fam, int a, int b, int c, double d) {
  char s[128];
  std::snprintf(s, sizeof s, "%s %dx%d n=%d density=%.1f", fam, a, b, c, d);
  return s;
}

const int kRows[] = {0, 1, 7, 13, 37};
const int kCols[] = {1, 4, 16, 33};
const int kWidths[] = {1, 2, 3, 4, 5, 7, 9, 15, 16, 17, 33, 64, 65};
const double kDensities[] = {0.0, 0.3, 1.0};

void test_csr_kernels() {
  Rng r(1);
  for (int rows : kRows)
    for (int cols : kCols)
      for (double d : kDensities) {
        const Csr a = random_csr(rows, cols, d, r);
        Buf x(cols, &r), y0(rows, &r);
        compare(shape("spmv", rows, cols, 1, d), [&](std::vector<float>* out) {
          std::vector<float> y(y0.data, y0.data + rows);
          sk::Status s = sk::spmv_csr_f32({a.view(), x.data, y.data(), 1.5f, 0.5f});
          *out = y;
          return s;
        });
        for (int n : kWidths) {
          const int64_t ldb = n + 3, ldc = n + 2;
          Buf b(static_cast<size_t>(cols) * ldb, &r), bt(static_cast<size_t>(rows) * ldb, &r);
          Buf c0(static_cast<size_t>(std::max(rows, cols)) * ldc, &r);
          compare(shape("spmm", rows, cols, n, d), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + static_cast<size_t>(rows) * ldc);
            sk::Status s = sk::spmm_csr_f32({a.view(), b.data, ldb, c.data(), ldc, n, 0.75f, -0.5f});
            *out = c;
            return s;
          });
          compare(shape("spmmT", rows, cols, n, d), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + static_cast<size_t>(cols) * ldc);
            sk::Status s = sk::spmmt_csr_f32({a.view(), bt.data, ldb, c.data(), ldc, n, 1.25f, 0.5f});
            *out = c;
            return s;
          });
          Buf xs(static_cast<size_t>(rows) * ldb, &r), ys(static_cast<size_t>(cols) * ldb, &r);
          compare(shape("sddmm", rows, cols, n, d), [&](std::vector<float>* out) {
            std::vector<float> o(a.values);
            sk::Status s = sk::sddmm_csr_f32({a.view(), xs.data, ldb, ys.data, ldb, n, o.data(), 1.0f, 0.25f});
            *out = o;
            return s;
          });
        }
      }
  // A corrupt column index: every path reports it (ERR_FORMAT) and reads nothing out of range.
  Csr bad = random_csr(9, 6, 1.0, r);
  bad.indices[3] = 1000;
  Buf x(6, &r), b(6 * 17, &r);
  compare("spmv corrupt", [&](std::vector<float>* out) {
    std::vector<float> y(9, 0.0f);
    sk::Status s = sk::spmv_csr_f32({bad.view(), x.data, y.data(), 1.0f, 0.0f});
    out->clear();
    return s;
  }, true);
  compare("spmm corrupt", [&](std::vector<float>* out) {
    std::vector<float> c(9 * 17, 0.0f);
    sk::Status s = sk::spmm_csr_f32({bad.view(), b.data, 17, c.data(), 17, 17, 1.0f, 0.0f});
    out->clear();
    return s;
  }, true);
}

void test_bsr() {
  Rng r(2);
  // The specialised tiles, and the generic ones: 8x8 and 12x3 (passes of 4 rows, the last one of a short block row
  // partial), 3x5 (one row at a time).
  const int shapes[][2] = {{1, 4}, {4, 1}, {4, 4}, {8, 1}, {16, 1}, {8, 8}, {12, 3}, {3, 5}};
  for (const auto& bs : shapes)
    for (int rows : {1, 13, 37})
      for (int cols : {4, 17})
        for (int n : {1, 2, 5, 9, 16, 33}) {
          const int br = (rows + bs[0] - 1) / bs[0], bc = (cols + bs[1] - 1) / bs[1];
          std::vector<int32_t> indptr{0}, indices;
          std::vector<float> values;
          for (int i = 0; i < br; ++i) {
            for (int j = 0; j < bc; ++j)
              if (r.chance(0.5)) {
                indices.push_back(j);
                for (int e = 0; e < bs[0] * bs[1]; ++e) {
                  // zero padding outside the matrix, as the format requires
                  const int ri = i * bs[0] + e / bs[1], ci = j * bs[1] + e % bs[1];
                  values.push_back(ri < rows && ci < cols ? r.uniform() : 0.0f);
                }
              }
            indptr.push_back(static_cast<int32_t>(indices.size()));
          }
          const sk::BsrF32 a{rows, cols, bs[0], bs[1], static_cast<int64_t>(indices.size()), indptr.data(), indices.data(), values.data()};
          const int64_t ld = n + 1;
          Buf b(static_cast<size_t>(cols) * ld, &r), c0(static_cast<size_t>(rows) * ld, &r);
          compare(shape("bsr", rows, cols, n, bs[0] * 10 + bs[1]), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + c0.n);
            sk::Status s = sk::spmm_bsr_f32({a, b.data, ld, c.data(), ld, n, 1.0f, 0.5f});
            *out = c;
            return s;
          });
        }
}

void test_nm() {
  Rng r(3);
  const int nms[][2] = {{2, 4}, {1, 4}, {2, 8}, {4, 8}, {3, 5}};
  for (const auto& nm : nms)
    for (int rows : {1, 7, 13})
      for (int cols : {3, 8, 33, 301}) {  // 301: rows of more than 64 slots (leading_groups' vector loop)
        const int groups = (cols + nm[1] - 1) / nm[1];
        std::vector<float> values(static_cast<size_t>(rows) * groups * nm[0]);
        std::vector<uint8_t> positions(values.size());
        for (int i = 0; i < rows; ++i)
          for (int g = 0; g < groups; ++g) {
            // n distinct increasing positions in the group; a slot past the last column holds 0
            int pos = 0;
            for (int s = 0; s < nm[0]; ++s) {
              const size_t k = (static_cast<size_t>(i) * groups + g) * nm[0] + s;
              pos += (r.next() % 2) && pos + (nm[0] - s) < nm[1] ? 1 : 0;
              positions[k] = static_cast<uint8_t>(pos);
              // A slot past the last column holds 0, and in odd rows so does about one in eight others (a zero
              // slot in the middle of a row: the SIMD kernels walk the groups before a row's first zero untested).
              values[k] = g * nm[1] + pos < cols && (i % 2 == 0 || r.next() % 8 != 0) ? r.uniform() : 0.0f;
              ++pos;
            }
          }
        const sk::NmF32 a{rows, cols, nm[0], nm[1], values.data(), positions.data()};
        Buf x(cols, &r);
        compare(shape("nm spmv", rows, cols, nm[0] * 10 + nm[1], 0), [&](std::vector<float>* out) {
          std::vector<float> y(rows, 1.0f);
          sk::Status s = sk::spmv_nm_f32({a, x.data, y.data(), 1.0f, 0.5f});
          *out = y;
          return s;
        });
        // The SpMV kernel over several vectors (SpmvNmParams::nx) directly, on every ISA (NEON's SpMM never takes
        // this path, spmm_nm_f32): 5 vectors cols + 1 floats apart, y's rows 6 apart.
        Buf xs(static_cast<size_t>(cols + 1) * 5, &r), ys(static_cast<size_t>(rows) * 6, &r);
        compare(shape("nm spmv, 5 vectors", rows, cols, nm[0] * 10 + nm[1], 0), [&](std::vector<float>* out) {
          std::vector<float> y(ys.data, ys.data + ys.n);
          sk::Status s = sk::spmv_nm_f32({a, xs.data, y.data(), 0.5f, -2.0f, 5, cols + 1, 6});
          *out = y;
          return s;
        });
        // 2-12: B's columns as vectors of the N:M SpMV kernel (spmm_nm_f32's narrow path, up to 5 columns with AVX2,
        // 12 with AVX-512, in blocks of 4 and 8), 13 and more the SpMM kernel.
        for (int n : {1, 2, 3, 5, 7, 9, 12, 13, 16, 17, 40, 65}) {
          const int64_t ld = n + 2;
          Buf b(static_cast<size_t>(cols) * ld, &r), c0(static_cast<size_t>(rows) * ld, &r);
          compare(shape("nm spmm", rows, cols, n, nm[0] * 10 + nm[1]), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + c0.n);
            sk::Status s = sk::spmm_nm_f32({a, b.data, ld, c.data(), ld, n, 1.0f, -1.0f});
            *out = c;
            return s;
          });
        }
      }
  // The narrow path with B given transposed (its rows are the vectors, read in place) and with a long K, whose
  // columns of B are copied transposed a few at a time (a quarter of L2 each: 3 of 20001 floats with a 1 MiB L2),
  // 17 rows over the kernels' row chunks of 16.
  for (const auto& nm : {std::array<int, 2>{2, 4}, std::array<int, 2>{1, 4}, std::array<int, 2>{4, 8}})
    for (int cols : {0, 37, 20001}) {  // 0: no columns, C = beta C (found by fuzz-formats: a division by zero)
      const int rows = 17, groups = (cols + nm[1] - 1) / nm[1];
      std::vector<float> values(static_cast<size_t>(rows) * groups * nm[0]);
      std::vector<uint8_t> positions(values.size());
      for (size_t k = 0; k < values.size(); ++k) {
        const int64_t g = static_cast<int64_t>(k / nm[0]) % groups, q = static_cast<int64_t>(k % nm[0]);
        positions[k] = static_cast<uint8_t>(q * (nm[1] / nm[0]) + r.next() % (nm[1] / nm[0]));
        values[k] = g * nm[1] + positions[k] < cols && r.next() % 8 != 0 ? r.uniform() : 0.0f;
      }
      const sk::NmF32 a{rows, cols, nm[0], nm[1], values.data(), positions.data()};
      for (int n : {2, 5, 12}) {
        const int64_t ldb = cols + 3, ldc = n + 1;
        Buf bt(static_cast<size_t>(n) * ldb, &r), b(static_cast<size_t>(cols) * n, &r), c0(static_cast<size_t>(rows) * ldc, &r);
        for (bool trans : {false, true}) {
          compare(shape(trans ? "nm spmm narrow, B transposed" : "nm spmm narrow, long K", rows, cols, n, nm[0] * 10 + nm[1]), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + c0.n);
            sk::SpmmNmParams q{a, trans ? bt.data : b.data, trans ? ldb : n, c.data(), ldc, n, 0.5f, 2.0f};
            q.b_trans = trans;
            sk::Status s = sk::spmm_nm_f32(q);
            *out = c;
            return s;
          });
        }
      }
    }
  // Zero (spare) slots are no entries: NaN in x or B at their columns must not reach the result on any path. In odd
  // groups the last slot is a zero at position m-1; no slot of any row holds a non-zero there, so x and B are NaN at
  // every column g*m + m-1 (and the scalar result, which compare() needs finite, shows the reference skips them).
  for (const auto& nm : nms)
    for (int rows : {1, 6})
      for (int cols : {8, 33, 301}) {
        const int nn = nm[0], m = nm[1], groups = (cols + m - 1) / m;
        std::vector<float> values(static_cast<size_t>(rows) * groups * nn);
        std::vector<uint8_t> positions(values.size());
        for (int i = 0; i < rows; ++i)
          for (int g = 0; g < groups; ++g)
            for (int q = 0; q < nn; ++q) {
              const size_t k = (static_cast<size_t>(i) * groups + g) * nn + q;
              const bool spare = q == nn - 1 && g % 2 == 1;
              positions[k] = static_cast<uint8_t>(spare ? m - 1 : q);
              values[k] = spare || g * m + positions[k] >= cols ? 0.0f : r.uniform();
            }
        const sk::NmF32 a{rows, cols, nn, m, values.data(), positions.data()};
        Buf x(cols, &r);
        const int width = 9;
        Buf b(static_cast<size_t>(cols) * width, &r);
        for (int g = 0; g * m + m - 1 < cols; ++g) {
          x.data[g * m + m - 1] = std::numeric_limits<float>::quiet_NaN();
          for (int t = 0; t < width; ++t) b.data[(g * m + m - 1) * width + t] = std::numeric_limits<float>::quiet_NaN();
        }
        compare(shape("nm spmv NaN at spare slots", rows, cols, nn * 10 + m, 0), [&](std::vector<float>* out) {
          std::vector<float> y(rows, 1.0f);
          sk::Status s = sk::spmv_nm_f32({a, x.data, y.data(), 1.0f, 0.5f});
          *out = y;
          return s;
        });
        for (int n : {1, width}) {
          compare(shape("nm spmm NaN at spare slots", rows, cols, n, nn * 10 + m), [&](std::vector<float>* out) {
            std::vector<float> c(static_cast<size_t>(rows) * width, 2.0f);
            sk::Status s = sk::spmm_nm_f32({a, n == 1 ? x.data : b.data, n == 1 ? 1 : width, c.data(), n == 1 ? 1 : width, n, 1.0f, 0.5f});
            *out = c;
            return s;
          });
        }
      }
  // A corrupt position (>= m) with a non-zero value: reported (ERR_FORMAT) on every path, never read.
  std::vector<float> values(3 * 2 * 2, 1.0f);
  std::vector<uint8_t> positions{0, 1, 2, 3, 0, 9, 0, 1, 1, 2, 0, 3};
  const sk::NmF32 bad{3, 8, 2, 4, values.data(), positions.data()};
  Buf x(8, &r), b(8 * 5, &r);
  compare("nm spmv corrupt", [&](std::vector<float>* out) {
    std::vector<float> y(3, 0.0f);
    sk::Status s = sk::spmv_nm_f32({bad, x.data, y.data(), 1.0f, 0.0f});
    out->clear();
    return s;
  }, true);
  compare("nm spmm corrupt", [&](std::vector<float>* out) {
    std::vector<float> c(3 * 5, 0.0f);
    sk::Status s = sk::spmm_nm_f32({bad, b.data, 5, c.data(), 5, 5, 1.0f, 0.0f});
    out->clear();
    return s;
  }, true);
}

void test_dense_and_optimizers() {
  Rng r(4);
  // Narrow widths (n < kGemmNarrow: B packed transposed, dot products) with k past a packed chunk (4096 / n floats,
  // rounded down to 16) and not a multiple of the vector width; 4 and 6 rows: the kernels' row groups and rest.
  // Wide widths at 5 rows with k = 601 and 4100: op(A) copied in chunks of 256 steps (trans), and B in chunks of k
  // filling half of L2 (65 columns chunk 4100 steps when L2 is under 2 MiB; 257 columns when under 8 MiB). B's rows
  // (ldb n + 1) are packed padded (b_padded): 12, 27 and 57 columns leave 1-4 vectors after the full tiles, the
  // last one partial, for every ISA's tile width.
  for (int m : {1, 4, 5, 6, 13})
    for (int k : {1, 7, 33, 601, 4100})
      for (int n : {1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 27, 57, 65, 257})
        for (bool trans : {false, true}) {
          if ((k > 33 || m == 4 || m == 6) && n > 8 && !(m == 5 && k >= 601)) continue;
          Buf a(static_cast<size_t>(m) * (k + 1) + k, &r), b(static_cast<size_t>(k) * (n + 1), &r), c0(static_cast<size_t>(m) * (n + 3), &r);
          compare(shape(trans ? "gemm T" : "gemm", m, k, n, 0), [&](std::vector<float>* out) {
            std::vector<float> c(c0.data, c0.data + c0.n);
            const int64_t lda = trans ? m + 1 : k + 1;
            sk::Status s = sk::gemm_f32({a.data, lda, trans, b.data, n + 1, c.data(), n + 3, m, n, k, 1.0f, 0.5f});
            *out = c;
            return s;
          });
        }
  // y = A.T x (transA, one column, C contiguous): run as the row xᵀ A, split over its columns in chunks of 32 rows
  // of A; x contiguous (a 1 x k row) or strided (its transpose); widths of the row past the tiles of 4 * NV vectors.
  for (int m : {2, 9, 70, 300})
    for (int k : {1, 33, 601})
      for (int64_t ldb : {1, 3}) {
        Buf a(static_cast<size_t>(k) * (m + 2), &r), x(static_cast<size_t>(k) * ldb, &r), y0(m, &r);
        compare(shape("gemm T x", m, k, static_cast<int>(ldb), 0), [&](std::vector<float>* out) {
          std::vector<float> y(y0.data, y0.data + m);
          sk::Status s = sk::gemm_f32({a.data, m + 2, true, x.data, ldb, y.data(), 1, m, 1, k, -1.5f, 0.5f});
          *out = y;
          return s;
        });
      }
  for (int n : {1, 15, 16, 17, 100}) {
    Buf w0(n, &r), g(n, &r), m0(n, &r), v0(n, &r);
    for (size_t i = 0; i < v0.n; ++i) v0.data[i] = std::fabs(v0.data[i]);
    for (bool nesterov : {false, true})
      compare(shape("sgd", n, 0, nesterov, 0), [&](std::vector<float>* out) {
        std::vector<float> w(w0.data, w0.data + n), buf(m0.data, m0.data + n);
        sk::Status s = sk::sgd_f32({w.data(), g.data, buf.data(), 0.1f, 0.9f, 0.01f, nesterov}, n);
        *out = w;
        out->insert(out->end(), buf.begin(), buf.end());
        return s;
      });
    for (bool decoupled : {false, true})
      compare(shape("adam", n, 0, decoupled, 0), [&](std::vector<float>* out) {
        std::vector<float> w(w0.data, w0.data + n), mm(m0.data, m0.data + n), vv(v0.data, v0.data + n);
        sk::Status s = sk::adam_f32({w.data(), g.data, mm.data(), vv.data(), 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 10.0f, 1000.0f, decoupled}, n);
        *out = w;
        out->insert(out->end(), mm.begin(), mm.end());
        out->insert(out->end(), vv.begin(), vv.end());
        return s;
      });
  }
}

// The pool: every task runs exactly once, on at most max_threads threads (the caller included), with more tasks than
// threads; a task's exception reaches the caller after the others finished.
void test_pool() {
  sk::set_pool_threads(4);
  for (int cap : {0, 1, 2, 3}) {
    for (int ntasks : {1, 2, 7, 64}) {
      std::vector<int> runs(ntasks, 0);
      std::set<std::thread::id> ids;
      std::mutex mu;
      sk::parallel_for(
          ntasks,
          [&](int t) {
            volatile double spin = 0;
            for (int i = 0; i < 200000; ++i) spin = spin + i;  // ~0.3 ms: long enough for every worker to join
            std::lock_guard<std::mutex> lock(mu);
            ++runs[t];
            ids.insert(std::this_thread::get_id());
          },
          cap);
      ++g_checks;
      const size_t most = cap == 0 ? 4 : static_cast<size_t>(cap);
      bool once = true;
      for (int r : runs) once = once && r == 1;
      if (!once || ids.size() > most || ids.size() > static_cast<size_t>(ntasks)) {
        ++g_failures;
        std::printf("FAIL pool cap=%d tasks=%d: %zu threads, each task once: %d\n", cap, ntasks, ids.size(), once);
      }
    }
    std::vector<int> runs(9, 0);
    std::mutex mu;
    bool caught = false;
    try {
      sk::parallel_for(
          9,
          [&](int t) {
            {
              std::lock_guard<std::mutex> lock(mu);
              ++runs[t];
            }
            if (t == 4) throw std::runtime_error("task 4");
          },
          cap);
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "task 4";
    }
    ++g_checks;
    if (!caught) {
      ++g_failures;
      std::printf("FAIL pool cap=%d: the task's exception did not reach the caller\n", cap);
    }
  }
  sk::set_pool_threads(2);
}

// The panel plans (core/pack.h): packed rows an odd number of lines apart from 4 lines on (panel_ld), an aligned B
// in place unless a blocking kernel would meet rows an even number of lines (4 or more) apart; then an N:M product
// that takes that path (an aligned B 64 floats wide, blocked in L1) against the scalar kernel.
// The first 64-byte-aligned float of `store` (which holds at least 15 floats more than it is used for).
float* aligned_in(std::vector<float>& store) {
  return store.data() + (16 - reinterpret_cast<uintptr_t>(store.data()) / sizeof(float) % 16) % 16;
}

void test_panel_plans() {
  std::vector<float> store(64 * 256 + 16);
  float* aligned = aligned_in(store);
  struct Case {
    int64_t ldb, n;
    bool blocked;
    bool pack;
    int64_t ld;
  };
  const Case cases[] = {
      {64, 64, false, false, 64},  // one panel wide, aligned: in place
      {64, 64, true, true, 80},    // ...but 4 lines apart under a blocking kernel: packed, 5 lines apart
      {48, 48, true, false, 48},   // 3 lines: in place
      {32, 32, true, false, 32},   // 2 lines: in place
      {256, 256, false, true, 144},  // wider than a panel (128 floats, 8 lines): packed 9 lines apart
      {33, 33, false, true, 48},     // misaligned rows: packed, 3 lines
  };
  for (const Case& c : cases) {
    if (sk::l2_cache_bytes() / 4 < 64 * 144) break;  // a panel of 64 rows must fit the L2 budget for these plans
    const sk::PanelPlan plan = sk::plan_panels(aligned, c.ldb, 64, c.n, 100000, sk::kIsaAvx512, c.blocked);
    ++g_checks;
    if (plan.pack != c.pack || (plan.pack && plan.ld != c.ld)) {
      ++g_failures;
      std::printf("FAIL plan_panels ldb=%lld n=%lld blocked=%d: pack %d ld %lld, expected pack %d ld %lld\n", static_cast<long long>(c.ldb),
                  static_cast<long long>(c.n), c.blocked, plan.pack, static_cast<long long>(plan.ld), c.pack, static_cast<long long>(c.ld));
    }
  }
  // SDDMM's Y (plan_dot_panels), misaligned, read often, 2 tasks: whole per task while it fits three quarters of
  // the L2 budget (`own`); past that, up to two budgets, shared by the tasks where L2 is at most the shared limit
  // (512 KiB unless set); else in near-equal panels of whole lines that each fit `own` (1.5 times `own`: two
  // panels of 0.75, not 1 + 0.5). Both limits are forced in turn, so either plan runs here, and a product with such
  // a Y is compared with the scalar kernel.
  {
    const int64_t budget = sk::l2_cache_bytes() / 4, rows = 64;
    const int64_t fits = budget / 4 * 3 / rows / 16 * 16;
    const int64_t wide = fits + fits / 2;  // 1.5 times own, under two budgets
    const int64_t limit = sk::set_shared_dot_l2_max(0);
    for (const bool share : {false, true}) {
      sk::set_shared_dot_l2_max(share ? int64_t{1} << 40 : 0);
      struct DotCase {
        int64_t width;
        bool shared;
        int64_t panel;
      };
      const DotCase dot_cases[] = {
          {fits, false, fits},
          {wide, share, share ? wide : (wide / 2 + 15) / 16 * 16},
          {3 * fits, false, fits},  // past two budgets (2.25): panels either way
      };
      for (const DotCase& c : dot_cases) {
        const sk::PanelPlan plan = sk::plan_dot_panels(aligned + 1, c.width, rows, c.width, rows * 1000, 2, sk::kIsaAvx512);
        ++g_checks;
        if (!plan.pack || plan.shared != c.shared || plan.width != c.panel || plan.ld != (c.panel + 15) / 16 * 16) {
          ++g_failures;
          std::printf("FAIL plan_dot_panels width=%lld (budget %lld floats, shared limit %s): pack %d shared %d width %lld ld %lld, expected shared %d "
                      "width %lld\n",
                      static_cast<long long>(c.width), static_cast<long long>(budget), share ? "large" : "0", plan.pack, plan.shared,
                      static_cast<long long>(plan.width), static_cast<long long>(plan.ld), c.shared, static_cast<long long>(c.panel));
        }
      }
      // Y of 1.5 budgets (K = 96, its rows 4 bytes into a buffer), 40 rows of A at 30%: shared on two threads, or
      // in panels of K (two of 48 with L2 1 MiB).
      Rng r(share ? 21 : 22);
      const int k = 96, ycols = static_cast<int>(budget * 3 / 2 / k), xrows = 40;
      const Csr a = random_csr(xrows, ycols, 0.3, r);
      const int64_t ld = k + 1;
      Buf xs(static_cast<size_t>(xrows) * ld + 1, &r), ys(static_cast<size_t>(ycols) * ld + 1, &r);
      compare(std::string("sddmm, Y of 1.5 L2 budgets, ") + (share ? "shared limit large" : "shared limit 0"), [&](std::vector<float>* out) {
        std::vector<float> o(a.values);
        sk::Status s = sk::sddmm_csr_f32({a.view(), xs.data + 1, ld, ys.data + 1, ld, k, o.data(), 0.5f, -1.0f});
        *out = o;
        return s;
      });
    }
    sk::set_shared_dot_l2_max(limit);
  }
  // 2:4, 512 columns, every row keeping positions 0 and 2 (B's even rows only), B 64-byte aligned 64 floats wide.
  // 96 rows: each task then reads B's rows at least 16 times each (plan_panels packs an aligned B only then).
  Rng r(11);
  const int rows = 96, cols = 512, n = 64, groups = cols / 4;
  std::vector<float> values(static_cast<size_t>(rows) * groups * 2);
  std::vector<uint8_t> positions(values.size());
  for (size_t k = 0; k < values.size(); ++k) values[k] = r.uniform(), positions[k] = static_cast<uint8_t>(k % 2 ? 2 : 0);
  const sk::NmF32 a{rows, cols, 2, 4, values.data(), positions.data()};
  std::vector<float> bstore(static_cast<size_t>(cols) * n + 16);
  float* b = aligned_in(bstore);
  for (int64_t i = 0; i < static_cast<int64_t>(cols) * n; ++i) b[i] = r.uniform();
  compare("nm spmm, aligned B 4 lines a row, every row the same positions", [&](std::vector<float>* out) {
    std::vector<float> c(static_cast<size_t>(rows) * n, 0.5f);
    sk::SpmmNmParams p{};
    p.a = a;
    p.b = b;
    p.ldb = n;
    p.c = c.data();
    p.ldc = n;
    p.n = n;
    p.alpha = 1.5f;
    p.beta = -1.0f;
    sk::Status s = sk::spmm_nm_f32(p);
    *out = c;
    return s;
  });
}

}  // namespace

int main() {
  std::printf("kernel tests: best ISA %s; comparing against scalar:", sk::isa_name(sk::best_isa()));
  for (int isa = 1; isa < sk::kIsaCount; ++isa)
    if (sk::supported_isas() & (1u << isa)) std::printf(" %s", sk::isa_name(isa));
  std::printf("\n");
  test_csr_kernels();
  test_bsr();
  test_nm();
  test_dense_and_optimizers();
  test_pool();
  test_panel_plans();
  std::printf("%d comparisons, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
