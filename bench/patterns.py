#!/usr/bin/env python3
"""CSR SpMM on shapes and weight patterns that ../shared/peers does not generate, timed by the peers' own runners.

  npm run bench:patterns                      # = python3 bench/patterns.py (the runners use /usr/bin/python3)
  /usr/bin/python3 bench/patterns.py --threads 1,2 --only powerlaw,banded --peers ../shared/peers --out /tmp/x

The shared harness sweeps uniform random positions on three shapes; users bring other matrices. This writes seeded
cases with the harness's own writer (gen/gen.py: indptr.i32, indices.i32, values.f32, b.f32, c_ref.f32 from a
float64 product, meta.json) to OUT/data, runs the harness's Eigen, numpy/OpenBLAS, PyTorch and sparsekit runners on them (the same timing protocol:
median of repetitions, warm caches), and prints one table per thread count: sparsekit on 4-byte-offset views (the
runner's `sparsekit_csr`) against Eigen's SpMM and the faster of numpy's and torch's dense product, and the offset
views' time over 64-byte-aligned operands (`sparsekit_csr_aligned`). Needs Debian's python3-numpy, python3-scipy,
python3-torch, libeigen3-dev and libopenblas-dev (as the harness does), and `npm install` done. About 4 minutes for
the default cases at 1 and 2 threads.
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = None  # ../shared/peers/gen/gen.py, loaded in main()


# ---- patterns: each returns (rows, cols, values) of an M x K matrix with about (1 - s) M K entries. Uniform and
# magnitude-pruned positions come from the harness's gen/gen.py (loaded in main()); the others are written here. ----
def uniform(rng, M, K, s):
    return GEN.gen_uniform(M, K, s, rng)


def powerlaw(rng, M, K, s):
    """Row lengths from a Zipf-like law (exponent 1.1) in shuffled order: a few rows hold most entries, many are empty
    (graph adjacency, attention masks). Positions uniform within a row."""
    nnz = int(round((1 - s) * M * K))
    w = 1.0 / np.arange(1, M + 1) ** 1.1
    rng.shuffle(w)
    lens = np.minimum(np.round(w / w.sum() * nnz).astype(np.int64), K)
    rows = np.repeat(np.arange(M), lens)
    cols = np.concatenate([np.sort(rng.choice(K, L, replace=False)) for L in lens if L])
    return rows, cols, rng.standard_normal(rows.size, dtype=np.float32)


def banded(rng, M, K, s):
    """A band of (1 - s) K consecutive columns per row, moving along the diagonal: neighbouring rows read the same
    rows of B (stencils, local attention)."""
    bw = max(1, int(round((1 - s) * K)))
    start = np.clip((np.arange(M) * K) // M - bw // 2, 0, K - bw)
    rows = np.repeat(np.arange(M), bw)
    cols = (start[:, None] + np.arange(bw)).ravel()
    return rows, cols, rng.standard_normal(rows.size, dtype=np.float32)


def clustered(rng, M, K, s):
    """Runs of 8 consecutive columns at random places in each row (what block or channel pruning leaves)."""
    runs = max(1, int(round((1 - s) * K / 8)))
    starts = np.stack([np.sort(rng.choice(K // 8, runs, replace=False)) for _ in range(M)]) * 8
    rows = np.repeat(np.arange(M), runs * 8)
    cols = (starts[:, :, None] + np.arange(8)).reshape(-1)
    return rows, cols, rng.standard_normal(rows.size, dtype=np.float32)


def magnitude(rng, M, K, s):
    """Global magnitude pruning of a Gaussian weight with lognormal row scales of sigma 1 (the harness's generator at
    twice its default spread): rows of very unequal length, as pruned layers have."""
    return GEN.gen_magnitude(M, K, s, rng, sigma=1.0)


PATTERNS = {"uniform": uniform, "powerlaw": powerlaw, "banded": banded, "clustered": clustered, "magnitude": magnitude}

# (pattern, M, K, sparsity, widths): none of these is among the harness's cases.
CASES = [
    ("powerlaw", 2048, 2048, 0.95, [32, 256]),
    ("banded", 2048, 2048, 0.95, [32, 256]),
    ("clustered", 1024, 1024, 0.90, [32, 256]),
    ("magnitude", 3000, 1000, 0.90, [32, 256]),
    ("uniform", 1024, 1024, 0.99, [32, 256]),
    ("uniform", 8192, 256, 0.90, [64]),
    ("uniform", 256, 8192, 0.90, [64]),
    ("uniform", 768, 3072, 0.80, [7, 100, 512]),
    ("uniform", 4096, 4096, 0.95, [128]),
]


def generate(out, only):
    dirs = []
    for i, (pattern, M, K, s, widths) in enumerate(CASES):
        if only and pattern not in only:
            continue
        rng = np.random.default_rng(9100 + i)
        r, c, v = PATTERNS[pattern](rng, M, K, s)
        A = sp.csr_matrix((v.astype(np.float32), (r, c)), shape=(M, K), dtype=np.float32)
        A.sum_duplicates()
        A.sort_indices()
        for N in widths:
            B = rng.standard_normal((K, N), dtype=np.float32)
            dirs.append(GEN.write_case(out, f"m{M}_k{K}_n{N}_s{s:.2f}_{pattern}", A, B, pattern, {"seed": 9100 + i}))
    return dirs


def run_rows(name, cmd, env, dirs):
    p = subprocess.run(cmd + dirs, env={**os.environ, **env}, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"  {name} failed ({p.returncode}): {p.stderr.strip()[-400:]}", file=sys.stderr)
    rows = [r for r in csv.reader(io.StringIO(p.stdout)) if len(r) == 6]
    return {(r[0], r[1]): (float(r[3]), float(r[5])) for r in rows}


def cpu_name():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", default="", help="comma-separated patterns (uniform, powerlaw, banded, clustered, magnitude)")
    ap.add_argument("--peers", default=os.environ.get("PEERS", os.path.join(ROOT, "..", "shared", "peers")))
    ap.add_argument("--out", default="/tmp/sparsekit-patterns")
    a = ap.parse_args()
    peers = os.path.abspath(a.peers)
    runners = os.path.join(peers, "runners")
    if not os.path.isdir(runners):
        sys.exit(f"bench/patterns.py: the peers harness is not at {peers} (pass --peers DIR or set PEERS)")
    global GEN
    sys.path.insert(0, os.path.join(peers, "gen"))
    import gen as GEN  # the harness's case writer and generators (../shared/peers/gen/gen.py)
    only = {p for p in a.only.split(",") if p}
    unknown = only - set(PATTERNS)
    if unknown:
        sys.exit(f"bench/patterns.py: unknown pattern(s) {sorted(unknown)}; known: {sorted(PATTERNS)}")
    os.makedirs(os.path.join(a.out, "build"), exist_ok=True)
    print(f"generating cases in {a.out}/data", file=sys.stderr)
    dirs = generate(os.path.join(a.out, "data"), only)
    eigen = os.path.join(a.out, "build", "eigen_runner")
    if not os.path.exists(eigen):
        subprocess.run(["g++", "-O3", "-march=native", "-fopenmp", "-DNDEBUG", "-I/usr/include/eigen3",
                        os.path.join(runners, "eigen_runner.cpp"), "-o", eigen], check=True)
    py = "/usr/bin/python3"
    print(f"CPU: {cpu_name()}; sparsekit from {ROOT}; runners from {runners}\n")
    for T in [int(t) for t in a.threads.split(",")]:
        env = {"OPENBLAS_NUM_THREADS": str(T), "OMP_NUM_THREADS": str(T), "SK_PATH": ROOT}
        t = {}
        for name, cmd in [("eigen", [eigen]), ("numpy", [py, os.path.join(runners, "numpy_runner.py")]),
                          ("torch", [py, os.path.join(runners, "torch_runner.py")]),
                          ("sparsekit", ["node", os.path.join(runners, "sparsekit_runner.mjs")])]:
            print(f"  {T} thread(s): {name}", file=sys.stderr)
            t.update(run_rows(name, cmd + ["--threads", str(T)], env, dirs))
        print(f"### {T} thread(s): ms (median), sparsekit on 4-byte-offset views; ratios are the other's time over ours\n")
        print("| case | nnz | sparsekit ms | max rel err | aligned ms | offset / aligned | Eigen ms | vs Eigen | best dense ms | vs best dense |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for d in dirs:
            m = json.load(open(os.path.join(d, "meta.json")))
            n = m["name"]
            ms = lambda peer: t[(peer, n)][0] if (peer, n) in t else None
            sk, al, eg = ms("sparsekit_csr"), ms("sparsekit_csr_aligned"), ms("eigen_csr")
            err = t[("sparsekit_csr", n)][1] if ("sparsekit_csr", n) in t else None
            dense = [(t[(p, n)][0], p.split("_")[0]) for p in ("numpy_dense", "torch_dense") if (p, n) in t]
            best = min(dense) if dense else None
            f = lambda x: "-" if x is None else f"{x:.3f}"
            r = lambda x, y: "-" if x is None or y is None else f"{x / y:.2f}x"
            print(f"| {n} | {m['nnz']} | {f(sk)} | {'-' if err is None else f'{err:.1e}'} | {f(al)} | {r(sk, al)} | {f(eg)} | {r(eg, sk)} | "
                  f"{'-' if best is None else f'{best[0]:.3f} ({best[1]})'} | {r(best[0] if best else None, sk)} |")
        print()


if __name__ == "__main__":
    main()
