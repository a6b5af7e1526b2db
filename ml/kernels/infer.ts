// infer: the predicted class of every row of a shard (labelled or not) → predictions.csv
// ("row,label" then one line per row) and predictions.bin (one u8 class per row).
//
//   infer --shard FILE --model FILE|DIR [--out DIR]
import { fileIn, join, readFile, setProgram, writeFile, writeText } from "./lib/io";
import { parseArgs } from "./lib/args";
import { checkFits, parseModel, parseShard } from "./lib/format";
import { argmax, forward, Work } from "./lib/net";

setProgram("infer");
const args = parseArgs(process.argv, ["shard", "model", "out"], [], []);
const shardPath = args.required("shard");
const modelPath = fileIn(args.required("model"), "model.bin");
const out = args.str("out", "/outputs");

const shard = parseShard(readFile(shardPath, "shard"), "shard " + shardPath);
const model = parseModel(readFile(modelPath, "model"), "model " + modelPath);
checkFits(model, shard, modelPath);

const work = new Work(model);
const labels = new Uint8Array(shard.rows);
const lines = new Array<string>(shard.rows + 1);
lines[0] = "row,label";
for (let r = 0; r < shard.rows; r++) {
  forward(model, shard, r, work);
  const y = argmax(work);
  labels[r] = <u8>y;
  lines[r + 1] = r.toString() + "," + y.toString();
}
writeText(join(out, "predictions.csv"), lines.join("\n") + "\n");
writeFile(join(out, "predictions.bin"), labels);
