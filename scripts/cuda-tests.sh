#!/usr/bin/env bash
# Builds and runs native/test/cuda-tests.cu with nvcc (GPU kernels against the scalar CPU kernels). On a machine
# without a GPU it compiles everything and reports that nothing ran on a GPU. SPARSEKIT_CUDA_ARCHS as for build:cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-tests/cuda
mkdir -p "$out"
archs="${SPARSEKIT_CUDA_ARCHS:-80;90}"
gencode=()
for a in ${archs//;/ }; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
srcs=(native/test/cuda-tests.cu native/cuda/*.cu native/core/status.cc native/kernels/f32-spmm-csr/f32-spmm-csr-scalar.cc
      native/kernels/f32-spmv-csr/f32-spmv-csr-scalar.cc)
nvcc -std=c++17 -O2 "${gencode[@]}" "${srcs[@]}" -o "$out/cuda-tests"
"$out/cuda-tests"
