export {
  FIL_COMMITMENT_UNSEALED,
  FR32_SHA256_TRUNC254_PADBINTREE,
  MAX_PIECE_HEIGHT,
  MIN_PIECE_HEIGHT,
  MIN_PIECE_PAYLOAD_SIZE,
  SHA2_256_TRUNC254_PADDED,
} from "./constants.js";
export {
  type CreatePieceHasherErrorType,
  type CreatePieceHasherParameters,
  type CreatePieceHasherReturnType,
  createPieceHasher,
  type PieceHasher,
} from "./createPieceHasher.js";
export {
  type ParsePieceCidErrorType,
  type ParsePieceCidParameters,
  type ParsePieceCidReturnType,
  parsePieceCid,
} from "./parsePieceCid.js";
export { type PieceCidErrorType, type PieceCidParameters, type PieceCidReturnType, pieceCid } from "./pieceCid.js";
export {
  type ToJobInputsErrorType,
  type ToJobInputsParameters,
  type ToJobInputsReturnType,
  toJobInputs,
} from "./toJobInputs.js";
export {
  isPaddedSize,
  type PieceRef,
  type ToPieceRefErrorType,
  type ToPieceRefParameters,
  type ToPieceRefReturnType,
  toPieceRef,
} from "./toPieceRef.js";
