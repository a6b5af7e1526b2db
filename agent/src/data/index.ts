export {
  InputChangedError,
  InputCorruptError,
  InputError,
  type InputErrorCode,
  InputTooLargeError,
  InputUnavailableError,
} from "./errors.js";
export { type PieceQuery, pieceCidV1, pieceCidV2 } from "./piece.js";
export {
  createInputResolver,
  DEFAULT_MAX_CID_BYTES,
  type InputResolver,
  type InputResolverOptions,
  type PieceVerifyPolicy,
  type ResolvedInput,
  type ResolveOptions,
} from "./resolver.js";
export { ipfsHttp, type IpfsHttpOptions } from "./sources/ipfsHttp.js";
export { pieceDirectory, type PieceDirectoryOptions } from "./sources/pieceDirectory.js";
export { pieceHttp, type PieceHttpOptions } from "./sources/pieceHttp.js";
export type {
  CidSource,
  InputSource,
  PieceBytes,
  PieceLayout,
  PieceSource,
  LocateResult,
  SourceBytes,
  StoredFile,
} from "./sources/types.js";
export { type FileStamp, openVerdictStore, type Verdict, type VerdictStore } from "./verdicts.js";
