// aggregate: federated averaging (FedAvg) of N models of one shape, each weighted by the
// samples it was trained on (its header's `samples`): θ = Σ n_k θ_k / Σ n_k, summed in f64 in
// the order given, then rounded to f32. Averaging identical models gives the model back exactly.
//
//   aggregate --model FILE|DIR [--model FILE|DIR ...] [--out DIR]
import { fail, fileIn, join, readFile, setProgram, writeFile, writeText } from "./lib/io";
import { parseArgs } from "./lib/args";
import { encodeModel, Model, newModel, parseModel } from "./lib/format";
import { intArray, quote } from "./lib/json";

setProgram("aggregate");
const args = parseArgs(process.argv, ["model", "out"], [], ["model"]);
const paths = args.all("model");
if (paths.length == 0) fail("--model is required (one per model to average)");
const out = args.str("out", "/outputs");

const models = new Array<Model>();
const weights = new Array<i64>();
let total: u64 = 0;
for (let i = 0; i < paths.length; i++) {
  const path = fileIn(paths[i], "model.bin");
  const m = parseModel(readFile(path, "model"), "model " + path);
  if (i > 0 && !m.sameShape(models[0]))
    fail("cannot average models of different shapes: " + path + " is " + m.shape() + ", the first is " + models[0].shape());
  if (m.samples > (<u64>1 << 53) - total) fail("the models' sample counts add up past 2^53");
  total += m.samples;
  models.push(m);
  weights.push(<i64>m.samples);
}
if (total == 0) fail("every model says it was trained on 0 samples: nothing to weight by");

const first = models[0];
const result = newModel(first.inputs, first.hidden, first.classes);
const count = result.params.length;
const sum = new Float64Array(count);
for (let k = 0; k < models.length; k++) {
  const n = <f64>models[k].samples;
  if (n == 0) continue;
  const p = models[k].params;
  for (let i = 0; i < count; i++) unchecked((sum[i] += n * <f64>p[i]));
}
const denominator = <f64>total;
for (let i = 0; i < count; i++) unchecked((result.params[i] = <f32>(sum[i] / denominator)));
result.samples = total;
writeFile(join(out, "model.bin"), encodeModel(result));
writeText(
  join(out, "metrics.json"),
  '{"module":"aggregate","version":1' +
    ',"kind":' + quote(result.kindName) +
    ',"inputs":' + result.inputs.toString() +
    ',"hidden":' + result.hidden.toString() +
    ',"classes":' + result.classes.toString() +
    ',"models":' + models.length.toString() +
    ',"samples":' + total.toString() +
    ',"weights":' + intArray(weights) +
    "}\n",
);
