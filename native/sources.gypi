# The one list of native sources, grouped by the compiler flags each group gets. binding.gyp includes this file;
# CMakeLists.txt and scripts/native-sources.sh parse it (one quoted path or flag per item), so keep that shape.
{
  'variables': {
    # Built with no ISA flags: runtime detection and everything that runs before it.
    'sk_core_sources': [
      'native/core/status.cc',
      'native/core/cpu.cc',
      'native/core/thread_pool.cc',
      'native/core/dispatch.cc',
      'native/core/ops.cc',
      'native/core/pack.cc',
      'native/core/convert.cc',
      'native/core/select.cc',
      'native/core/elementwise.cc',
      'native/core/regrow.cc',
      'native/core/check.cc',
    ],
    'sk_binding_sources': [
      'native/binding/addon.cc',
      'native/binding/common.cc',
      'native/binding/runtime.cc',
      'native/binding/kernels.cc',
      'native/binding/convert.cc',
      'native/binding/prune.cc',
      'native/binding/optim.cc',
      'native/binding/layers.cc',
    ],
    'sk_scalar_sources': [
      'native/kernels/f32-spmv-csr/f32-spmv-csr-scalar.cc',
      'native/kernels/f32-spmm-csr/f32-spmm-csr-scalar.cc',
      'native/kernels/f32-sddmm-csr/f32-sddmm-csr-scalar.cc',
      'native/kernels/f32-spmmt-csr/f32-spmmt-csr-scalar.cc',
      'native/kernels/f32-spmm-bsr/f32-spmm-bsr-scalar.cc',
      'native/kernels/f32-spmm-nm/f32-spmm-nm-scalar.cc',
      'native/kernels/f32-spmv-nm/f32-spmv-nm-scalar.cc',
      'native/kernels/f32-sgd/f32-sgd-scalar.cc',
      'native/kernels/f32-adam/f32-adam-scalar.cc',
      'native/kernels/f32-gemm/f32-gemm-scalar.cc',
    ],
    # The ISA flags of the x86-64 groups (binding.gyp, CMakeLists.txt and scripts/native-sources.sh read them here).
    'sk_avx2_cflags': ['-mavx2', '-mfma'],
    'sk_avx512_cflags': ['-mavx512f', '-mavx512vl', '-mavx512bw', '-mavx512dq', '-mavx2', '-mfma'],
    # x86-64 only; only these files get sk_avx2_cflags.
    'sk_avx2_sources': [
      'native/kernels/f32-spmv-csr/f32-spmv-csr-avx2.cc',
      'native/kernels/f32-spmm-csr/f32-spmm-csr-avx2.cc',
      'native/kernels/f32-sddmm-csr/f32-sddmm-csr-avx2.cc',
      'native/kernels/f32-spmmt-csr/f32-spmmt-csr-avx2.cc',
      'native/kernels/f32-spmm-bsr/f32-spmm-bsr-avx2.cc',
      'native/kernels/f32-spmm-nm/f32-spmm-nm-avx2.cc',
      'native/kernels/f32-spmv-nm/f32-spmv-nm-avx2.cc',
      'native/kernels/f32-sgd/f32-sgd-avx2.cc',
      'native/kernels/f32-adam/f32-adam-avx2.cc',
      'native/kernels/f32-gemm/f32-gemm-avx2.cc',
    ],
    # x86-64 only; only these files get sk_avx512_cflags.
    'sk_avx512_sources': [
      'native/kernels/f32-spmv-csr/f32-spmv-csr-avx512.cc',
      'native/kernels/f32-spmm-csr/f32-spmm-csr-avx512.cc',
      'native/kernels/f32-sddmm-csr/f32-sddmm-csr-avx512.cc',
      'native/kernels/f32-spmmt-csr/f32-spmmt-csr-avx512.cc',
      'native/kernels/f32-spmm-bsr/f32-spmm-bsr-avx512.cc',
      'native/kernels/f32-spmm-nm/f32-spmm-nm-avx512.cc',
      'native/kernels/f32-spmv-nm/f32-spmv-nm-avx512.cc',
      'native/kernels/f32-sgd/f32-sgd-avx512.cc',
      'native/kernels/f32-adam/f32-adam-avx512.cc',
      'native/kernels/f32-gemm/f32-gemm-avx512.cc',
    ],
    # aarch64 only; Advanced SIMD is baseline there, so these need no flags.
    'sk_neon_sources': [
      'native/kernels/f32-spmv-csr/f32-spmv-csr-neon.cc',
      'native/kernels/f32-spmm-csr/f32-spmm-csr-neon.cc',
      'native/kernels/f32-sddmm-csr/f32-sddmm-csr-neon.cc',
      'native/kernels/f32-spmmt-csr/f32-spmmt-csr-neon.cc',
      'native/kernels/f32-spmm-bsr/f32-spmm-bsr-neon.cc',
      'native/kernels/f32-spmm-nm/f32-spmm-nm-neon.cc',
      'native/kernels/f32-spmv-nm/f32-spmv-nm-neon.cc',
      'native/kernels/f32-sgd/f32-sgd-neon.cc',
      'native/kernels/f32-adam/f32-adam-neon.cc',
      'native/kernels/f32-gemm/f32-gemm-neon.cc',
    ],
  },
}
