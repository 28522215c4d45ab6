export { save, load, loadMetadata, saveFile, loadFile } from './safetensors';
export type { Savable, JsonValue } from './safetensors';
export { readMatrixMarket, writeMatrixMarket } from './matrix-market';
export type { WriteMatrixMarketOptions } from './matrix-market';
export { importSafetensors, importSafetensorsFile, safetensorsInfo } from './import-safetensors';
export type { ImportedTensor, ImportOptions, SafetensorsDType, TensorInfo } from './import-safetensors';
export { exportSafetensors, exportSafetensorsFile } from './export-safetensors';
export type { ExportTensor } from './export-safetensors';
export {
  exportCompressedTensors,
  exportCompressedTensorsFile,
  fromCompressedTensors,
  importCompressedTensors,
  importCompressedTensorsFile,
  toCompressedTensors,
} from './compressed-tensors';
export type { CompressedTensorsFormat, CompressedWeight, ExportCompressedOptions } from './compressed-tensors';
export { importOnnx, importOnnxFile } from './onnx';
export type { ImportOnnxOptions, OnnxModel, OnnxNode } from './onnx';
