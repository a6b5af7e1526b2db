// Shoal SDK, the parts that need Node's file system: download a verified result into a
// directory, compute the canonical result CID of a directory, pack and unpack result CARs.
// Browsers use "@shoal/sdk" (no `node:` module is reachable from it).
export {
  fetchResult,
  type FetchResultErrorType,
  type FetchResultParameters,
  type FetchResultReturnType,
  type ResultProgress,
} from "./actions/fetchResult.js";
export {
  type ComputeResultCidErrorType,
  type ComputeResultCidOptions,
  type ComputeResultCidReturnType,
  computeResultCid,
} from "./result/computeResultCid.js";
export { type PackResultErrorType, type PackResultOptions, type PackResultReturnType, packResult } from "./result/packResult.js";
export {
  type UnpackResultErrorType,
  type UnpackResultOptions,
  type UnpackResultReturnType,
  unpackResult,
} from "./result/unpackResult.js";
export {
  type DecryptKeystoreErrorType,
  type DecryptKeystoreParameters,
  type DecryptKeystoreReturnType,
  decryptKeystore,
} from "./keystore/decryptKeystore.js";
export { KeystoreError, type KeystoreErrorType } from "./errors/keystore.js";
export {
  type PieceCidOfFileErrorType,
  type PieceCidOfFileOptions,
  type PieceCidOfFileReturnType,
  pieceCidOfFile,
} from "./piece/pieceCidOfFile.js";
export {
  type PieceCidOfStreamErrorType,
  type PieceCidOfStreamOptions,
  type PieceCidOfStreamReturnType,
  pieceCidOfStream,
} from "./piece/pieceCidOfStream.js";
export {
  PieceFileChangedError,
  type PieceFileChangedErrorType,
  PieceFileUnreadableError,
  type PieceFileUnreadableErrorType,
  PieceHashAbortedError,
  type PieceHashAbortedErrorType,
} from "./errors/pieceFile.js";
export {
  gridPoints,
  runSweep,
  type RunSweepParameters,
  type RunSweepReturnType,
  type SweepGrid,
  type SweepPoint,
} from "./ml/sweep.js";
export { loadMnist } from "./ml/loadMnist.js";
