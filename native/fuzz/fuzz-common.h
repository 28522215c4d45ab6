// Shared by the libFuzzer targets: a byte reader that never runs past the input (missing bytes read as 0), and the
// helpers that run one operator at every ISA this CPU has.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../core/cpu.h"
#include "../core/status.h"
#include "../core/thread_pool.h"

namespace fuzz {

struct Reader {
  const uint8_t* p;
  size_t n, at = 0;
  uint8_t u8() { return at < n ? p[at++] : 0; }
  int32_t small(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(u8() % static_cast<uint32_t>(hi - lo + 1)); }
  float value() {
    const uint8_t b = u8();
    if (b == 255) return 0.0f;
    return (static_cast<int>(b) - 127) / 32.0f;
  }
};

// Every ISA this CPU supports, scalar first.
inline std::vector<int> isas() {
  std::vector<int> out;
  for (int isa = 0; isa < sk::kIsaCount; ++isa)
    if (sk::supported_isas() & (1u << isa)) out.push_back(isa);
  return out;
}

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

inline bool close(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - b[i]) <= 1e-3f * (1.0f + std::fabs(b[i])))) return false;
  return true;
}

inline void single_thread() {
  static bool once = [] {
    sk::set_pool_threads(1);
    return true;
  }();
  (void)once;
}

}  // namespace fuzz
