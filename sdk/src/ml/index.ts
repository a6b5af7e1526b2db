// "@shoal/sdk/ml": the ML kernels' file formats (docs/ml-formats.md) and dataset splitting.
// Browser-safe: no `node:` module is reachable from here. Loading the MNIST package from disk
// is in "@shoal/sdk/node" (loadMnist).
export {
  MAX_CLASSES,
  MAX_FEATURES,
  MAX_HIDDEN,
  ML_FORMAT_VERSION,
  MODEL_HEADER_BYTES,
  MODEL_MAGIC,
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
} from "./constants.js";
export { type DecodeShardErrorType, decodeShard, type EncodeShardErrorType, encodeShard, type Shard } from "./shard.js";
export { type DecodeModelErrorType, decodeModel, type EncodeModelErrorType, encodeModel, type Model, modelParamCount } from "./model.js";
export {
  type Dataset,
  splitDataset,
  type SplitDatasetErrorType,
  type SplitDatasetParameters,
  type SplitDatasetReturnType,
} from "./splitDataset.js";
export { rawCid } from "./rawCid.js";
export {
  DatasetUnavailableError,
  type DatasetUnavailableErrorType,
  InvalidModelError,
  type InvalidModelErrorType,
  InvalidShardError,
  type InvalidShardErrorType,
  InvalidSplitError,
  type InvalidSplitErrorType,
} from "../errors/ml.js";
export {
  aggregateSpec,
  evaluateSpec,
  federatedKernelSpecs,
  formatDecimal,
  inferSpec,
  KERNEL_MODULES,
  type KernelModules,
  type KernelResources,
  type ModelSource,
  type ShardPiece,
  type TrainParams,
  trainSpec,
} from "./specs.js";
