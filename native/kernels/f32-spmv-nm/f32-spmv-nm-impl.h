// The walk the SIMD N:M SpMV kernels share (-avx2, -avx512) over rows and vectors of x (SpmvNmParams::nx, params.h):
// rows in chunks of kRowChunk, each chunk walked once per block of up to kBlock vectors, so that the block's x
// (kBlock * cols floats) stays in L1 and the chunk's slots in L2 (over all vectors per row, x of 16 vectors of 1024
// floats left L1 at every row: 2:4 1024x1024 times 16 columns took 3.5x the time of 8, AVX-512).
#pragma once
#include <algorithm>

#include "../kernels.h"

namespace sk {

// dots(nc, i, x, sum): row i times the nc vectors from x (x_c = x + c * p.ldx) into sum[0..nc); returns the row's
// anomalies, counted once per row (from the first block), not per vector.
template <int kBlock, class Dots>
int64_t nm_spmv_blocks(const SpmvNmParams& p, int32_t row_begin, int32_t row_end, Dots dots) {
  constexpr int32_t kRowChunk = 16;
  int64_t bad = 0;
  for (int32_t i0 = row_begin; i0 < row_end; i0 += kRowChunk) {
    const int32_t i1 = std::min(row_end, i0 + kRowChunk);
    for (int32_t c0 = 0; c0 < p.nx; c0 += kBlock) {
      const int nc = std::min(kBlock, p.nx - c0);
      for (int32_t i = i0; i < i1; ++i) {
        float sum[kBlock];
        const int64_t row_bad = dots(nc, i, p.x + c0 * p.ldx, sum);
        if (c0 == 0) bad += row_bad;
        float* y = p.y + static_cast<int64_t>(i) * p.ldy + c0;
        for (int c = 0; c < nc; ++c) y[c] = p.beta == 0.0f ? p.alpha * sum[c] : p.alpha * sum[c] + p.beta * y[c];
      }
    }
  }
  return bad;
}

}  // namespace sk
