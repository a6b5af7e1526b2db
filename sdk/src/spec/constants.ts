/** The job spec version this SDK builds and reads. */
export const SPEC_VERSION = 1;
/** Cap on the canonical encoding, in bytes: the JobMarket contract's `MAX_SPEC_SIZE`. */
export const MAX_SPEC_SIZE = 16_384;
/** Most inputs a job may have: the JobMarket contract's `MAX_INPUTS`. */
export const MAX_INPUTS = 16;
/** Largest `resources.maxOutputBytes`: 1 GiB. */
export const MAX_OUTPUT_BYTES = 1_073_741_824;
/** wasm32 linear memory tops out at 4 GiB. */
export const MAX_WASM_MEMORY_MB = 4_096;

/** Defaults `buildSpec` fills in. */
export const SPEC_DEFAULTS = {
  entrypoint: "_start",
  outputsPath: "/outputs",
  network: "none",
  resources: {
    cpu: 1,
    memoryMb: 512,
    gpu: 0,
    timeoutSec: 600,
    maxOutputBytes: 104_857_600,
  },
} as const;
