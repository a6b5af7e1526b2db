/** Shard files start with these 4 bytes: "SHRD". */
export const SHARD_MAGIC = 0x44524853;
/** Model files start with these 4 bytes: "SMDL". */
export const MODEL_MAGIC = 0x4c444d53;
/** The version of both formats this SDK reads and writes. */
export const ML_FORMAT_VERSION = 1;
/** Bytes before a shard's features. */
export const SHARD_HEADER_BYTES = 20;
/** Bytes before a model's parameters. */
export const MODEL_HEADER_BYTES = 32;
/** Largest class count (labels are u8). */
export const MAX_CLASSES = 255;
/** Largest feature count per row. */
export const MAX_FEATURES = 1 << 20;
/** Largest hidden layer. */
export const MAX_HIDDEN = 4096;
