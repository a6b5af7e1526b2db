import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createResultStore, ResultStoreFullError } from "../../agent/src/results/index.js";
// The agent throws the SDK package's errors: compare with the same package (@shoal/sdk), not sdk/src.
import { ResultTooLargeError } from "@shoal/sdk";
import { computeResultCid, unpackResult } from "@shoal/sdk/node";

let base: string;
let counter = 0;
const fresh = (label: string) => join(base, `${label}-${counter++}`);

/** An output directory with a couple of files, `size` random bytes in one of them. */
async function outputDir(size = 2000): Promise<string> {
  const dir = fresh("out");
  await mkdir(join(dir, "nested"), { recursive: true });
  await writeFile(join(dir, "result.json"), JSON.stringify({ ok: true, n: counter }));
  await writeFile(join(dir, "nested", "data.bin"), randomBytes(size));
  return dir;
}

const DAY = 86_400;

describe("agent results: the result store", () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-results-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("stores a result as <cid>.car whose CAR verifies with the SDK's unpackResult", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    const out = await outputDir();
    const { cid, carPath, size } = await store.put(out);

    assert.equal(cid, (await computeResultCid(out)).toString());
    assert.equal(carPath, join(store.dir, `${cid}.car`));
    assert.equal(await store.get(cid), carPath);
    const dest = fresh("unpacked");
    const unpacked = await unpackResult(carPath, dest, { expectedCid: cid });
    assert.equal(unpacked.files, 2);
    assert.deepEqual(await readFile(join(dest, "nested", "data.bin")), await readFile(join(out, "nested", "data.bin")));
    assert.equal((await readFile(carPath)).length, size);
    assert.deepEqual(await readdir(store.dir), [`${cid}.car`], "no temporary files remain");
  });

  it("answers undefined for unknown and malformed CIDs", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    const other = (await computeResultCid(await outputDir())).toString();
    assert.equal(await store.get(other), undefined);
    assert.equal(await store.get("not-a-cid"), undefined);
    assert.equal(await store.get("../../etc/passwd"), undefined);
  });

  it("keeps one copy of a result put twice and restarts its retention", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    const out = await outputDir();
    const first = await store.put(out);
    const old = new Date(Date.now() - 2 * DAY * 1000);
    await utimes(first.carPath, old, old);
    const second = await store.put(out);
    assert.equal(second.cid, first.cid);
    const listed = await store.list();
    assert.equal(listed.length, 1);
    assert.ok(Date.now() - listed[0].storedAt.getTime() < 60_000);
  });

  it("prunes only the results older than the retention period", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    const old = await store.put(await outputDir());
    const recent = await store.put(await outputDir());
    const twoDaysAgo = new Date(Date.now() - 2 * DAY * 1000);
    await utimes(old.carPath, twoDaysAgo, twoDaysAgo);

    const removed = await store.prune();
    assert.deepEqual(removed.map((r) => r.cid), [old.cid]);
    assert.equal(await store.get(old.cid), undefined);
    assert.equal(await store.get(recent.cid), recent.carPath);
    // A later clock removes the rest.
    assert.deepEqual((await store.prune(Date.now() + 2 * DAY * 1000)).map((r) => r.cid), [recent.cid]);
    assert.deepEqual(await store.list(), []);
  });

  it("survives being re-created on the same directory (an agent restart)", async () => {
    const dir = fresh("store");
    const first = createResultStore({ dir, retentionSeconds: DAY });
    const a = await first.put(await outputDir());
    const b = await first.put(await outputDir());
    const before = await first.list();
    // A temporary CAR left by a crashed process (pid 2^22+1 is beyond Linux's pid_max default).
    await writeFile(join(dir, ".tmp-4194305-deadbeef.car.partial"), "junk");

    const second = createResultStore({ dir, retentionSeconds: DAY });
    assert.equal(await second.get(a.cid), a.carPath);
    assert.equal(await second.get(b.cid), b.carPath);
    assert.deepEqual(await second.list(), before);
    assert.deepEqual((await readdir(dir)).sort(), [`${a.cid}.car`, `${b.cid}.car`].sort());
    await unpackResult(b.carPath, fresh("unpacked"), { expectedCid: b.cid });
  });

  it("refuses a result past the store's maxBytes, after making room by pruning expired ones", async () => {
    const dir = fresh("store");
    const probe = await createResultStore({ dir: fresh("probe"), retentionSeconds: DAY }).put(await outputDir(3000));
    const store = createResultStore({ dir, retentionSeconds: DAY, maxBytes: Math.floor(probe.size * 2.5) });
    const a = await store.put(await outputDir(3000));
    const b = await store.put(await outputDir(3000));
    await assert.rejects(store.put(await outputDir(3000)), ResultStoreFullError);
    assert.equal((await store.list()).length, 2);

    const old = new Date(Date.now() - 2 * DAY * 1000);
    await utimes(a.carPath, old, old);
    const c = await store.put(await outputDir(3000));
    assert.deepEqual((await store.list()).map((r) => r.cid).sort(), [b.cid, c.cid].sort());
    assert.equal((await readdir(dir)).length, 2);
  });

  it("enforces a per-result maxBytes (the spec's maxOutputBytes) and leaves nothing behind", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    await assert.rejects(store.put(await outputDir(5000), { maxBytes: 1000 }), ResultTooLargeError);
    assert.deepEqual(await readdir(store.dir), []);
  });

  it("stores concurrent puts consistently", async () => {
    const store = createResultStore({ dir: fresh("store"), retentionSeconds: DAY });
    const outs = await Promise.all(Array.from({ length: 6 }, () => outputDir(1500)));
    const puts = await Promise.all([...outs, ...outs].map((out) => store.put(out)));
    assert.equal(new Set(puts.map((p) => p.cid)).size, 6);
    assert.equal((await store.list()).length, 6);
    assert.equal((await readdir(store.dir)).length, 6);
  });
});
