// Result CIDs and blocks, the parts that run anywhere. Computing a directory's result CID and
// packing or unpacking CARs on disk are in ../node.ts (@shoal/sdk/node).
export { RESULT_CHUNK_SIZE, RESULT_MAX_CHILDREN, RESULT_SHARD_THRESHOLD } from "./constants.js";
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
export { verifyBlock } from "./verifyBlock.js";
export { MemoryBlockstore } from "./blockstore.js";
export {
  fetchResultFiles,
  type FetchResultFilesErrorType,
  type FetchResultFilesParameters,
  type FetchResultFilesReturnType,
  type ResultFile,
} from "./fetchResultFiles.js";
