// evaluate: accuracy, mean cross-entropy and confusion matrix of a model on a labelled shard.
//
//   evaluate --shard FILE --model FILE|DIR [--out DIR]
import { fail, fileIn, join, readFile, setProgram, writeText } from "./lib/io";
import { parseArgs } from "./lib/args";
import { checkFits, parseModel, parseShard } from "./lib/format";
import { argmax, forward, Work } from "./lib/net";
import { fixed, intArray, quote } from "./lib/json";

setProgram("evaluate");
const args = parseArgs(process.argv, ["shard", "model", "out"], [], []);
const shardPath = args.required("shard");
const modelPath = fileIn(args.required("model"), "model.bin");
const out = args.str("out", "/outputs");

const shard = parseShard(readFile(shardPath, "shard"), "shard " + shardPath);
if (shard.classes == 0) fail("shard " + shardPath + " has no labels (classes 0): evaluate needs a labelled shard");
const model = parseModel(readFile(modelPath, "model"), "model " + modelPath);
checkFits(model, shard, modelPath);

const c = model.classes;
const confusion = new Array<i64>(c * c).fill(0);
const work = new Work(model);
let lossSum: f64 = 0;
let correct = 0;
for (let r = 0; r < shard.rows; r++) {
  lossSum += forward(model, shard, r, work);
  const predicted = argmax(work);
  const y = <i32>shard.labels[r];
  if (predicted == y) correct++;
  confusion[y * c + predicted] += 1;
}
const rows = new Array<string>();
for (let y = 0; y < c; y++) rows.push(intArray(confusion.slice(y * c, (y + 1) * c)));
writeText(
  join(out, "metrics.json"),
  '{"module":"evaluate","version":1' +
    ',"kind":' + quote(model.kindName) +
    ',"inputs":' + model.inputs.toString() +
    ',"hidden":' + model.hidden.toString() +
    ',"classes":' + c.toString() +
    ',"rows":' + shard.rows.toString() +
    ',"correct":' + correct.toString() +
    ',"accuracy":' + fixed(<f64>correct / <f64>shard.rows, 6) +
    ',"loss":' + fixed(lossSum / <f64>shard.rows, 6) +
    ',"confusion":[' + rows.join(",") + "]}\n",
);
