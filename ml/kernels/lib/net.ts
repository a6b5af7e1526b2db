// The networks: softmax regression and a one-hidden-layer ReLU MLP, cross-entropy loss, the
// forward pass and the gradient of one row. f32 arithmetic in a fixed order, no threads, no fused
// or relaxed operations, so every replica computes the same bits. The element-wise loops
// (dst[j] += a·src[j]) use 128-bit SIMD: each lane rounds exactly as the scalar code would, so
// SIMD changes the speed, not the result; sums over an index stay scalar, in index order.
import { KIND_MLP, Model, Shard } from "./format";
import { Pcg32 } from "./rng";

/** dst[j] += alpha · src[j] for j < n (f32 arrays at byte addresses dst and src). */
// @ts-ignore: decorator
@inline
export function axpy(dst: usize, src: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>(j << 2);
    v128.store(dst + at, f32x4.add(v128.load(dst + at), f32x4.mul(va, v128.load(src + at))));
  }
  for (; j < n; j++) {
    const at = <usize>(j << 2);
    store<f32>(dst + at, load<f32>(dst + at) + alpha * load<f32>(src + at));
  }
}

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
      axpy(z.dataStart, p.dataStart + (<usize>(unchecked(idx[k]) * h) << 2), xv, h);
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
      axpy(logits.dataStart, p.dataStart + (<usize>(w2 + j * c) << 2), av, c);
    }
  } else {
    const b = m.inputs * c;
    for (let q = 0; q < c; q++) unchecked((logits[q] = p[b + q]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      axpy(logits.dataStart, p.dataStart + (<usize>(unchecked(idx[k]) * c) << 2), xv, c);
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
      for (let q = 0; q < c; q++) back += unchecked(prob[q]) * unchecked(p[row + q]);
      if (av != 0) axpy(g.dataStart + (<usize>row << 2), prob.dataStart, av, c);
      unchecked((dh[j] = unchecked(z[j]) > 0 ? back : 0));
    }
    for (let j = 0; j < h; j++) unchecked((g[b1 + j] += dh[j]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      axpy(g.dataStart + (<usize>(unchecked(idx[k]) * h) << 2), dh.dataStart, xv, h);
    }
  } else {
    const b = m.inputs * c;
    for (let q = 0; q < c; q++) unchecked((g[b + q] += prob[q]));
    for (let k = from; k < to; k++) {
      const xv = unchecked(val[k]);
      axpy(g.dataStart + (<usize>(unchecked(idx[k]) * c) << 2), prob.dataStart, xv, c);
    }
  }
}

/** Whether every parameter is finite. */
export function allFinite(p: Float32Array): bool {
  for (let i = 0; i < p.length; i++) if (!isFinite<f32>(unchecked(p[i]))) return false;
  return true;
}
