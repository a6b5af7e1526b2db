// The source of a CommP worker thread (node:worker_threads, eval: a script, so it runs the same
// from sdk/src and sdk/dist and needs no file next to it). It receives the compiled module,
// opens the file if any, and answers each { index, length, position | data } with the segment's
// root; `data` (a stream's chunk) is transferred back for reuse. Neither require nor import:
// process.getBuiltinModule works whether Node runs eval code as CommonJS or as a module
// (`--input-type=module` is inherited by workers).
export const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
const fs = process.getBuiltinModule("node:fs");
const { module, path, layout } = workerData;
const x = new WebAssembly.Instance(module, {}).exports;
const memory = new Uint8Array(x.memory.buffer);
const target = layout === "fr32" ? x.leafOffset() : x.inputOffset();
const leaves = x.leafOffset();
const fd = path === undefined ? undefined : fs.openSync(path, "r");
parentPort.on("message", ({ index, length, position, data }) => {
  try {
    if (data) memory.set(data, target);
    else
      for (let done = 0; done < length; ) {
        const n = fs.readSync(fd, memory, target + done, length - done, position + done);
        if (n === 0) throw Object.assign(new Error("the file ended early"), { code: "SHORT_READ" });
        done += n;
      }
    const height = layout === "fr32" ? x.leafRoot(length / 32) : x.payloadRoot(length);
    const root = memory.slice(leaves, leaves + 32);
    parentPort.postMessage({ index, length, height, root, data }, data ? [data.buffer] : []);
  } catch (error) {
    parentPort.postMessage({ index, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;
