#include "pack.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "cpu.h"

#if defined(__linux__)
#include <unistd.h>

#include <cstdio>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#elif defined(_WIN32)
#include <malloc.h>
#include <windows.h>

#include <vector>
#endif

namespace sk {
namespace {

int64_t detect_l2() {
#if defined(__linux__)
#if defined(_SC_LEVEL2_CACHE_SIZE)
  const long s = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (s > 0) return s;
#endif
  for (int index = 0; index < 8; ++index) {  // sysfs: the level-2 data or unified cache of cpu0
    char path[96];
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    FILE* f = std::fopen(path, "r");
    if (!f) break;
    int level = 0;
    const bool ok = std::fscanf(f, "%d", &level) == 1;
    std::fclose(f);
    if (!ok || level != 2) continue;
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    f = std::fopen(path, "r");
    if (!f) break;
    long kib = 0;
    const bool got = std::fscanf(f, "%ldK", &kib) == 1;
    std::fclose(f);
    if (got && kib > 0) return static_cast<int64_t>(kib) * 1024;
  }
#elif defined(__APPLE__)
  int64_t v = 0;
  size_t len = sizeof(v);
  if (sysctlbyname("hw.perflevel0.l2cachesize", &v, &len, nullptr, 0) == 0 && v > 0) return v;
  len = sizeof(v);
  if (sysctlbyname("hw.l2cachesize", &v, &len, nullptr, 0) == 0 && v > 0) return v;
#elif defined(_WIN32)
  DWORD bytes = 0;
  GetLogicalProcessorInformation(nullptr, &bytes);
  if (bytes > 0) {
    std::vector<SYSTEM_LOGICAL_PROCESSOR_INFORMATION> info(bytes / sizeof(SYSTEM_LOGICAL_PROCESSOR_INFORMATION));
    if (GetLogicalProcessorInformation(info.data(), &bytes)) {
      for (const auto& i : info) {
        if (i.Relationship == RelationCache && i.Cache.Level == 2 && i.Cache.Size > 0) return static_cast<int64_t>(i.Cache.Size);
      }
    }
  }
#endif
  return int64_t{1} << 20;
}

// The widest panel the spmm kernels of an ISA walk at full speed: 8 vectors, one register tile per row
// (tiles narrower than this have too few independent FMA chains, wider ones re-read the row's entries). The
// scalar kernels are the reference and are not packed.
int64_t tile_floats(int isa) {
  switch (isa) {
    case kIsaAvx512: return 128;
    case kIsaAvx2: return 64;
    case kIsaNeon: return 32;
    default: return 0;
  }
}

// Whole cache lines: every packed row starts 64-byte aligned.
int64_t padded(int64_t width) { return (width + 15) / 16 * 16; }

std::atomic<int> g_mode{static_cast<int>(PackMode::kAuto)};
std::atomic<int64_t> g_width{0};

// std::aligned_alloc is missing from the Windows C runtime.
void* aligned_bytes(size_t bytes) {
#if defined(_WIN32)
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}

struct AlignedFree {
  void operator()(float* p) const {
#if defined(_WIN32)
    _aligned_free(p);
#else
    std::free(p);
#endif
  }
};

struct Scratch {
  std::unique_ptr<float, AlignedFree> data;
  int64_t floats = 0;
};

}  // namespace

int64_t l2_cache_bytes() {
  static const int64_t bytes = std::clamp<int64_t>(detect_l2(), int64_t{128} << 10, int64_t{32} << 20);
  return bytes;
}

void set_pack_tuning(PackMode mode, int64_t panel_width) {
  g_mode.store(static_cast<int>(mode));
  g_width.store(std::max<int64_t>(0, panel_width));
}

PackMode pack_mode() { return static_cast<PackMode>(g_mode.load(std::memory_order_relaxed)); }
int64_t forced_panel_width() { return g_width.load(std::memory_order_relaxed); }

PanelPlan plan_panels(const float* b, int64_t ldb, int64_t rows, int64_t n, int64_t uses, int isa) {
  const PanelPlan in_place{n, ldb, false};
  const PackMode mode = pack_mode();
  const int64_t tile = tile_floats(isa);
  if (mode == PackMode::kNever || tile == 0 || n <= 1 || rows == 0) return in_place;
  const int64_t vector = tile / 8;
  const int64_t budget = l2_cache_bytes() / 4;  // floats
  int64_t width = forced_panel_width() > 0 ? (forced_panel_width() + vector - 1) / vector * vector : tile;
  // Narrower panels when B's rows are so many that a tile-wide panel would not fit in L2.
  while (width > vector && rows * padded(width) > budget) width -= vector;
  if (rows * padded(width) > budget) return in_place;  // not even one vector of columns fits: B as it is
  width = std::min(width, n);
  const bool aligned = reinterpret_cast<uintptr_t>(b) % 64 == 0 && ldb % 16 == 0;
  if (mode == PackMode::kAlways) return PanelPlan{width, padded(width), true};
  // Packing copies every row of B once per panel and thread, about a sixth of what one use of the row costs the
  // kernel; a misaligned B costs the kernel ~1.35x, so packing pays from ~6 uses per row (measured even at 4).
  // An aligned B gains only the panels' locality (~1.3x at 90% sparsity), which needs more uses to pay for the
  // copy: at 98% sparsity (10 uses per row and thread) packing it was 12% slower. An aligned B one panel wide is
  // already what packing would make.
  if (aligned && width == n) return in_place;
  if (uses < (aligned ? 16 : 4) * rows) return in_place;
  return PanelPlan{width, padded(width), true};
}

PanelPlan plan_whole(const float* b, int64_t ldb, int64_t rows, int64_t width, int64_t uses, int isa) {
  const PanelPlan in_place{width, ldb, false};
  const PackMode mode = pack_mode();
  if (mode == PackMode::kNever || tile_floats(isa) == 0 || width <= 1 || rows == 0) return in_place;
  if (rows * padded(width) > l2_cache_bytes() / 4) return in_place;
  const bool aligned = reinterpret_cast<uintptr_t>(b) % 64 == 0 && ldb % 16 == 0;
  if (mode == PackMode::kAlways) return PanelPlan{width, padded(width), true};
  if (aligned || uses < 4 * rows) return in_place;
  return PanelPlan{width, padded(width), true};
}

float* pack_scratch(int64_t floats) {
  thread_local Scratch s;
  if (s.floats < floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    void* p = aligned_bytes(bytes);
    if (!p) throw std::bad_alloc();
    s.data.reset(static_cast<float*>(p));
    s.floats = floats;
  }
  return s.data.get();
}

void pack_panel(const float* b, int64_t ldb, int64_t rows, int64_t j0, int64_t width, float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * ld, b + r * ldb + j0, static_cast<size_t>(width) * sizeof(float));
}

}  // namespace sk
