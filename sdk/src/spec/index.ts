export { type BuildSpecErrorType, type BuildSpecParameters, type BuildSpecReturnType, buildSpec } from "./buildSpec.js";
export { toCanonicalJson } from "./canonical.js";
export { MAX_INPUTS, MAX_OUTPUT_BYTES, MAX_SPEC_SIZE, MAX_WASM_MEMORY_MB, SPEC_DEFAULTS, SPEC_VERSION } from "./constants.js";
export { type DecodeSpecErrorType, type DecodeSpecParameters, type DecodeSpecReturnType, decodeSpec } from "./decodeSpec.js";
export { type EncodeSpecErrorType, type EncodeSpecParameters, type EncodeSpecReturnType, encodeSpec } from "./encodeSpec.js";
export { type HashSpecErrorType, type HashSpecParameters, type HashSpecReturnType, hashSpec } from "./hashSpec.js";
export {
  type DockerEngine,
  type Spec,
  type SpecEngine,
  type SpecInput,
  type SpecInputEntry,
  type SpecResources,
  specSchema,
  type WasmEngine,
} from "./schema.js";
