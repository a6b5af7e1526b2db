// The networks: softmax regression and a one-hidden-layer ReLU MLP, cross-entropy loss, the
// forward pass and the gradient of one row. Plain f32 arithmetic in a fixed order (no threads,
// no SIMD, no fused operations), so every replica computes the same bits.
import { KIND_MLP, Model, Shard } from "./format";
import { Pcg32 } from "./rng";

/** Scratch space for one row, sized for a model. */
export class Work {
  z: Float32Array; // hidden pre-activations
  a: Float32Array; // hidden activations
  logits: Float32Array;
  prob: Float32Array;
  dh: Float32Array; // gradient at the hidden pre-activations

  constructor(m: Model) {
    const h = m.hidden > 0 ? m.hidden : 1;
    this.z = new Float32Array(h);
    this.a = new Float32Array(h);
    this.logits = new Float32Array(m.classes);
    this.prob = new Float32Array(m.classes);
    this.dh = new Float32Array(h);
  }
}

/** Seeded initialisation: softmax all zeros; MLP He-uniform W1, Glorot-uniform W2, zero biases. */
export function initialise(m: Model, rng: Pcg32): void {
  const p = m.params;
  p.fill(0);
  if (m.kind != KIND_MLP) return;
  const d = m.inputs;
  const h = m.hidden;
  const c = m.classes;
  const r1 = <f32>Math.sqrt(6.0 / <f64>d);
  for (let i = 0; i < d * h; i++) unchecked((p[i] = (<f32>2.0 * rng.uniform() - <f32>1.0) * r1));
  const r2 = <f32>Math.sqrt(6.0 / <f64>(h + c));
  const w2 = d * h + h;
  for (let i = 0; i < h * c; i++) unchecked((p[w2 + i] = (<f32>2.0 * rng.uniform() - <f32>1.0) * r2));
}

/**
 * Forward pass of row `r`: fills w.prob with the softmax; returns the row's cross-entropy
 * (when the shard is labelled, else 0).
 */
export function forward(m: Model, s: Shard, r: i32, w: Work): f64 {
  const p = m.params;
  const c = m.classes;
  const logits = w.logits;
  const from = unchecked(s.nzStart[r]);
  const to = unchecked(s.nzStart[r + 1]);
  const idx = s.nzIndex;
  const val = s.nzValue;
  if (m.kind == KIND_MLP) {
    const h = m.hidden;
    const d = m.inputs;
    const z = w.z;
    const a = w.a;
    const b1 = d * h;
    for (let j = 0; j < h; j++) unchecked((z[j] = p[b1 + j]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      const row = unchecked(idx[k]) * h;
      for (let j = 0; j < h; j++) unchecked((z[j] += xv * p[row + j]));
    }
    for (let j = 0; j < h; j++) {
      const v = unchecked(z[j]);
      unchecked((a[j] = v > 0 ? v : 0));
    }
    const w2 = b1 + h;
    const b2 = w2 + h * c;
    for (let q = 0; q < c; q++) unchecked((logits[q] = p[b2 + q]));
    for (let j = 0; j < h; j++) {
      const av = unchecked(a[j]);
      if (av == 0) continue;
      const row = w2 + j * c;
      for (let q = 0; q < c; q++) unchecked((logits[q] += av * p[row + q]));
    }
  } else {
    const b = m.inputs * c;
    for (let q = 0; q < c; q++) unchecked((logits[q] = p[b + q]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      const row = unchecked(idx[k]) * c;
      for (let q = 0; q < c; q++) unchecked((logits[q] += xv * p[row + q]));
    }
  }
  // Softmax, shifted by the largest logit.
  let top = unchecked(logits[0]);
  for (let q = 1; q < c; q++) top = max(top, unchecked(logits[q]));
  let sum: f32 = 0;
  const prob = w.prob;
  for (let q = 0; q < c; q++) {
    const e = Mathf.exp(unchecked(logits[q]) - top);
    unchecked((prob[q] = e));
    sum += e;
  }
  for (let q = 0; q < c; q++) unchecked((prob[q] /= sum));
  if (s.classes == 0) return 0;
  const y = <i32>unchecked(s.labels[r]);
  return Math.log(<f64>sum) - <f64>(unchecked(logits[y]) - top);
}

/** The predicted class after forward(): the most probable, the lowest index on a tie. */
export function argmax(w: Work): i32 {
  const prob = w.prob;
  let best = 0;
  for (let q = 1; q < prob.length; q++) if (unchecked(prob[q]) > unchecked(prob[best])) best = q;
  return best;
}

/** Adds row r's gradient (after forward() on it) to g. */
export function backward(m: Model, s: Shard, r: i32, w: Work, g: Float32Array): void {
  const p = m.params;
  const c = m.classes;
  const prob = w.prob;
  const y = <i32>unchecked(s.labels[r]);
  unchecked((prob[y] -= 1)); // prob is now dL/dlogits
  const from = unchecked(s.nzStart[r]);
  const to = unchecked(s.nzStart[r + 1]);
  const idx = s.nzIndex;
  const val = s.nzValue;
  if (m.kind == KIND_MLP) {
    const h = m.hidden;
    const d = m.inputs;
    const b1 = d * h;
    const w2 = b1 + h;
    const b2 = w2 + h * c;
    const a = w.a;
    const z = w.z;
    const dh = w.dh;
    for (let q = 0; q < c; q++) unchecked((g[b2 + q] += prob[q]));
    for (let j = 0; j < h; j++) {
      const row = w2 + j * c;
      const av = unchecked(a[j]);
      let back: f32 = 0;
      for (let q = 0; q < c; q++) {
        const dq = unchecked(prob[q]);
        back += dq * unchecked(p[row + q]);
        if (av != 0) unchecked((g[row + q] += av * dq));
      }
      unchecked((dh[j] = unchecked(z[j]) > 0 ? back : 0));
    }
    for (let j = 0; j < h; j++) unchecked((g[b1 + j] += dh[j]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      const row = unchecked(idx[k]) * h;
      for (let j = 0; j < h; j++) unchecked((g[row + j] += xv * dh[j]));
    }
  } else {
    const b = m.inputs * c;
    for (let q = 0; q < c; q++) unchecked((g[b + q] += prob[q]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      const row = unchecked(idx[k]) * c;
      for (let q = 0; q < c; q++) unchecked((g[row + q] += xv * prob[q]));
    }
  }
}

/** Whether every parameter is finite. */
export function allFinite(p: Float32Array): bool {
  for (let i = 0; i < p.length; i++) if (!isFinite<f32>(unchecked(p[i]))) return false;
  return true;
}
