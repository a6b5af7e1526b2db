// The shard and model formats (docs/ml-formats.md), little-endian, version 1. Parsing checks
// every field and the exact length, and fails with one line naming what is wrong.
import { fail } from "./io";

export const SHARD_MAGIC: u32 = 0x44524853; // "SHRD"
export const MODEL_MAGIC: u32 = 0x4c444d53; // "SMDL"
export const FORMAT_VERSION: u16 = 1;
export const SHARD_HEADER: i32 = 20;
export const MODEL_HEADER: i32 = 32;
export const DTYPE_U8: u8 = 1;
export const DTYPE_F32: u8 = 2;
export const KIND_SOFTMAX: u8 = 1;
export const KIND_MLP: u8 = 2;
/** Limits that keep every size within wasm32 and u32 arithmetic. */
export const MAX_FEATURES: u32 = 1 << 20;
export const MAX_HIDDEN: u32 = 4096;
export const MAX_CLASSES: u32 = 255;

/** A shard: its rows' nonzero features as f32 (u8 pixels scaled by 1/255), labels (when classes > 0). */
export class Shard {
  rows: i32 = 0;
  features: i32 = 0;
  classes: i32 = 0;
  dtype: u8 = 0;
  labels: Uint8Array = new Uint8Array(0);
  /** Row r's nonzero features are nzIndex[nzStart[r] .. nzStart[r+1]) with values nzValue. */
  nzStart: Int32Array = new Int32Array(0);
  nzIndex: Int32Array = new Int32Array(0);
  nzValue: Float32Array = new Float32Array(0);
}

function u16At(b: Uint8Array, o: i32): u32 {
  return <u32>b[o] | (<u32>b[o + 1] << 8);
}
function u32At(b: Uint8Array, o: i32): u32 {
  return <u32>b[o] | (<u32>b[o + 1] << 8) | (<u32>b[o + 2] << 16) | (<u32>b[o + 3] << 24);
}

/** Parses a shard file; `what` names it in failures ("shard /inputs/shard"). */
export function parseShard(b: Uint8Array, what: string): Shard {
  if (b.length < SHARD_HEADER) fail(what + ": truncated header (" + b.length.toString() + " bytes, a shard header is 20)");
  if (u32At(b, 0) != SHARD_MAGIC) fail(what + ": bad magic (not a Shoal shard: expected SHRD)");
  const version = u16At(b, 4);
  if (version != FORMAT_VERSION) fail(what + ": unsupported version " + version.toString() + " (this kernel reads version 1)");
  const dtype = b[6];
  if (dtype != DTYPE_U8 && dtype != DTYPE_F32) fail(what + ": unknown dtype " + dtype.toString() + " (1 = u8, 2 = f32)");
  if (b[7] != 0 || u16At(b, 18) != 0) fail(what + ": reserved header bytes are not zero");
  const rows = u32At(b, 8);
  const features = u32At(b, 12);
  const classes = u16At(b, 16);
  if (rows == 0) fail(what + ": has no rows");
  if (features == 0 || features > MAX_FEATURES) fail(what + ": wrong dimensions: " + features.toString() + " features (1.." + MAX_FEATURES.toString() + ")");
  if (classes == 1 || classes > MAX_CLASSES) fail(what + ": wrong dimensions: " + classes.toString() + " classes (0 for unlabelled rows, else 2..255)");
  const width: u64 = dtype == DTYPE_U8 ? 1 : 4;
  const expected: u64 = <u64>SHARD_HEADER + <u64>rows * <u64>features * width + (classes > 0 ? <u64>rows : 0);
  if (<u64>b.length < expected)
    fail(what + ": truncated rows: " + rows.toString() + " rows of " + features.toString() + " features need " + expected.toString() + " bytes, the file has " + b.length.toString());
  if (<u64>b.length > expected) fail(what + ": " + (<u64>b.length - expected).toString() + " bytes after the last row");
  const s = new Shard();
  s.rows = <i32>rows;
  s.features = <i32>features;
  s.classes = <i32>classes;
  s.dtype = dtype;
  const n = <i32>rows * <i32>features;
  const d = <i32>features;
  const base = b.dataStart + <usize>SHARD_HEADER;
  // Rows are kept as their nonzero features only (a MNIST digit is about 80% zeros): the forward
  // and backward passes skip zeros, which changes no result (adding 0·w is exact) but saves most
  // of the work and the memory.
  let nonzero = 0;
  if (dtype == DTYPE_U8) {
    for (let i = 0; i < n; i++) if (load<u8>(base + <usize>i) != 0) nonzero++;
  } else {
    for (let i = 0; i < n; i++) {
      const v = load<f32>(base + <usize>(4 * i));
      if (!isFinite<f32>(v)) fail(what + ": feature " + (i % d).toString() + " of row " + (i / d).toString() + " is not a finite number");
      if (v != 0) nonzero++;
    }
  }
  if (classes > 0) {
    const at = SHARD_HEADER + n * <i32>width;
    const labels = new Uint8Array(<i32>rows);
    for (let r = 0; r < <i32>rows; r++) {
      const y = b[at + r];
      if (<u32>y >= classes) fail(what + ": label " + y.toString() + " of row " + r.toString() + " is out of range (classes: " + classes.toString() + ")");
      labels[r] = y;
    }
    s.labels = labels;
  }
  const start = new Int32Array(<i32>rows + 1);
  const index = new Int32Array(nonzero);
  const value = new Float32Array(nonzero);
  let k = 0;
  for (let r = 0; r < <i32>rows; r++) {
    unchecked((start[r] = k));
    const row = r * d;
    for (let i = 0; i < d; i++) {
      const v: f32 = dtype == DTYPE_U8 ? <f32>load<u8>(base + <usize>(row + i)) / <f32>255.0 : load<f32>(base + <usize>(4 * (row + i)));
      if (v != 0) {
        unchecked((index[k] = i));
        unchecked((value[k] = v));
        k++;
      }
    }
  }
  start[<i32>rows] = k;
  s.nzStart = start;
  s.nzIndex = index;
  s.nzValue = value;
  return s;
}

/** A model: kind, shape, the samples it was trained on (its FedAvg weight) and its parameters. */
export class Model {
  kind: u8 = KIND_SOFTMAX;
  inputs: i32 = 0;
  hidden: i32 = 0;
  classes: i32 = 0;
  samples: u64 = 0;
  params: Float32Array = new Float32Array(0);

  /** Parameter layout: see paramCount. */
  get kindName(): string {
    return this.kind == KIND_MLP ? "mlp" : "softmax";
  }

  sameShape(other: Model): bool {
    return this.kind == other.kind && this.inputs == other.inputs && this.hidden == other.hidden && this.classes == other.classes;
  }

  shape(): string {
    return this.kindName + " " + this.inputs.toString() + "-" + (this.hidden > 0 ? this.hidden.toString() + "-" : "") + this.classes.toString();
  }
}

/**
 * Parameters, in order: softmax W[inputs][classes], b[classes]; MLP W1[inputs][hidden],
 * b1[hidden], W2[hidden][classes], b2[classes] (row-major, input index first).
 */
export function paramCount(inputs: i32, hidden: i32, classes: i32): i32 {
  if (hidden == 0) return inputs * classes + classes;
  return inputs * hidden + hidden + hidden * classes + classes;
}

export function newModel(inputs: i32, hidden: i32, classes: i32): Model {
  const m = new Model();
  m.kind = hidden == 0 ? KIND_SOFTMAX : KIND_MLP;
  m.inputs = inputs;
  m.hidden = hidden;
  m.classes = classes;
  m.params = new Float32Array(paramCount(inputs, hidden, classes));
  return m;
}

/** Parses a model file; `what` names it in failures. */
export function parseModel(b: Uint8Array, what: string): Model {
  if (b.length < MODEL_HEADER) fail(what + ": truncated header (" + b.length.toString() + " bytes, a model header is 32)");
  if (u32At(b, 0) != MODEL_MAGIC) fail(what + ": bad magic (not a Shoal model: expected SMDL)");
  const version = u16At(b, 4);
  if (version != FORMAT_VERSION) fail(what + ": unsupported version " + version.toString() + " (this kernel reads version 1)");
  const kind = b[6];
  if (kind != KIND_SOFTMAX && kind != KIND_MLP) fail(what + ": unknown kind " + kind.toString() + " (1 = softmax, 2 = mlp)");
  if (b[7] != 0 || u32At(b, 20) != 0) fail(what + ": reserved header bytes are not zero");
  const inputs = u32At(b, 8);
  const hidden = u32At(b, 12);
  const classes = u32At(b, 16);
  if (inputs == 0 || inputs > MAX_FEATURES) fail(what + ": wrong dimensions: " + inputs.toString() + " inputs");
  if (classes < 2 || classes > MAX_CLASSES) fail(what + ": wrong dimensions: " + classes.toString() + " classes (2..255)");
  if (kind == KIND_SOFTMAX && hidden != 0) fail(what + ": a softmax model has 0 hidden units, this one says " + hidden.toString());
  if (kind == KIND_MLP && (hidden == 0 || hidden > MAX_HIDDEN)) fail(what + ": wrong dimensions: " + hidden.toString() + " hidden units (1.." + MAX_HIDDEN.toString() + ")");
  const count: u64 = <u64>inputs * <u64>(hidden == 0 ? classes : hidden) + <u64>hidden * <u64>classes + <u64>hidden + <u64>classes;
  const expected: u64 = <u64>MODEL_HEADER + 4 * count;
  if (<u64>b.length != expected)
    fail(what + ": " + b.length.toString() + " bytes, but its shape needs " + expected.toString() + (<u64>b.length < expected ? " (truncated)" : ""));
  const m = newModel(<i32>inputs, <i32>hidden, <i32>classes);
  m.samples = load<u64>(b.dataStart + 24);
  const p = m.params;
  for (let i = 0; i < p.length; i++) {
    const v = load<f32>(b.dataStart + <usize>(MODEL_HEADER + 4 * i));
    if (!isFinite<f32>(v)) fail(what + ": parameter " + i.toString() + " is " + (isNaN<f32>(v) ? "NaN" : "infinite"));
    unchecked((p[i] = v));
  }
  return m;
}

/** The model file's bytes. */
export function encodeModel(m: Model): Uint8Array {
  const p = m.params;
  const out = new Uint8Array(MODEL_HEADER + 4 * p.length);
  const at = out.dataStart;
  store<u32>(at, MODEL_MAGIC);
  store<u16>(at, FORMAT_VERSION, 4);
  store<u8>(at, m.kind, 6);
  store<u32>(at, <u32>m.inputs, 8);
  store<u32>(at, <u32>m.hidden, 12);
  store<u32>(at, <u32>m.classes, 16);
  store<u64>(at, m.samples, 24);
  memory.copy(at + MODEL_HEADER, p.dataStart, 4 * p.length);
  return out;
}

/** Fails unless `m` fits `s` (inputs = features, classes = classes). */
export function checkFits(m: Model, s: Shard, modelWhat: string): void {
  if (m.inputs != s.features)
    fail("the model " + modelWhat + " (" + m.shape() + ") takes " + m.inputs.toString() + " inputs, the shard has " + s.features.toString() + " features");
  if (s.classes > 0 && m.classes != s.classes)
    fail("the model " + modelWhat + " (" + m.shape() + ") has " + m.classes.toString() + " classes, the shard has " + s.classes.toString());
}
