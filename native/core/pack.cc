#include "pack.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "cpu.h"
#include "../kernels/params.h"

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

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

// The size of cpu0's level-`level` data (or unified) cache in bytes, 0 when the system does not say.
int64_t detect_cache(int level) {
#if defined(__linux__)
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
  const long s = sysconf(level == 1 ? _SC_LEVEL1_DCACHE_SIZE : _SC_LEVEL2_CACHE_SIZE);
  if (s > 0) return s;
#endif
  for (int index = 0; index < 8; ++index) {  // sysfs: the data or unified cache of that level of cpu0
    char path[96];
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    FILE* f = std::fopen(path, "r");
    if (!f) break;
    int got_level = 0;
    const bool ok = std::fscanf(f, "%d", &got_level) == 1;
    std::fclose(f);
    if (!ok || got_level != level) continue;
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
    if ((f = std::fopen(path, "r"))) {
      char type[32] = {0};
      const bool typed = std::fscanf(f, "%31s", type) == 1;
      std::fclose(f);
      if (typed && std::strcmp(type, "Instruction") == 0) continue;
    }
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
  if (sysctlbyname(level == 1 ? "hw.perflevel0.l1dcachesize" : "hw.perflevel0.l2cachesize", &v, &len, nullptr, 0) == 0 && v > 0) return v;
  len = sizeof(v);
  if (sysctlbyname(level == 1 ? "hw.l1dcachesize" : "hw.l2cachesize", &v, &len, nullptr, 0) == 0 && v > 0) return v;
#elif defined(_WIN32)
  DWORD bytes = 0;
  GetLogicalProcessorInformation(nullptr, &bytes);
  if (bytes > 0) {
    std::vector<SYSTEM_LOGICAL_PROCESSOR_INFORMATION> info(bytes / sizeof(SYSTEM_LOGICAL_PROCESSOR_INFORMATION));
    if (GetLogicalProcessorInformation(info.data(), &bytes)) {
      for (const auto& i : info) {
        if (i.Relationship == RelationCache && i.Cache.Level == level && i.Cache.Type != CacheInstruction && i.Cache.Size > 0) {
          return static_cast<int64_t>(i.Cache.Size);
        }
      }
    }
  }
#endif
  return 0;
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

// The row stride of SpMM's packed panels: whole lines, and an odd number of them when a row takes 4 lines or more. With
// an even number (a 128-float panel is 8 lines), rows two apart start 16 lines apart, so a pattern that uses every
// other row of B (a 2:4 whose rows all keep the same two positions of each group, as pruning scaled by input norms can
// make) meets only half of L1's sets, and a block of B planned for L1 no longer fits. (A CSR of random even columns ran
// as fast as a random one either way: its wide tiles do not block, see plan_block_rows.) 2:4 keeping positions 0 and 2
// in every row, 1024x1024, B at a 4-byte offset, AMD Zen 5 class (48 KiB L1), `npm run bench:ab` against the build with
// 8 lines, widths 64 / 256, 1 and 2 threads: 0.71-0.77x / 0.53-0.55x the time; a random 2:4 0.96-1.02x / 1.01-1.07x (a
// cost at 128 and 256; rows 10 lines apart, or L1 blocks of 3/4 or 7/8 of L1, did not win that back: probably because a
// block no longer maps evenly onto L1's sets). Rows of 2 lines stay 2: with 3, CSR at width 32 (random, at an offset)
// ran 5-8% slower in an ad-hoc interleaved script (probably the adjacent-line prefetch, which then fetches half of a
// neighbouring row). Kernels that do not block (CSR's wide tiles, BSR) read B's rows from L2; for them whole lines
// against the odd stride measured 1.04-1.11x at width 64 and 0.96-0.99x at 128-256 (CSR, `npm run bench:ab`), so one
// rule serves all. The line added is never read nor written (zero_padding stops at the last line a row's columns
// touch). SDDMM's panels (plan_dot_panels) keep `padded`: a Y of 256 floats a row padded to 17 lines no longer fit one
// L2 budget per task.
int64_t panel_ld(int64_t width) {
  const int64_t lines = (width + 15) / 16;
  return (lines >= 4 && lines % 2 == 0 ? lines + 1 : lines) * 16;
}

std::atomic<int> g_mode{static_cast<int>(PackMode::kAuto)};
std::atomic<int64_t> g_width{0};
std::atomic<int64_t> g_block{0};
std::atomic<int64_t> g_shared_dot_l2_max{int64_t{512} << 10};

// plan_block_rows blocks when a row of A has, on average, at least this many (stored entries in a block) x (panel
// width in floats): 20 entries at 64 floats, 40 at 32.
constexpr double kMinBlockWork = 1280;

// plan_block_rows blocks a CSR product for L2 when a tile's rows of B take more than this many L2 sizes.
constexpr int64_t kTallL2Multiple = 4;

// Whether a block of `block` rows of B is worth it for an A with `entries` stored entries over a_rows rows and a B of
// `rows` rows, `width` floats a tile: each row of A pays a pass over its C tile per block it has entries in, and its
// walk stops once more per block, so with too few entries a block costs more than the L2 traffic it saves. Measured
// on AMD EPYC (Zen, 32 KiB L1), 2 threads, 1024x1024 and 1024x4096: 12.8 entries x 64 floats and 25.6 x 32 lost
// 5-10%, 25.6 x 64 gained 5-12%, 51 x 32 and more gained up to 1.3x (50% dense, N:M 2:4 1.25x).
bool worth_blocking(int64_t block, int64_t rows, int64_t width, int64_t entries, int64_t a_rows) {
  const double per_block = static_cast<double>(entries) / static_cast<double>(a_rows) * static_cast<double>(block) / static_cast<double>(rows);
  return per_block * static_cast<double>(width) >= kMinBlockWork;
}

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
  static const int64_t detected = detect_cache(2);
  static const int64_t bytes = std::clamp<int64_t>(detected > 0 ? detected : int64_t{1} << 20, int64_t{128} << 10, int64_t{32} << 20);
  return bytes;
}

int64_t l1_cache_bytes() {
  static const int64_t detected = detect_cache(1);
  static const int64_t bytes = std::clamp<int64_t>(detected > 0 ? detected : int64_t{32} << 10, int64_t{16} << 10, int64_t{256} << 10);
  return bytes;
}

void set_pack_tuning(PackMode mode, int64_t panel_width, int64_t block_bytes) {
  g_mode.store(static_cast<int>(mode));
  g_width.store(std::max<int64_t>(0, panel_width));
  g_block.store(std::max<int64_t>(-1, block_bytes));
}

namespace {
// Bytes of one row of a block of B as the blocked kernels read it: the tile's width (n, at most tile_floats) in
// whole vectors, as a packed row is padded. Counted as the width alone, the L1 blocks of widths between multiples
// of the vector had taken up to twice L1 (width 17 with AVX-512: 722 rows of 128 bytes in 48 KiB).
int64_t block_row_bytes(int64_t n, int isa) {
  const int64_t vector = std::max<int64_t>(1, vector_floats(isa));  // 0 for the scalar kernels, never blocked
  const int64_t width = std::min(n, tile_floats(isa));
  return (width + vector - 1) / vector * vector * static_cast<int64_t>(sizeof(float));
}

// Whether plan_block_rows blocks CSR products when not forced. Measured on two hosts: on AMD Zen 1 (AVX2, 32 KiB
// L1, 512 KiB L2) blocking paid (the figures in plan_block_rows); on an AMD EPYC of the Zen 5 class (AVX-512,
// 48 KiB L1, 1 MiB L2) every blocked CSR product measured was slower than the unblocked one, with the AVX-512 and
// with the AVX2 kernels: 2 threads, widths 16-32 at 50-80% sparsity on 1024x1024 to 1024x16384 1.15-1.65x, and
// the L2 blocks of 1024x16384 at 90%, width 256, 1.54x (18.3 ms against 11.9). Support for AVX-512 stands in for
// the newer core: a proxy, not a measured mechanism (a core whose hypervisor hides AVX-512 keeps the blocks, as
// before; no Intel core has been measured). N:M products keep their blocks on both (unblocked, 1.2-1.9x slower).
bool csr_blocks_pay() {
  static const bool pays = (supported_isas() & (1u << kIsaAvx512)) == 0;
  return pays;
}
}  // namespace

int64_t plan_block_rows(int64_t rows, int64_t n, int64_t entries, int64_t a_rows, int isa, bool csr, int csr_pays) {
  const int64_t forced = g_block.load(std::memory_order_relaxed);
  const int64_t tile = tile_floats(isa);
  if (forced < 0 || tile == 0 || n <= 0 || rows <= 0 || a_rows <= 0) return 0;
  if (csr && forced == 0 && !(csr_pays < 0 ? csr_blocks_pay() : csr_pays > 0)) return 0;
  const int64_t width = std::min(n, tile);
  const int64_t row_bytes = block_row_bytes(n, isa);
  // A B so tall that a tile's rows of it take several L2 sizes: the CSR kernel reads each row of B from L3 or DRAM
  // once per entry; in blocks of a quarter of L2, walked by 256 rows of A each (plan_block_chunk), it reads each
  // block once per 256 rows. 1024x16384 at 90%, width 256: 97-104 ms -> 41 (blocks of 512 rows of 64 floats; half
  // L2 62 ms, chunks of 32 rows 79); width 64: 12.5-24 -> 8.2. At 1024x4096 (a tile's rows 1 MiB, 2 L2 sizes)
  // blocking lost to prefetching (18 against 13.8-14.6 ms), at 1024x8192 (4 L2 sizes) it was 1.2-1.4x faster.
  // AMD Zen 1, 2 threads.
  if (csr && forced == 0 && rows * row_bytes > kTallL2Multiple * l2_cache_bytes()) {
    const int64_t tall = std::max<int64_t>(8, l2_cache_bytes() / 4 / row_bytes);
    return worth_blocking(tall, rows, width, entries, a_rows) ? tall : 0;
  }
  // The CSR kernel's tile over the first panel (whole vectors of tile / 8 floats) prefetches when it is this wide.
  // 1024x1024 and 1024x4096 at 50-90%, width 256, 2 threads, AMD Zen 1: unblocked with prefetch 1.08-1.36x faster
  // than blocked; width 32 (no prefetch) blocked stays ahead on 1024x4096 at 50%.
  if (csr && forced == 0 && row_bytes >= kPrefetchTileBytes) return 0;
  // Blocks of L1 (forced: of that many bytes) in whole rows as read. N:M 2:4 on the Zen 5 class host, 1024x1024 and
  // 1024x4096, 1 and 2 threads: 0.76-0.84x the time of the blocks counted in unpadded rows at widths 17 and 33,
  // 0.89-0.91x at 65 on 1024x1024 (within 1.08x either way at 65-129 on 1024x4096); three quarters of L1 instead
  // gained no more at narrow widths and lost up to 1.1x at wide ones.
  const int64_t block = std::max<int64_t>(8, (forced > 0 ? forced : l1_cache_bytes()) / row_bytes);
  if (rows <= block) return 0;
  if (forced > 0) return block;
  return worth_blocking(block, rows, width, entries, a_rows) ? block : 0;
}

int32_t plan_block_chunk(int64_t block_rows, int64_t n, int isa) {
  return block_rows > 0 && block_rows * block_row_bytes(n, isa) > l1_cache_bytes() ? kMaxBlockChunk : 0;
}

int64_t vector_floats(int isa) { return tile_floats(isa) / 8; }

int64_t set_shared_dot_l2_max(int64_t bytes) { return g_shared_dot_l2_max.exchange(bytes); }

PackMode pack_mode() { return static_cast<PackMode>(g_mode.load(std::memory_order_relaxed)); }
int64_t forced_panel_width() { return g_width.load(std::memory_order_relaxed); }

// The panel width for a B of `rows` rows at register tile `tile` (floats): the tile, or the forced width rounded to
// whole vectors, narrowed a vector at a time while a panel would not fit the L2 budget (one vector at least).
namespace {
int64_t fitting_width(int64_t rows, int64_t tile) {
  const int64_t vector = tile / 8;
  const int64_t budget = l2_cache_bytes() / 4;  // floats
  int64_t width = forced_panel_width() > 0 ? (forced_panel_width() + vector - 1) / vector * vector : tile;
  while (width > vector && rows * panel_ld(width) > budget) width -= vector;
  return width;
}
}  // namespace

PanelPlan plan_panels(const float* b, int64_t ldb, int64_t rows, int64_t n, int64_t uses, int isa, bool blocked) {
  const PanelPlan in_place{n, ldb, false};
  const PackMode mode = pack_mode();
  const int64_t tile = tile_floats(isa);
  // n == 1 is packed too (rows of one float padded to a line): the kernels then read whole vectors, not masked ones
  // (vmaskmovps, a load each stored entry, was 2.7x slower on AMD Zen 1). CSR's one-column product is SpMV instead.
  if (mode == PackMode::kNever || tile == 0 || n < 1 || rows == 0) return in_place;
  int64_t width = fitting_width(rows, tile);
  if (rows * panel_ld(width) > l2_cache_bytes() / 4) return in_place;  // not even one vector of columns fits: B as it is
  width = std::min(width, n);
  const bool aligned = reinterpret_cast<uintptr_t>(b) % 64 == 0 && ldb % 16 == 0;
  if (mode == PackMode::kAlways) return PanelPlan{width, panel_ld(width), true};
  // Packing copies every row of B once per panel and thread, about a sixth of what one use of the row costs the kernel;
  // a misaligned B costs the kernel ~1.35x, so packing pays from ~6 uses per row (measured even at 4). An aligned B
  // gains only the panels' locality (~1.3x at 90% sparsity), which needs more uses to pay for the copy: at 98% sparsity
  // (10 uses per row and thread) packing it was 12% slower. An aligned B one panel wide is already what packing would
  // make, but for a kernel that blocks B in L1 (N:M's; CSR's only for tall B or narrow tiles) when its rows are an even
  // number of lines apart, 4 or more (panel_ld): 2:4 with the same positions in every row, aligned B, AMD Zen 5 class,
  // widths 64 / 128 (`npm run bench:ab -- OLD NEW --offset 0`, 1 and 2 threads): 0.60-0.85x / 0.54-0.81x the time in
  // place; a random 2:4 0.99-1.02x / 1.03-1.05x. The CSR kernel's wide tiles do not block (they prefetch): packing an
  // aligned B for them cost a random pattern 3-10% at widths 64 and 128 (separate processes).
  if (aligned && width == n && (!blocked || panel_ld(ldb) == ldb)) return in_place;
  if (uses < (aligned ? 16 : 4) * rows) return in_place;
  return PanelPlan{width, panel_ld(width), true};
}

PanelPlan plan_transposed(int64_t rows, int64_t n, int isa) {
  const int64_t tile = tile_floats(isa) > 0 ? tile_floats(isa) : 64;  // the scalar kernel takes any width
  const int64_t width = std::max<int64_t>(1, std::min(fitting_width(rows, tile), n));
  return PanelPlan{width, panel_ld(width), true};
}

PanelPlan plan_dot_panels(const float* b, int64_t ldb, int64_t rows, int64_t width, int64_t uses, int parts, int isa) {
  const PanelPlan in_place{width, ldb, false};
  const PackMode mode = pack_mode();
  const int64_t vector = vector_floats(isa);
  if (mode == PackMode::kNever || vector == 0 || width <= 1 || rows == 0) return in_place;
  const int64_t budget = l2_cache_bytes() / 4;  // floats
  // Whole per task when it fits three quarters of the budget (the rest of L2 holds X's rows and the stream of A's
  // entries and out), rather than a separate packing pass whose copy the other threads then read from this one's
  // cache, rewritten every call (K = 32 and 64, 1024 rows, 90%, L2 512 KiB: a 4-byte offset 1.02-1.05x the aligned
  // time against 1.05-1.19x shared; at K = 128 the two were equal; K = 256, Y 1 MiB, L2 1 MiB, AMD Zen 5 class:
  // 1.04-1.08x against 1.05-1.29x, six alternating pairs). Larger, shared only where L2 is at most 512 KiB: there
  // (K = 256, AMD Zen 1) shared ran 1.07-1.11x against 1.12x whole per task and 1.22x in panels. With 1 MiB (AMD
  // Zen 5 class, 1024 rows, 2 threads, interleaved in one process) shared ran 1.15-1.24x the aligned time at K = 384
  // and 512, panels fitting one budget 0.90-1.01x, and panels fitting three quarters of it 0.91-0.98x; at K = 256,
  // Y whole per task (exactly one budget) 1.05-1.09x, two panels of 128 1.01-1.04x (three runs; one earlier sweep,
  // in a slow phase, had 1.13x against 1.11x). The panels have near-equal widths (K = 512: 176 + 176 + 160, not
  // 192 + 192 + 128), since an uneven split measured worse where tried (K = 192 forced into panels, 2 threads,
  // separate runs: 128 + 64 1.25x the aligned time, 96 + 96 0.99x; on 1 thread 96 + 96 was 1.17x against 1.07x
  // whole, which is why a Y within three quarters of the budget stays whole).
  const int64_t own = budget / 4 * 3;  // floats of one task's copy
  const bool share = parts > 1 && l2_cache_bytes() <= g_shared_dot_l2_max.load(std::memory_order_relaxed);
  const int64_t share_limit = share ? budget * parts : own;
  PanelPlan packed{width, padded(width), true, rows * padded(width) > own};
  if (forced_panel_width() > 0 || rows * padded(width) > share_limit) {
    const int64_t fits = own / rows / 16 * 16;  // the widest panel of whole lines (whole vectors of any ISA)
    if (fits < vector) return in_place;
    int64_t panel;
    if (forced_panel_width() > 0) {
      panel = std::min((forced_panel_width() + vector - 1) / vector * vector, fits);
    } else {
      const int64_t count = (width + fits - 1) / fits;
      panel = padded((width + count - 1) / count);  // <= fits, a multiple of 16
    }
    panel = std::min(panel, width);
    packed = PanelPlan{panel, padded(panel), true, false};
  }
  if (mode == PackMode::kAlways) return packed;
  const bool aligned = reinterpret_cast<uintptr_t>(b) % 64 == 0 && ldb % 16 == 0;
  if (aligned || uses < 4 * rows) return in_place;
  return packed;
}

namespace {
// s's buffer, grown to at least `floats` (64-byte aligned; the old contents are not kept).
float* reserve(Scratch& s, int64_t floats) {
  if (s.floats < floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    void* p = aligned_bytes(bytes);
    if (!p) throw std::bad_alloc();
    s.data.reset(static_cast<float*>(p));
    s.floats = floats;
  }
  return s.data.get();
}
}  // namespace

float* pack_scratch(int64_t floats) {
  thread_local Scratch s;
  return reserve(s, floats);
}

float* shared_pack_scratch(int64_t floats) {
  thread_local Scratch s;
  return reserve(s, floats);
}

float* values_scratch(int64_t floats) {
  thread_local Scratch s;
  return reserve(s, floats);
}

namespace {
// Columns [width, ld) of dst's rows [r0, r1) set to zero, up to the end of the line holding column width - 1:
// kernels may read a packed row in whole vectors, never past that line (a line is one AVX-512 vector; panel_ld's
// extra line is left as it is).
void zero_padding(float* dst, int64_t r0, int64_t r1, int64_t width, int64_t ld) {
  const int64_t end = std::min(ld, padded(width));
  if (end <= width) return;
  for (int64_t r = r0; r < r1; ++r) std::memset(dst + r * ld + width, 0, static_cast<size_t>(end - width) * sizeof(float));
}
}  // namespace

void pack_panel(const float* b, int64_t ldb, int64_t rows, int64_t j0, int64_t width, float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * ld, b + r * ldb + j0, static_cast<size_t>(width) * sizeof(float));
  zero_padding(dst, 0, rows, width, ld);
}

void pack_panel_transposed(const float* bt, int64_t ldb, int64_t rows, int64_t j0, int64_t width, float* dst, int64_t ld) {
  // Blocks of 64 rows of B, so the block's rows of dst stay in L1 while the panel's columns fill them; within a
  // block, 4 x 4 tiles transposed in SSE registers where the ISA has them (every x86-64; with them the packing
  // of a 784 x 128 batch added 23 us to the first layer of bench/serve.js's model instead of 60).
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    const int64_t r1 = std::min(rows, r0 + kBlock);
    int64_t j = 0;
#if defined(__SSE2__)
    for (; j + 4 <= width; j += 4) {
      const float* s0 = bt + (j0 + j) * ldb;
      int64_t r = r0;
      for (; r + 4 <= r1; r += 4) {
        __m128 a = _mm_loadu_ps(s0 + r), b = _mm_loadu_ps(s0 + ldb + r);
        __m128 c = _mm_loadu_ps(s0 + 2 * ldb + r), d = _mm_loadu_ps(s0 + 3 * ldb + r);
        _MM_TRANSPOSE4_PS(a, b, c, d);
        _mm_storeu_ps(dst + r * ld + j, a);
        _mm_storeu_ps(dst + (r + 1) * ld + j, b);
        _mm_storeu_ps(dst + (r + 2) * ld + j, c);
        _mm_storeu_ps(dst + (r + 3) * ld + j, d);
      }
      for (; r < r1; ++r)
        for (int64_t q = 0; q < 4; ++q) dst[r * ld + j + q] = s0[q * ldb + r];
    }
#endif
    for (; j < width; ++j) {
      const float* src = bt + (j0 + j) * ldb;
      for (int64_t r = r0; r < r1; ++r) dst[r * ld + j] = src[r];
    }
    zero_padding(dst, r0, r1, width, ld);
  }
}

}  // namespace sk
