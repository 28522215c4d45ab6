/** The layers: the Layer interface, Linear, SparseLinear, ReLU, the loss and Sequential. */
export type { BackwardOptions, ForwardOptions, Layer } from './layer';
export { SparseLinear, sparseLinearNnz } from './sparse-linear';
export type { SparseLinearOptions } from './sparse-linear';
export { Linear } from './linear';
export type { LinearOptions } from './linear';
export type { LayerFormat, ProductChoice } from './layer-format';
export { ReLU } from './relu';
export { softmaxCrossEntropy } from './loss';
export { Sequential } from './sequential';
export { InferenceModel, onnxSpec } from './inference';
export type { InferenceOptions, LayerSpec, ModelSpec, ModelTensor, PredictOptions } from './inference';
