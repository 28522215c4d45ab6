#include "cpu.h"

#include <atomic>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(_M_X64)
#define SK_X86_64 1
#include <cpuid.h>
#endif

namespace sk {
namespace {

#if SK_X86_64
// xgetbv through inline asm: the _xgetbv intrinsic would need -mxsave, and this file must build with no ISA flags.
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

uint32_t detect() {
  uint32_t mask = 1u << kIsaScalar;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return mask;
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  const bool fma = ecx & (1u << 12);
  if (!osxsave || !avx) return mask;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // XMM | YMM
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;   // XMM | YMM | opmask | ZMM_Hi256 | Hi16_ZMM
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return mask;
  const bool avx2 = ebx & (1u << 5);
  const bool avx512f = ebx & (1u << 16);
  const bool avx512dq = ebx & (1u << 17);
  const bool avx512bw = ebx & (1u << 30);
  const bool avx512vl = ebx & (1u << 31);
  if (ymm_state && avx2 && fma) {
    mask |= 1u << kIsaAvx2;
    if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl) mask |= 1u << kIsaAvx512;
  }
  return mask;
}
#elif defined(__aarch64__)
uint32_t detect() { return (1u << kIsaScalar) | (1u << kIsaNeon); }
#else
uint32_t detect() { return 1u << kIsaScalar; }
#endif

const char* const kNames[kIsaCount] = {"scalar", "avx2", "avx512", "neon"};

uint32_t g_supported = 0;
std::once_flag g_once;
std::atomic<int> g_active{-1};

void init() {
  std::call_once(g_once, [] {
    g_supported = detect();
    int best = kIsaScalar;
    for (int i = 0; i < kIsaCount; ++i)
      if (g_supported & (1u << i)) best = i;
    g_active.store(best);
  });
}

}  // namespace

const char* isa_name(int isa) { return (isa >= 0 && isa < kIsaCount) ? kNames[isa] : "unknown"; }

int isa_from_name(const char* name) {
  for (int i = 0; i < kIsaCount; ++i)
    if (std::strcmp(name, kNames[i]) == 0) return i;
  return -1;
}

uint32_t supported_isas() {
  init();
  return g_supported;
}

int best_isa() {
  init();
  int best = kIsaScalar;
  for (int i = 0; i < kIsaCount; ++i)
    if (g_supported & (1u << i)) best = i;
  return best;
}

int active_isa() {
  init();
  return g_active.load(std::memory_order_relaxed);
}

bool set_active_isa(int isa) {
  init();
  if (isa < 0 || isa >= kIsaCount || !(g_supported & (1u << isa))) return false;
  g_active.store(isa);
  return true;
}

}  // namespace sk
