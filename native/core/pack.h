// Packing a dense right-hand operand (B of SpMM) into aligned, cache-sized column panels, as GEMM libraries
// (BLIS, OpenBLAS) do with their B panels. It makes the kernels independent of where the caller's array starts
// (a view 4 bytes into a buffer otherwise splits every other vector load across two cache lines) and keeps the
// rows of B a kernel revisits at random contiguous and inside L2.
//
// Each task of an operator packs the panel it needs into its own thread's scratch and then runs the kernel on it:
// no barriers between threads, at the price of every thread copying B once (a streaming copy, a few percent of a
// product that reads each row of B many times). The exception is SDDMM's Y (plan_dot_panels): a dot product reads
// whole rows, so panels of it cost a pass over A each; where L2 is small (512 KiB) and Y fits the tasks' budgets
// together, it is packed once per call, split over the tasks, and then read by all of them. The scratch is per
// thread, 64-byte aligned, reused by later calls, and bounded by the panel budget (the L2 size; for the shared copy,
// that times the pool's threads); the caller's arrays are never written.
#pragma once
#include <cstdint>

namespace sk {

// L2 cache per core in bytes, detected once (Linux sysfs or sysconf, macOS sysctl, Windows processor information);
// 1 MiB when the system does not say.
int64_t l2_cache_bytes();

// How a product walks B: in panels of `width` columns (the last one narrower), each copied to aligned scratch
// with leading dimension `ld` when `pack`. width == n and !pack: B is used in place, as given.
struct PanelPlan {
  int64_t width;
  int64_t ld;
  bool pack;
  // plan_dot_panels only: the whole operand is packed once per call into one scratch that all the call's tasks
  // read (shared_pack_scratch of the calling thread), its rows split over the tasks, instead of by every task.
  bool shared = false;
};

// L1 data cache per core in bytes, detected likewise; 32 KiB when the system does not say.
int64_t l1_cache_bytes();

// Tests and benchmarks force the choice (the `tuning` entry of the addon): kAlways packs every call that can be
// packed, kNever none; panel_width > 0 overrides the width (rounded to whole vectors); block_bytes > 0 forces L1
// blocking with blocks of that many bytes (see plan_block_rows), -1 turns it off, 0 lets it be chosen.
// Process-wide.
enum class PackMode : int { kAuto = 0, kAlways = 1, kNever = 2 };
void set_pack_tuning(PackMode mode, int64_t panel_width, int64_t block_bytes = 0);
PackMode pack_mode();
int64_t forced_panel_width();

// The plan for a B of `rows` x n (leading dimension ldb) that each task reads `uses` times per column on average
// (stored entries times block width, divided by tasks), for kernels at ISA `isa`; `blocked`: the kernel walks B in
// L1 blocks (block_rows > 0).
PanelPlan plan_panels(const float* b, int64_t ldb, int64_t rows, int64_t n, int64_t uses, int isa, bool blocked = false);

// The plan for an operand whose rows are dot-product operands of length `width` (SDDMM's Y), read by `parts` tasks:
// in place when it is aligned or read less than about 4 times per row per task; else packed. Whole, by each task
// into its own scratch, when it fits three quarters of the L2 budget. Where L2 is at most 512 KiB (see
// set_shared_dot_l2_max) and there are 2 tasks or more, whole and shared (PanelPlan::shared) when it fits the
// budget of all the tasks together (the L2 budget times parts): packed once per call, split over the tasks, then
// read by all of them. Else in panels of the dot product's length, per task (near-equal widths of whole cache
// lines, each fitting three quarters of a budget, or the forced panel width), each dot product then summed panel
// by panel. In place, whole, when not even one line of every row fits.
PanelPlan plan_dot_panels(const float* b, int64_t ldb, int64_t rows, int64_t width, int64_t uses, int parts, int isa);

// Sets the largest L2 (bytes) with which plan_dot_panels shares an operand larger than one budget (512 KiB unless
// set) and returns the previous one: native tests set it to 0 or to a large size to run either plan on any
// machine. Process-wide.
int64_t set_shared_dot_l2_max(int64_t bytes);

// L1 blocking of an SpMM whose B has `rows` rows and whose panels are up to n columns wide, for an A with `entries`
// stored entries (block entries count once per element of the block) over a_rows rows: the rows of B per block
// such that a block under one register tile fits in L1, or 0 when B is not worth blocking (it fits already, or A
// has too few entries per row in a block for the saved L2 traffic to pay for revisiting C). SpmmParams and
// SpmmNmParams carry it as block_rows. `csr`: for the CSR kernel, whose register tiles of kPrefetchTileBytes and
// more prefetch B's rows from L2 instead, which measured faster than blocking (kernels/params.h): not planned for
// those (a forced block size still blocks), unless a tile's rows of B take several L2 sizes: then blocks of a
// quarter of L2 (for A dense enough, as above), walked by 256 rows of A at a time (plan_block_chunk). Rows of B
// count as read, in whole vectors. Unforced, CSR products are blocked only on cores where that measured faster:
// those without AVX-512 (see csr_blocks_pay in pack.cc); csr_pays 1 or 0 answers for such a core or another
// (tests), -1 for this one.
int64_t plan_block_rows(int64_t rows, int64_t n, int64_t entries, int64_t a_rows, int isa, bool csr, int csr_pays = -1);

// Floats per vector of an ISA's kernels (16 AVX-512, 8 AVX2, 4 NEON); 0 for the scalar ones, which are not packed.
int64_t vector_floats(int isa);

// The rows of A per blocked pass of the CSR kernel for blocks of `block_rows` (SpmmParams::block_chunk): 256 when a
// block is larger than L1 (a tall B blocked for L2, see plan_block_rows: each block is then read once per 256 rows
// of A rather than 32), else 0 (the kernel's 32).
int32_t plan_block_chunk(int64_t block_rows, int64_t n, int isa);

// The plan for a B given transposed (n rows of `rows` floats): it is always packed, in panels as plan_panels would
// cut them, or, when B is so tall that not even one vector of columns fits the L2 budget, one vector wide anyway
// (scratch of 64 bytes per row of B).
PanelPlan plan_transposed(int64_t rows, int64_t n, int isa);

// The calling thread's packing buffer, at least `floats` long (<= the panel budget), 64-byte aligned.
float* pack_scratch(int64_t floats);

// A second such buffer of the calling thread, for an operand packed whole: once per call and read by all of the
// call's tasks (PanelPlan::shared; the calling thread waits for its tasks, so the buffer is not reused before they
// finish), or by one task for itself beside what it packs in pack_scratch. At least `floats` long (<= the panel
// budget times the pool's threads).
float* shared_pack_scratch(int64_t floats);

// A third buffer of the calling thread, for values gathered through a permutation (spmmT with a plan): at least
// `floats` long (<= the stored entries of the operand), 64-byte aligned.
float* values_scratch(int64_t floats);

// dst[r * ld + j] = b[r * ldb + j0 + j] for r < rows, j < width, and 0 from width to the end of that line or to ld,
// whichever comes first (whole vectors of a packed row can be read: SpmmParams::b_padded).
void pack_panel(const float* b, int64_t ldb, int64_t rows, int64_t j0, int64_t width, float* dst, int64_t ld);

// The same panel from a B given transposed (bt[j * ldb + r] is B[r, j]): dst[r * ld + j] = bt[(j0 + j) * ldb + r],
// zero past width.
void pack_panel_transposed(const float* bt, int64_t ldb, int64_t rows, int64_t j0, int64_t width, float* dst, int64_t ld);

}  // namespace sk
