#!/usr/bin/env bash
# Builds and runs native/test/cuda-tests.cu with nvcc: every CUDA kernel body against the scalar CPU kernels,
# emulated on the CPU over its whole launch grid (runs everywhere) and, when there is a GPU, launched on it. Without
# a GPU the output says that the GPU part did not run. SPARSEKIT_CUDA_ARCHS as for build:cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-tests/cuda
mkdir -p "$out"
archs="${SPARSEKIT_CUDA_ARCHS:-80;90}"
gencode=()
for a in ${archs//;/ }; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
scalar=()
for family in spmm-csr spmv-csr sddmm-csr spmmt-csr sgd adam; do scalar+=("native/kernels/f32-$family/f32-$family-scalar.cc"); done
nvcc -std=c++17 -O2 -Werror all-warnings "${gencode[@]}" native/test/cuda-tests.cu native/cuda/*.cu native/cuda/vendor.cc native/core/status.cc \
  "${scalar[@]}" -ldl -o "$out/cuda-tests"
"$out/cuda-tests"
