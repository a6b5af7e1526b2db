export { ShoalError, type ShoalErrorParameters, type ShoalErrorType } from "./base.js";
export {
  InvalidSpecError,
  type InvalidSpecErrorType,
  type SpecIssue,
  SpecTooLargeError,
  type SpecTooLargeErrorType,
} from "./spec.js";
export {
  InvalidFr32LengthError,
  type InvalidFr32LengthErrorType,
  InvalidPieceCidError,
  type InvalidPieceCidErrorType,
  InvalidPieceSizeError,
  type InvalidPieceSizeErrorType,
  PayloadTooSmallError,
  type PayloadTooSmallErrorType,
} from "./piece.js";
export {
  BlockVerificationError,
  type BlockVerificationErrorType,
  DestinationNotEmptyError,
  type DestinationNotEmptyErrorType,
  InvalidCarError,
  type InvalidCarErrorType,
  InvalidEntryNameError,
  type InvalidEntryNameErrorType,
  InvalidResultCidError,
  type InvalidResultCidErrorType,
  MissingBlockError,
  type MissingBlockErrorType,
  ResultDownloadInterruptedError,
  type ResultDownloadInterruptedErrorType,
  ResultRootMismatchError,
  type ResultRootMismatchErrorType,
  ResultTooLargeError,
  type ResultTooLargeErrorType,
  UnexpectedBlockError,
  type UnexpectedBlockErrorType,
  UnsupportedEntryError,
  type UnsupportedEntryErrorType,
  type UnsupportedEntryKind,
} from "./result.js";
export {
  InvalidPipelineError,
  type InvalidPipelineErrorType,
  PipelineStepFailedError,
  type PipelineStepFailedErrorType,
  PipelineSubmitError,
  type PipelineSubmitErrorType,
} from "./pipeline.js";
export { InvalidSpecTemplateError, type InvalidSpecTemplateErrorType } from "./federated.js";
