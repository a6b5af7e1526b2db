import { InvalidModelError } from "../errors/ml.js";
import { MAX_CLASSES, MAX_FEATURES, MAX_HIDDEN, ML_FORMAT_VERSION, MODEL_HEADER_BYTES, MODEL_MAGIC } from "./constants.js";

/**
 * A model: softmax regression (`hidden` 0) or a one-hidden-layer ReLU MLP, the number of
 * samples it was trained on (its FedAvg weight) and its f32 parameters, in the order of
 * docs/ml-formats.md#model.
 */
export type Model = {
  kind: "softmax" | "mlp";
  inputs: number;
  hidden: number;
  classes: number;
  samples: bigint;
  params: Float32Array;
};

/** How many parameters a model of this shape has. */
export function modelParamCount(shape: { inputs: number; hidden: number; classes: number }): number {
  const { inputs, hidden, classes } = shape;
  return hidden === 0 ? inputs * classes + classes : inputs * hidden + hidden + hidden * classes + classes;
}

export type DecodeModelErrorType = InvalidModelError;

/**
 * Parses and checks a model file (the kernels' rules: magic, version, kind, shape, exact length,
 * every parameter finite).
 *
 * @example
 * const { kind, samples, params } = decodeModel(await readFile("model.bin"));
 */
export function decodeModel(bytes: Uint8Array): Model {
  const bad = (reason: string): never => {
    throw new InvalidModelError({ reason });
  };
  if (bytes.length < MODEL_HEADER_BYTES) bad(`truncated header (${bytes.length} bytes, a model header is ${MODEL_HEADER_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MODEL_MAGIC) bad("bad magic (not a Shoal model: expected SMDL)");
  const version = view.getUint16(4, true);
  if (version !== ML_FORMAT_VERSION) bad(`unsupported version ${version}`);
  const code = bytes[6]!;
  if (code !== 1 && code !== 2) bad(`unknown kind ${code} (1 = softmax, 2 = mlp)`);
  if (bytes[7] !== 0 || view.getUint32(20, true) !== 0) bad("reserved header bytes are not zero");
  const model: Model = {
    kind: code === 1 ? "softmax" : "mlp",
    inputs: view.getUint32(8, true),
    hidden: view.getUint32(12, true),
    classes: view.getUint32(16, true),
    samples: view.getBigUint64(24, true),
    params: new Float32Array(0),
  };
  checkShape(model);
  const count = modelParamCount(model);
  const expected = MODEL_HEADER_BYTES + 4 * count;
  if (bytes.length !== expected) bad(`${bytes.length} bytes, but its shape needs ${expected}`);
  const params = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getFloat32(MODEL_HEADER_BYTES + 4 * i, true);
    if (!Number.isFinite(v)) bad(`parameter ${i} is ${Number.isNaN(v) ? "NaN" : "infinite"}`);
    params[i] = v;
  }
  model.params = params;
  return model;
}

export type EncodeModelErrorType = InvalidModelError;

/**
 * The model file's bytes (docs/ml-formats.md#model).
 *
 * @example
 * const bytes = encodeModel({ kind: "softmax", inputs: 2, hidden: 0, classes: 2, samples: 10n, params: new Float32Array(6) });
 */
export function encodeModel(model: Model): Uint8Array {
  checkShape(model);
  const count = modelParamCount(model);
  if (model.params.length !== count) throw new InvalidModelError({ reason: `${model.params.length} parameters, its shape has ${count}` });
  const i = model.params.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new InvalidModelError({ reason: `parameter ${i} is not finite` });
  if (model.samples < 0n || model.samples >= 1n << 64n) throw new InvalidModelError({ reason: "samples must fit in a u64" });
  const out = new Uint8Array(MODEL_HEADER_BYTES + 4 * count);
  const view = new DataView(out.buffer);
  view.setUint32(0, MODEL_MAGIC, true);
  view.setUint16(4, ML_FORMAT_VERSION, true);
  out[6] = model.kind === "softmax" ? 1 : 2;
  view.setUint32(8, model.inputs, true);
  view.setUint32(12, model.hidden, true);
  view.setUint32(16, model.classes, true);
  view.setBigUint64(24, model.samples, true);
  for (let k = 0; k < count; k++) view.setFloat32(MODEL_HEADER_BYTES + 4 * k, model.params[k]!, true);
  return out;
}

function checkShape(model: Model): void {
  const bad = (reason: string): never => {
    throw new InvalidModelError({ reason });
  };
  const { kind, inputs, hidden, classes } = model;
  if (kind !== "softmax" && kind !== "mlp") bad(`unknown kind ${String(kind)}`);
  if (!Number.isInteger(inputs) || inputs < 1 || inputs > MAX_FEATURES) bad(`wrong dimensions: ${inputs} inputs`);
  if (!Number.isInteger(classes) || classes < 2 || classes > MAX_CLASSES) bad(`wrong dimensions: ${classes} classes (2..${MAX_CLASSES})`);
  if (kind === "softmax" && hidden !== 0) bad(`a softmax model has 0 hidden units, this one says ${hidden}`);
  if (kind === "mlp" && (!Number.isInteger(hidden) || hidden < 1 || hidden > MAX_HIDDEN)) bad(`wrong dimensions: ${hidden} hidden units (1..${MAX_HIDDEN})`);
}
