// train: minibatch SGD of a softmax regression (--hidden 0) or a one-hidden-layer ReLU MLP on a
// shard, from a seeded initialisation or a starting model. Writes model.bin and metrics.json.
//
//   train --shard FILE [--model FILE|DIR] [--out DIR] [--epochs N] [--lr X] [--batch N]
//         [--hidden N] [--seed N] [--grad-check]
import { fail, fileIn, join, readFile, setProgram, writeFile, writeText } from "./lib/io";
import { parseArgs } from "./lib/args";
import { checkFits, encodeModel, MAX_HIDDEN, Model, newModel, parseModel, parseShard, Shard } from "./lib/format";
import { allFinite, argmax, axpy, backward, forward, initialise, Work } from "./lib/net";
import { Pcg32, shuffle, STREAM_INIT, STREAM_SHUFFLE } from "./lib/rng";
import { fixed, fixedArray, quote } from "./lib/json";

setProgram("train");
const args = parseArgs(process.argv, ["shard", "model", "out", "epochs", "lr", "batch", "hidden", "seed"], ["grad-check"], []);
const shardPath = args.required("shard");
const out = args.str("out", "/outputs");
const epochs = <i32>args.int("epochs", 1, 1, 1000);
const lr = args.positive("lr", 0.1, 100);
const batch = <i32>args.int("batch", 32, 1, 1 << 20);
const seed = <u64>args.int("seed", 0, 0, 4294967295);

const shard = parseShard(readFile(shardPath, "shard"), "shard " + shardPath);
if (shard.classes == 0) fail("shard " + shardPath + " has no labels (classes 0): train needs a labelled shard");

let model = newModel(shard.features, <i32>args.int("hidden", 0, 0, MAX_HIDDEN), shard.classes);
const from = args.str("model", "");
if (from.length > 0) {
  const path = fileIn(from, "model.bin");
  model = parseModel(readFile(path, "model"), "model " + path);
  checkFits(model, shard, path);
  if (args.has("hidden") && <i32>args.int("hidden", 0, 0, MAX_HIDDEN) != model.hidden)
    fail("--hidden " + args.str("hidden", "") + " does not match the starting model's " + model.hidden.toString() + " hidden units");
} else {
  initialise(model, new Pcg32(seed, STREAM_INIT));
}

if (args.has("grad-check")) gradCheck(model, shard, out);
else train(model, shard, out);

function train(m: Model, s: Shard, out: string): void {
  const rows = s.rows;
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  const rng = new Pcg32(seed, STREAM_SHUFFLE);
  const work = new Work(m);
  const p = m.params;
  const g = new Float32Array(p.length);
  const losses = new Array<f64>();
  const accuracies = new Array<f64>();
  for (let e = 0; e < epochs; e++) {
    shuffle(order, rng);
    let lossSum: f64 = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += batch) {
      const end = min(start + batch, rows);
      g.fill(0);
      for (let i = start; i < end; i++) {
        const r = unchecked(order[i]);
        lossSum += forward(m, s, r, work);
        if (argmax(work) == <i32>unchecked(s.labels[r])) correct++;
        backward(m, s, r, work, g);
      }
      const step = <f32>(lr / <f64>(end - start));
      axpy(p.dataStart, g.dataStart, -step, p.length);
    }
    const loss = lossSum / <f64>rows;
    if (!isFinite<f64>(loss) || !allFinite(p))
      fail("training diverged in epoch " + (e + 1).toString() + " (loss is not finite); lower --lr");
    losses.push(loss);
    accuracies.push(<f64>correct / <f64>rows);
  }
  m.samples = <u64>rows;
  writeFile(join(out, "model.bin"), encodeModel(m));
  writeText(
    join(out, "metrics.json"),
    "{" +
      '"module":"train","version":1,' +
      '"kind":' + quote(m.kindName) +
      ',"inputs":' + m.inputs.toString() +
      ',"hidden":' + m.hidden.toString() +
      ',"classes":' + m.classes.toString() +
      ',"samples":' + rows.toString() +
      ',"epochs":' + epochs.toString() +
      ',"batch":' + batch.toString() +
      ',"lr":' + fixed(lr, 6) +
      ',"seed":' + seed.toString() +
      ',"start":' + quote(from.length > 0 ? "model" : "init") +
      ',"loss":' + fixedArray(losses, 6) +
      ',"trainAccuracy":' + fixedArray(accuracies, 6) +
      "}\n",
  );
}

/** Mean loss of the whole shard. */
function meanLoss(m: Model, s: Shard, w: Work): f64 {
  let sum: f64 = 0;
  for (let r = 0; r < s.rows; r++) sum += forward(m, s, r, w);
  return sum / <f64>s.rows;
}

/**
 * --grad-check: the mean gradient over the whole shard by backward(), beside central finite
 * differences of the mean loss, for every parameter (at most 4096, else 4096 seeded picks).
 * Writes gradcheck.json; trains nothing.
 */
function gradCheck(m: Model, s: Shard, out: string): void {
  const p = m.params;
  const w = new Work(m);
  const g = new Float32Array(p.length);
  for (let r = 0; r < s.rows; r++) {
    forward(m, s, r, w);
    backward(m, s, r, w, g);
  }
  const n = <f32>s.rows;
  const picks = new Array<i32>();
  if (p.length <= 4096) for (let i = 0; i < p.length; i++) picks.push(i);
  else {
    const rng = new Pcg32(seed, 3);
    for (let i = 0; i < 4096; i++) picks.push(<i32>rng.below(<u32>p.length));
  }
  const eps: f32 = 1e-3;
  const parts = new Array<string>();
  for (let k = 0; k < picks.length; k++) {
    const i = picks[k];
    const keep = p[i];
    p[i] = keep + eps;
    const up = meanLoss(m, s, w);
    const hi = <f64>p[i];
    p[i] = keep - eps;
    const down = meanLoss(m, s, w);
    const lo = <f64>p[i];
    p[i] = keep;
    parts.push("[" + i.toString() + "," + fixed(<f64>(g[i] / n), 9) + "," + fixed((up - down) / (hi - lo), 9) + "]");
  }
  writeText(join(out, "gradcheck.json"), '{"params":' + p.length.toString() + ',"checks":[' + parts.join(",") + "]}\n");
}
