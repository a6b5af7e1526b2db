import assert from "node:assert/strict";

import { progressLine } from "../../sdk/cli/commands/get.js";

describe("shoal job get's progress line", () => {
  it("rewrites one terminal line with MiB, percent and rate, and ends it with a newline", () => {
    const written: string[] = [];
    const stream = { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const line = progressLine(stream);
    line.update({ bytes: 512 * 1_048_576, total: 1024 * 1_048_576 });
    line.update({ bytes: 600 * 1_048_576, total: 1024 * 1_048_576 }); // within 200 ms: not drawn
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^\r\x1b\[2Kdownloading 512\.0 MiB of 1024\.0 MiB \(50%\), \d+(\.\d)? MiB\/s, verified block by block$/);
    line.update({ bytes: 1024 * 1_048_576, total: 1024 * 1_048_576 });
    line.end(); // draws the latest state, then leaves the line
    assert.match(written.at(-2)!, /downloading 1024\.0 MiB of 1024\.0 MiB \(100%\)/);
    assert.equal(written.at(-1), "\n");
  });

  it("shows bytes alone when the size is unknown, and writes nothing if nothing came", () => {
    const written: string[] = [];
    const stream = { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const idle = progressLine(stream);
    idle.end();
    assert.deepEqual(written, []);
    const line = progressLine(stream);
    line.update({ bytes: 3 * 1_048_576, total: undefined });
    assert.match(written[0]!, /downloading 3\.0 MiB, /);
  });
});
