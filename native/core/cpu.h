// CPU feature detection and the process-wide ISA choice.
// This file and cpu.cc are compiled with no ISA flags: nothing here may execute an instruction the CPU lacks.
#pragma once
#include <cstdint>

namespace sk {

// Instruction-set levels, ordered from least to most capable on each architecture. Values index the per-family
// kernel tables (see dispatch.h), so they are dense and start at 0.
enum Isa : int {
  kIsaScalar = 0,
  kIsaAvx2 = 1,    // x86-64: AVX2 + FMA3, with the OS saving YMM state
  kIsaAvx512 = 2,  // x86-64: AVX-512 F/VL/BW/DQ, with the OS saving ZMM/opmask state
  kIsaNeon = 3,    // aarch64: Advanced SIMD (always present on aarch64)
  kIsaCount = 4,
};

const char* isa_name(int isa);
// Returns the Isa for a name ("scalar", "avx2", "avx512", "neon"), or -1.
int isa_from_name(const char* name);

// Bit mask (1 << Isa) of what this CPU and OS support; detected once.
uint32_t supported_isas();
// The best supported ISA.
int best_isa();

// The ISA kernels are dispatched to now. Starts at best_isa(); set_active_isa() changes it for the whole process
// (tests and benchmarks force each path in turn). Returns false if the CPU cannot run `isa`.
int active_isa();
bool set_active_isa(int isa);

}  // namespace sk
