// @ts-check
// A one-node ONNX model, Y = MatMul(A, B) with symbolic shapes, encoded by hand (a few protobuf fields), so the
// dense baseline needs no Python or model file. Field numbers are from onnx/onnx.proto.
'use strict';

/** @param {number} n */
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}
/** @type {(field: number, wire: number) => number[]} */
const key = (field, wire) => varint((field << 3) | wire);
/** @type {(field: number, n: number) => number[]} */
const int = (field, n) => [...key(field, 0), ...varint(n)];
/** @type {(field: number, b: number[]) => number[]} */
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
/** @type {(field: number, s: string) => number[]} */
const str = (field, s) => bytes(field, [...Buffer.from(s, 'utf8')]);

/**
 * @param {string} name
 * @param {(string | number)[]} dims
 */
function tensorValueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'string' ? str(2, d) : int(1, d))); // TensorShapeProto.dim
  const tensorType = [...int(1, 1 /* FLOAT */), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))]; // ValueInfoProto{name, type{tensor_type}}
}

/** Returns the serialized model as a Uint8Array (inputs 'A' [m, k] and 'B' [k, n], output 'Y'). */
function makeMatMulModel() {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'Y'), ...str(3, 'matmul'), ...str(4, 'MatMul')];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'dense_baseline'),
    ...bytes(11, tensorValueInfo('A', ['m', 'k'])),
    ...bytes(11, tensorValueInfo('B', ['k', 'n'])),
    ...bytes(12, tensorValueInfo('Y', ['m', 'n'])),
  ];
  const model = [...int(1, 8 /* ir_version */), ...str(2, 'sparsekit-bench'), ...bytes(7, graph), ...bytes(8, int(2, 13))];
  return Uint8Array.from(model);
}

module.exports = { makeMatMulModel };
