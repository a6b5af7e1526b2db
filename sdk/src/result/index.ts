export {
  type ComputeResultCidErrorType,
  type ComputeResultCidOptions,
  type ComputeResultCidReturnType,
  computeResultCid,
} from "./computeResultCid.js";
export { RESULT_CHUNK_SIZE, RESULT_MAX_CHILDREN, RESULT_SHARD_THRESHOLD } from "./constants.js";
export { type PackResultErrorType, type PackResultOptions, type PackResultReturnType, packResult } from "./packResult.js";
export {
  RESULT_CID_CODECS,
  type ResultCidBytesErrorType,
  type ResultCidBytesParameters,
  type ResultCidBytesReturnType,
  type ResultCidFromBytesErrorType,
  type ResultCidFromBytesParameters,
  type ResultCidFromBytesReturnType,
  resultCidBytes,
  resultCidFromBytes,
} from "./resultCidBytes.js";
export {
  type UnpackResultErrorType,
  type UnpackResultOptions,
  type UnpackResultReturnType,
  unpackResult,
} from "./unpackResult.js";
