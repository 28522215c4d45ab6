/**
 * The one error class sparsekit throws. `code` is stable and meant for programs; `message` is for people and names
 * the argument and what was received.
 */
export type SparseErrorCode =
  | 'ERR_ARGUMENT' // wrong kind of argument or option value
  | 'ERR_SHAPE' // dimensions or lengths that do not agree
  | 'ERR_DTYPE' // wrong TypedArray kind (e.g. Float64Array where Float32Array is due)
  | 'ERR_FORMAT' // a sparse structure that breaks its format's invariants
  | 'ERR_RANGE' // a number outside its allowed range (negative size, index >= dimension, NaN, int32 overflow)
  | 'ERR_UNSUPPORTED' // an option, ISA or feature this build or CPU does not offer
  | 'ERR_IO' // reading or writing files and byte containers
  | 'ERR_CUDA' // the CUDA backend
  | 'ERR_NATIVE'; // the native addon could not be loaded or failed internally

export const ERROR_CODES: readonly SparseErrorCode[] = [
  'ERR_ARGUMENT',
  'ERR_SHAPE',
  'ERR_DTYPE',
  'ERR_FORMAT',
  'ERR_RANGE',
  'ERR_UNSUPPORTED',
  'ERR_IO',
  'ERR_CUDA',
  'ERR_NATIVE',
];

export class SparseError extends Error {
  readonly code: SparseErrorCode;

  constructor(code: SparseErrorCode, message: string) {
    super(message);
    this.name = 'SparseError';
    this.code = code;
  }
}
