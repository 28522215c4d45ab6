#!/usr/bin/env bash
# Builds and runs the CUDA test program (native/test/cuda-tests.cu) or, with `bench`, the GPU SpMM benchmark
# (bench/cuda-spmm.cu), with nvcc. The tests compare every CUDA kernel body against the scalar CPU kernels,
# emulated on the CPU over its whole launch grid (runs everywhere) and, when there is a GPU, launched on it; without
# a GPU the output says that the GPU part did not run, and the benchmark says it did not run.
#   bash scripts/cuda-tests.sh                 the tests
#   bash scripts/cuda-tests.sh bench [M K sparsity N...]   the benchmark (default 4096 4096 0.9 256 2048)
# SPARSEKIT_CUDA_ARCHS as for build:cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
program=native/test/cuda-tests.cu
if [ "${1:-}" = bench ]; then program=bench/cuda-spmm.cu; shift; fi
name="$(basename "$program" .cu)"
out=build-tests/cuda
mkdir -p "$out"
archs="${SPARSEKIT_CUDA_ARCHS:-80;90}"
gencode=()
for a in ${archs//;/ }; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
scalar=()
for family in spmm-csr spmm-nm spmv-csr sddmm-csr spmmt-csr sgd adam; do scalar+=("native/kernels/f32-$family/f32-$family-scalar.cc"); done
nvcc -std=c++17 -O3 -Werror all-warnings "${gencode[@]}" "$program" native/cuda/*.cu native/cuda/vendor.cc native/core/status.cc \
  "${scalar[@]}" -ldl -o "$out/$name"
"$out/$name" "$@"
