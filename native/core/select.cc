#include "select.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "thread_pool.h"

namespace sk {
namespace {

// Scores as uint32 keys whose unsigned order is the scores' order; NaN (when allowed) is key 0, below all.
inline uint32_t key_of(float s, bool abs) {
  uint32_t b;
  std::memcpy(&b, &s, 4);
  if (s != s) return 0;
  if (abs) return (b & 0x7FFFFFFFu) + 1;  // +1 keeps 0 free for NaN
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

inline float score(const ScoreTensor& t, int64_t e) {
  const float v = t.y ? t.x[e] * t.y[e] : t.x[e];
  return t.scale == 1.0f ? v : v * t.scale;
}

inline void set_bit(uint32_t* bits, int64_t e) { __atomic_fetch_or(&bits[e >> 5], 1u << (e & 31), __ATOMIC_RELAXED); }

Status nan_error(int64_t count) {
  return Status::error(Code::kRange, "the scores contain " + std::to_string(count) +
                                         " NaN value(s); pass { nan: 'prune' } to prune them first");
}

struct Candidate {
  uint32_t key;
  int32_t tensor;
  int64_t index;
};

constexpr int kBuckets = 1 << 16;
constexpr int64_t kChunk = 1 << 16;
// Sample size for the threshold bracket; the sample is element floor(q * total / kSamples) for q < kSamples
// (test/prune.test.ts relies on this to force the fallback).
constexpr int64_t kSamples = 1 << 14;  // elements per task; a multiple of 32 so tasks never share a bit word

}  // namespace

namespace {

// Fast path: bracket the threshold key from a deterministic sample, then one pass over the data sets the bits of
// every key above the bracket (each 32-bit word built in a register and stored once, no atomics: a task owns
// whole words) and collects the keys inside it; an exact selection among those finishes. Returns false, with
// every bit cleared, when the bracket missed (then the histogram path runs), or sets *status (NaN refused).
bool select_sampled(const ScoreTensor* tensors, int count, int64_t total, int64_t keep, bool abs, bool nan_prune, Status* status) {
  const int64_t samples = std::min<int64_t>(total, kSamples);
  std::vector<uint32_t> sample(samples);
  {
    int t = 0;
    int64_t start = 0;  // first global index of tensor t
    for (int64_t q = 0; q < samples; ++q) {
      const int64_t g = q * total / samples;
      while (g >= start + tensors[t].length) start += tensors[t++].length;
      const float sc = score(tensors[t], g - start);
      sample[q] = key_of(abs ? std::fabs(sc) : sc, abs);
    }
  }
  // The keep-th largest key sits near rank keep * samples / total in the sample; widen by ~6 standard deviations.
  // Only the two bracket ranks are needed, so two linear-time nth_element calls (the second on the part below).
  const double p = static_cast<double>(keep) / total;
  const int64_t rank = static_cast<int64_t>(p * samples);
  const int64_t margin = static_cast<int64_t>(6.0 * std::sqrt(samples * p * (1 - p))) + 16;
  uint32_t hi = UINT32_MAX, lo = 0;  // keys > hi: kept; keys in [lo, hi]: candidates
  if (rank - margin > 0) {
    std::nth_element(sample.begin(), sample.begin() + (rank - margin), sample.end(), std::greater<uint32_t>());
    hi = sample[rank - margin];
  }
  if (rank + margin < samples) {
    const auto from = rank - margin > 0 ? sample.begin() + (rank - margin) : sample.begin();
    std::nth_element(from, sample.begin() + (rank + margin), sample.end(), std::greater<uint32_t>());
    lo = sample[rank + margin];
  }
  std::vector<std::pair<int, int64_t>> items;
  for (int t = 0; t < count; ++t)
    for (int64_t c = 0; c < tensors[t].length; c += kChunk) items.emplace_back(t, c);
  std::vector<std::vector<Candidate>> found(items.size());
  std::atomic<int64_t> above{0}, nans{0};
  std::atomic<size_t> next{0};
  const int threads = std::max(1, std::min<int>(pool_threads(), static_cast<int>(items.size())));
  parallel_for(threads, [&](int) {
    const uint32_t key_hi = hi, key_lo = lo;
    int64_t local_above = 0, local_nan = 0;
    for (size_t it; (it = next.fetch_add(1)) < items.size();) {
      const int ti = items[it].first;
      const ScoreTensor& t = tensors[ti];
      const int64_t begin = items[it].second, end = std::min(t.length, begin + kChunk);
      // Plain magnitude (|x|, no factor, no scale) is the common case: its key is integer arithmetic on the
      // float's bits (key_of for abs: |x| bits + 1, NaN -> 0), with the kept bit set branch-free.
      const bool plain = abs && t.y == nullptr && t.scale == 1.0f;
      const uint32_t* xb = reinterpret_cast<const uint32_t*>(t.x);
      uint32_t keys[32];
      for (int64_t w = begin; w < end; w += 32) {
        const int count32 = static_cast<int>(std::min<int64_t>(end - w, 32));
        // Keys first, in a loop the compiler vectorises; then the kept bits and whether any key is a candidate;
        // the candidate scan only runs for the rare words that hold one.
        if (plain) {
          for (int q = 0; q < count32; ++q) {
            const uint32_t a = xb[w + q] & 0x7FFFFFFFu;
            keys[q] = a > 0x7F800000u ? 0 : a + 1;
            local_nan += a > 0x7F800000u;
          }
        } else {
          for (int q = 0; q < count32; ++q) {
            const float sc = score(t, w + q);
            local_nan += sc != sc;
            keys[q] = key_of(abs ? std::fabs(sc) : sc, abs);
          }
        }
        uint32_t word = 0, inside = 0;
        for (int q = 0; q < count32; ++q) {
          word |= static_cast<uint32_t>(keys[q] > key_hi) << q;
          inside |= static_cast<uint32_t>(keys[q] >= key_lo && keys[q] <= key_hi);
        }
        if (inside) {
          for (int q = 0; q < count32; ++q) {
            if (keys[q] >= key_lo && keys[q] <= key_hi) found[it].push_back(Candidate{keys[q], ti, w + q});
          }
        }
        t.bits[w >> 5] = word;
        local_above += __builtin_popcount(word);
      }
    }
    above.fetch_add(local_above);
    nans.fetch_add(local_nan);
  });
  if (nans.load() && !nan_prune) {
    *status = nan_error(nans.load());
    return true;
  }
  size_t candidates = 0;
  for (auto& f : found) candidates += f.size();
  const int64_t want = keep - above.load();
  if (want < 0 || static_cast<int64_t>(candidates) < want) {
    for (int t = 0; t < count; ++t) std::fill(tensors[t].bits, tensors[t].bits + (tensors[t].length + 31) / 32, 0u);
    return false;
  }
  std::vector<Candidate> cands;
  cands.reserve(candidates);
  for (auto& f : found) cands.insert(cands.end(), f.begin(), f.end());
  auto better = [](const Candidate& a, const Candidate& b) {
    return a.key != b.key ? a.key > b.key : (a.tensor != b.tensor ? a.tensor < b.tensor : a.index < b.index);
  };
  if (want > 0) {
    std::nth_element(cands.begin(), cands.begin() + (want - 1), cands.end(), better);
    for (int64_t c = 0; c < want; ++c) tensors[cands[c].tensor].bits[cands[c].index >> 5] |= 1u << (cands[c].index & 31);
  }
  *status = Status::ok();
  return true;
}

}  // namespace

Status select_global(const ScoreTensor* tensors, int count, int64_t keep, bool abs, bool nan_prune) {
  int64_t total = 0;
  for (int t = 0; t < count; ++t) total += tensors[t].length;
  if (keep <= 0) {
    // Nothing kept, but NaN is still refused unless allowed.
    int64_t nans = 0;
    for (int t = 0; t < count; ++t)
      for (int64_t e = 0; e < tensors[t].length; ++e) {
        const float sc = score(tensors[t], e);
        nans += sc != sc;
      }
    return nans && !nan_prune ? nan_error(nans) : Status::ok();
  }
  if (keep < total) {
    Status status;
    if (select_sampled(tensors, count, total, keep, abs, nan_prune, &status)) return status;
  }
  // Work items: (tensor, chunk) pairs, in order.
  std::vector<std::pair<int, int64_t>> items;
  for (int t = 0; t < count; ++t)
    for (int64_t c = 0; c < tensors[t].length; c += kChunk) items.emplace_back(t, c);
  const int threads = std::max(1, std::min<int>(pool_threads(), static_cast<int>(items.size())));
  // Pass 1: histogram of the top 16 bits of every key, one per thread, and NaN count.
  std::vector<std::vector<int64_t>> hist(threads, std::vector<int64_t>(kBuckets, 0));
  std::atomic<int64_t> nans{0};
  std::atomic<size_t> next{0};
  parallel_for(threads, [&](int w) {
    auto& h = hist[w];
    int64_t local_nan = 0;
    for (size_t it; (it = next.fetch_add(1)) < items.size();) {
      const ScoreTensor& t = tensors[items[it].first];
      const int64_t end = std::min(t.length, items[it].second + kChunk);
      for (int64_t e = items[it].second; e < end; ++e) {
        const float s = score(t, e);
        local_nan += s != s;
        ++h[key_of(abs ? std::fabs(s) : s, abs) >> 16];
      }
    }
    nans.fetch_add(local_nan);
  });
  if (nans.load() && !nan_prune) return nan_error(nans.load());
  for (int w = 1; w < threads; ++w)
    for (int b = 0; b < kBuckets; ++b) hist[0][b] += hist[w][b];
  if (keep >= total) {
    for (int t = 0; t < count; ++t)
      for (int64_t e = 0; e < tensors[t].length; ++e) set_bit(tensors[t].bits, e);
    return Status::ok();
  }
  // The bucket holding the keep-th largest key, and how many are kept from buckets above it.
  int64_t above = 0;
  int bucket = kBuckets - 1;
  for (; bucket >= 0; --bucket) {
    if (above + hist[0][bucket] >= keep) break;
    above += hist[0][bucket];
  }
  // Pass 2: keep everything above the bucket; collect the bucket's candidates, in index order per item.
  std::vector<std::vector<Candidate>> found(items.size());
  next = 0;
  parallel_for(threads, [&](int) {
    for (size_t it; (it = next.fetch_add(1)) < items.size();) {
      const int ti = items[it].first;
      const ScoreTensor& t = tensors[ti];
      const int64_t end = std::min(t.length, items[it].second + kChunk);
      for (int64_t e = items[it].second; e < end; ++e) {
        const float s = score(t, e);
        const uint32_t k = key_of(abs ? std::fabs(s) : s, abs);
        const int b = static_cast<int>(k >> 16);
        if (b > bucket) set_bit(t.bits, e);
        else if (b == bucket) found[it].push_back(Candidate{k, ti, e});
      }
    }
  });
  std::vector<Candidate> cands;
  for (auto& f : found) cands.insert(cands.end(), f.begin(), f.end());
  // Keep the (keep - above) largest candidates; equal keys keep the lower (tensor, index), which the stable
  // order of `cands` already is.
  const int64_t want = keep - above;
  auto better = [](const Candidate& a, const Candidate& b) {
    return a.key != b.key ? a.key > b.key : (a.tensor != b.tensor ? a.tensor < b.tensor : a.index < b.index);
  };
  std::nth_element(cands.begin(), cands.begin() + (want - 1), cands.end(), better);
  for (int64_t c = 0; c < want; ++c) set_bit(tensors[cands[c].tensor].bits, cands[c].index);
  return Status::ok();
}

Status select_segments(const ScoreTensor& t, int32_t rows, int32_t cols, bool by_row, int64_t keep, bool abs, bool nan_prune) {
  const int32_t segments = by_row ? rows : cols;
  const int32_t length = by_row ? cols : rows;
  if (keep <= 0 || segments == 0) return Status::ok();
  std::atomic<int64_t> nans{0};
  const int threads = std::max(1, std::min<int>(pool_threads(), segments));
  std::atomic<int32_t> next{0};
  parallel_for(threads, [&](int) {
    std::vector<std::pair<uint32_t, int32_t>> keys(length);  // (key, position in segment)
    for (int32_t seg; (seg = next.fetch_add(1)) < segments;) {
      int64_t local_nan = 0;
      for (int32_t q = 0; q < length; ++q) {
        const int64_t e = by_row ? static_cast<int64_t>(seg) * cols + q : static_cast<int64_t>(q) * cols + seg;
        const float s = score(t, e);
        local_nan += s != s;
        keys[q] = {key_of(abs ? std::fabs(s) : s, abs), q};
      }
      if (local_nan) nans.fetch_add(local_nan);
      const int64_t k = std::min<int64_t>(keep, length);
      auto better = [](const std::pair<uint32_t, int32_t>& a, const std::pair<uint32_t, int32_t>& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      };
      if (k < length) std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end(), better);
      for (int64_t q = 0; q < k; ++q) {
        const int32_t pos = keys[q].second;
        set_bit(t.bits, by_row ? static_cast<int64_t>(seg) * cols + pos : static_cast<int64_t>(pos) * cols + seg);
      }
    }
  });
  if (nans.load() && !nan_prune) return nan_error(nans.load());
  return Status::ok();
}

Status select_nm(const float* x, int32_t rows, int32_t cols, int32_t n, int32_t m, bool nan_prune, float* values, uint8_t* positions) {
  const int64_t groups = (static_cast<int64_t>(cols) + m - 1) / m;
  std::atomic<int64_t> nans{0};
  const int threads = std::max(1, std::min<int>(pool_threads(), static_cast<int>(std::min<int64_t>(rows, 1 << 20))));
  std::atomic<int32_t> next{0};
  parallel_for(threads, [&](int) {
    std::vector<std::pair<uint32_t, int32_t>> keys(m);
    for (int32_t i; (i = next.fetch_add(1)) < rows;) {
      int64_t local_nan = 0;
      for (int64_t g = 0; g < groups; ++g) {
        const int32_t width = static_cast<int32_t>(std::min<int64_t>(m, cols - g * m));
        const float* row = x + static_cast<int64_t>(i) * cols + g * m;
        for (int32_t q = 0; q < width; ++q) {
          local_nan += row[q] != row[q];
          keys[q] = {key_of(std::fabs(row[q]), true), q};
        }
        const int32_t k = std::min(n, width);
        auto better = [](const std::pair<uint32_t, int32_t>& a, const std::pair<uint32_t, int32_t>& b) {
          return a.first != b.first ? a.first > b.first : a.second < b.second;
        };
        std::partial_sort(keys.begin(), keys.begin() + k, keys.begin() + width, better);
        // The kept columns in increasing order; spare slots (a last group narrower than n) hold 0 at the next
        // unused positions, as NMMatrix requires.
        int32_t chosen[256];
        for (int32_t s = 0; s < k; ++s) chosen[s] = keys[s].second;
        std::sort(chosen, chosen + k);
        const int64_t base = (static_cast<int64_t>(i) * groups + g) * n;
        for (int32_t s = 0; s < k; ++s) {
          positions[base + s] = static_cast<uint8_t>(chosen[s]);
          const float v = row[chosen[s]];
          values[base + s] = v != v ? 0.0f : v;  // a NaN only survives here when nan_prune; it is pruned to 0
        }
        for (int32_t s = k; s < n; ++s) {
          positions[base + s] = static_cast<uint8_t>(width + (s - k));
          values[base + s] = 0.0f;
        }
      }
      if (local_nan) nans.fetch_add(local_nan);
    }
  });
  if (nans.load() && !nan_prune) return nan_error(nans.load());
  return Status::ok();
}

}  // namespace sk
