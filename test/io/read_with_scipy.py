"""Rebuilds tensors written by sparsekit's save() with numpy and scipy, as the README shows.

The layout is read per the safetensors spec (u64 LE header length, JSON header, raw buffers); on a machine with the
`safetensors` package, safe_open() gives the same arrays.
"""
import json
import struct
import sys

import numpy as np
import scipy.sparse as sp


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": "<f4", "I32": "<i4", "U8": "u1"}
    tensors = {
        k: np.frombuffer(data[v["data_offsets"][0] : v["data_offsets"][1]], dtype=dtypes[v["dtype"]]).reshape(v["shape"])
        for k, v in header.items()
    }
    return tensors, meta


t, meta = load(sys.argv[1])
info = json.loads(meta["sparsekit"])["tensors"]
W = sp.csr_matrix((t["w.values"], t["w.indices"], t["w.indptr"]), shape=info["w"]["shape"])
(rows, cols), (r, c) = info["b"]["shape"], info["b"]["block"]
B = sp.bsr_matrix((t["b.values"], t["b.indices"], t["b.indptr"]), shape=(-(-rows // r) * r, -(-cols // c) * c)).tocsr()[:rows, :cols]
M = np.unpackbits(t["m.bits"], bitorder="little")[: np.prod(info["m"]["shape"])].reshape(info["m"]["shape"])
print(json.dumps({"w": W.toarray().ravel().tolist(), "b": B.toarray().ravel().tolist(), "m": M.ravel().tolist(), "note": meta.get("note")}))
