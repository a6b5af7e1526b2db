import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlockVerificationError, fetchResultFiles, ResultRootMismatchError, ResultTooLargeError } from "../../sdk/src/index.js";
import { packResult } from "../../sdk/src/node.js";

// fetchResultFiles is the browser's way to a result: a CAR from one gateway, verified as it
// streams in, its files returned in memory. A fake fetch serves the CAR in small pieces.

function serving(car: Uint8Array, chunk = 1000): typeof fetch {
  return async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < car.length; i += chunk) controller.enqueue(car.slice(i, i + chunk));
          controller.close();
        },
      }),
      { status: 200, headers: { "content-length": String(car.length) } },
    );
}

describe("fetchResultFiles (in memory, browser-safe)", function () {
  let cid: string;
  let car: Uint8Array;
  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-mem-"));
    await mkdir(join(dir, "b"));
    await writeFile(join(dir, "a.csv"), "x,y\n1,2\n");
    await writeFile(join(dir, "b", "big.bin"), new Uint8Array(1_300_000).map((_, i) => i % 251)); // two 1 MiB chunks
    const packed = await packResult(dir);
    cid = packed.cid.toString();
    car = packed.carBytes;
  });

  it("returns every file of a result, verified block by block, with progress", async function () {
    const progress: number[] = [];
    const got = await fetchResultFiles({ url: "http://gw/ipfs/x?format=car", expectedCid: cid, fetch: serving(car, 333), onProgress: (p) => progress.push(p.bytes) });
    assert.equal(got.cid.toString(), cid);
    assert.equal(got.carSize, car.length);
    assert.deepEqual(got.files.map((f) => f.path), ["a.csv", "b/big.bin"]);
    assert.equal(new TextDecoder().decode(got.files[0]!.bytes), "x,y\n1,2\n");
    assert.equal(got.files[1]!.bytes.length, 1_300_000);
    assert.equal(got.files[1]!.bytes[1000], 1000 % 251);
    assert.equal(got.size, 1_300_008n);
    assert.equal(progress.at(-1), car.length);
  });

  it("throws on a flipped byte, another root, an HTTP error or a result over the cap", async function () {
    const bad = car.slice();
    bad[bad.length - 10] ^= 1;
    await assert.rejects(fetchResultFiles({ url: "u", expectedCid: cid, fetch: serving(bad) }), BlockVerificationError);
    const other = (await packResult(await mkdtemp(join(tmpdir(), "shoal-empty-")))).cid.toString();
    await assert.rejects(fetchResultFiles({ url: "u", expectedCid: other, fetch: serving(car) }), ResultRootMismatchError);
    await assert.rejects(fetchResultFiles({ url: "u", expectedCid: cid, fetch: async () => new Response("no", { status: 404 }) }), /HTTP 404/);
    await assert.rejects(fetchResultFiles({ url: "u", expectedCid: cid, fetch: serving(car, 65_536), maxBytes: 1000 }), ResultTooLargeError);
  });
});
