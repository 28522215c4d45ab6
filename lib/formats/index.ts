/**
 * The formats layer: dense matrices, the sparse formats and their registry. Each format module registers itself
 * when loaded; this list loads them all (a new format is one more line here).
 */
export { alignedFloat32Array, denseMatrix } from './dense';
export type { DenseMatrix } from './dense';
export { formatOf, formatSpec, formatTags, isFormat, registerFormat } from './format';
export type { FormatCodec, FormatSpec, JsonValue, SparseFormat, StoredPart } from './format';
export { fromShared, toShared } from './shared';
export type { FromSharedOptions } from './shared';
export { CSRMatrix } from './csr';
export type { FromCOOOptions, FromDenseOptions, RandomOptions } from './csr';
export { COOMatrix } from './coo';
export { BSRMatrix } from './bsr';
export type { BlockOptions } from './bsr';
export { NMMatrix } from './nm';
export type { NMOptions } from './nm';
export { Mask } from './mask';
export type { ApplyOptions } from './mask';
