#!/usr/bin/env python3
"""The best dense GEMM baseline bench/ can reach from Node: numpy's matmul (OpenBLAS on Debian), float32.

usage: OPENBLAS_NUM_THREADS=T python3 bench/dense-numpy.py SPEC...
SPEC is MxKxN (C = A B, A M x K), t:MxKxN (C = A.T B, A stored K x M, as gemm's transA) or sddmm:M:K:k:density (the dense way to an SDDMM: X Y^T with X M x k and Y K x k,
then the entries of a random pattern of that density gathered by fancy indexing, as a framework without SDDMM does).
Prints one JSON object {SPEC: median_ms, ..., "numpy": version, "blas": name}. Same protocol as
../shared/peers (runners/common.py): one warm-up call, inner loops sized to ~50 ms, median of 7 repetitions.
"""
import json
import sys
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # older numpy: the linked library's name from its config
        info = getattr(np.__config__, "blas_opt_info", None) or getattr(np.__config__, "openblas_info", None) or {}
        libs = info.get("libraries", []) if isinstance(info, dict) else []
        name = libs[0] if libs else "unknown"
        if name == "blas":  # Debian: the generic libblas.so.3, which the alternatives system points at OpenBLAS or not
            import glob
            import os
            for link in glob.glob("/etc/alternatives/libblas.so.3*"):
                target = os.path.realpath(link)
                return "OpenBLAS" if "openblas" in target else os.path.basename(os.path.dirname(target)) or target
        return name


def median_ms(fn):
    fn()
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t > 0.05:
            break
        reps *= 2
    samples = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t) / reps * 1e3)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    out = {"numpy": np.__version__, "blas": blas_name()}
    rng = np.random.default_rng(1)
    for spec in sys.argv[1:]:
        if spec.startswith("sddmm:"):
            _, m, n, k, density = spec.split(":")
            m, n, k, density = int(m), int(n), int(k), float(density)
            x = rng.standard_normal((m, k), dtype=np.float32)
            y = rng.standard_normal((n, k), dtype=np.float32)
            mask = rng.random((m, n)) < density
            ri, ci = np.nonzero(mask)
            full = np.empty((m, n), dtype=np.float32)

            def run():
                np.matmul(x, y.T, out=full)
                return full[ri, ci]

            out[spec] = median_ms(run)
            continue
        trans = spec.startswith("t:")
        m, k, n = (int(x) for x in spec[2 if trans else 0:].split("x"))
        a = rng.standard_normal((k, m) if trans else (m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        op = a.T if trans else a
        out[spec] = median_ms(lambda: np.matmul(op, b, out=c))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
