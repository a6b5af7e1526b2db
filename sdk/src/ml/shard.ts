import { InvalidShardError } from "../errors/ml.js";
import { MAX_CLASSES, MAX_FEATURES, ML_FORMAT_VERSION, SHARD_HEADER_BYTES, SHARD_MAGIC } from "./constants.js";

/**
 * A shard: `rows` × `features` values, row-major, as u8 (a pixel; the kernels read it as
 * value / 255) or f32, and one u8 label per row below `classes` (none when `classes` is 0: an
 * unlabelled rows file for inference).
 */
export type Shard = {
  rows: number;
  features: number;
  classes: number;
  dtype: "u8" | "f32";
  /** rows × features values (Uint8Array for u8, Float32Array for f32). */
  data: Uint8Array | Float32Array;
  /** One label per row; empty when classes is 0. */
  labels: Uint8Array;
};

export type EncodeShardErrorType = InvalidShardError;

/**
 * The shard file's bytes (docs/ml-formats.md#shard): a 20-byte little-endian header, the
 * features, then the labels.
 *
 * @example
 * const bytes = encodeShard({ rows: 2, features: 3, classes: 2, dtype: "u8", data: Uint8Array.of(0, 255, 9, 1, 2, 3), labels: Uint8Array.of(0, 1) });
 */
export function encodeShard(shard: Shard): Uint8Array {
  checkShard(shard);
  const width = shard.dtype === "u8" ? 1 : 4;
  const labelled = shard.classes > 0;
  const out = new Uint8Array(SHARD_HEADER_BYTES + shard.rows * shard.features * width + (labelled ? shard.rows : 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, SHARD_MAGIC, true);
  view.setUint16(4, ML_FORMAT_VERSION, true);
  out[6] = shard.dtype === "u8" ? 1 : 2;
  view.setUint32(8, shard.rows, true);
  view.setUint32(12, shard.features, true);
  view.setUint16(16, shard.classes, true);
  if (shard.dtype === "u8") out.set(shard.data as Uint8Array, SHARD_HEADER_BYTES);
  else {
    const data = shard.data as Float32Array;
    for (let i = 0; i < data.length; i++) view.setFloat32(SHARD_HEADER_BYTES + 4 * i, data[i]!, true);
  }
  if (labelled) out.set(shard.labels, SHARD_HEADER_BYTES + shard.rows * shard.features * width);
  return out;
}

export type DecodeShardErrorType = InvalidShardError;

/**
 * Parses and checks a shard file (the same rules as the kernels: magic, version, dimensions,
 * exact length, labels in range, finite f32 values).
 *
 * @example
 * const { rows, features, classes, labels } = decodeShard(await readFile("shard-0.bin"));
 */
export function decodeShard(bytes: Uint8Array): Shard {
  const bad = (reason: string): never => {
    throw new InvalidShardError({ reason });
  };
  if (bytes.length < SHARD_HEADER_BYTES) bad(`truncated header (${bytes.length} bytes, a shard header is ${SHARD_HEADER_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== SHARD_MAGIC) bad("bad magic (not a Shoal shard: expected SHRD)");
  const version = view.getUint16(4, true);
  if (version !== ML_FORMAT_VERSION) bad(`unsupported version ${version}`);
  const code = bytes[6]!;
  if (code !== 1 && code !== 2) bad(`unknown dtype ${code} (1 = u8, 2 = f32)`);
  if (bytes[7] !== 0 || view.getUint16(18, true) !== 0) bad("reserved header bytes are not zero");
  const rows = view.getUint32(8, true);
  const features = view.getUint32(12, true);
  const classes = view.getUint16(16, true);
  const shard: Shard = { rows, features, classes, dtype: code === 1 ? "u8" : "f32", data: new Uint8Array(0), labels: new Uint8Array(0) };
  checkDimensions(shard);
  const width = code === 1 ? 1 : 4;
  const expected = SHARD_HEADER_BYTES + rows * features * width + (classes > 0 ? rows : 0);
  if (bytes.length < expected) bad(`truncated rows: ${rows} rows of ${features} features need ${expected} bytes, got ${bytes.length}`);
  if (bytes.length > expected) bad(`${bytes.length - expected} bytes after the last row`);
  const n = rows * features;
  if (code === 1) shard.data = bytes.slice(SHARD_HEADER_BYTES, SHARD_HEADER_BYTES + n);
  else {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(SHARD_HEADER_BYTES + 4 * i, true);
    shard.data = data;
  }
  if (classes > 0) shard.labels = bytes.slice(SHARD_HEADER_BYTES + n * width, expected);
  checkValues(shard);
  return shard;
}

function checkDimensions(shard: Shard): void {
  const { rows, features, classes } = shard;
  const bad = (reason: string): never => {
    throw new InvalidShardError({ reason });
  };
  if (!Number.isInteger(rows) || rows < 1 || rows > 0xffffffff) bad(`rows must be a whole number from 1, got ${rows}`);
  if (!Number.isInteger(features) || features < 1 || features > MAX_FEATURES) bad(`wrong dimensions: ${features} features (1..${MAX_FEATURES})`);
  if (!Number.isInteger(classes) || classes === 1 || classes < 0 || classes > MAX_CLASSES)
    bad(`wrong dimensions: ${classes} classes (0 for unlabelled rows, else 2..${MAX_CLASSES})`);
}

function checkValues(shard: Shard): void {
  const bad = (reason: string): never => {
    throw new InvalidShardError({ reason });
  };
  if (shard.dtype === "f32") {
    const data = shard.data as Float32Array;
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) bad(`feature ${i % shard.features} of row ${Math.floor(i / shard.features)} is not a finite number`);
  }
  if (shard.classes > 0) {
    const r = shard.labels.findIndex((y) => y >= shard.classes);
    if (r >= 0) bad(`label ${shard.labels[r]} of row ${r} is out of range (classes: ${shard.classes})`);
  }
}

function checkShard(shard: Shard): void {
  checkDimensions(shard);
  const bad = (reason: string): never => {
    throw new InvalidShardError({ reason });
  };
  if (shard.dtype !== "u8" && shard.dtype !== "f32") bad(`unknown dtype ${String(shard.dtype)}`);
  if (shard.dtype === "u8" && !(shard.data instanceof Uint8Array)) bad("u8 data must be a Uint8Array");
  if (shard.dtype === "f32" && !(shard.data instanceof Float32Array)) bad("f32 data must be a Float32Array");
  if (shard.data.length !== shard.rows * shard.features) bad(`data has ${shard.data.length} values, rows × features is ${shard.rows * shard.features}`);
  if (shard.labels.length !== (shard.classes > 0 ? shard.rows : 0)) bad(`${shard.labels.length} labels for ${shard.rows} rows`);
  checkValues(shard);
}
