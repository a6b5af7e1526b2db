/**
 * Stored pieces mounted where they lie: the verification policy, verdicts kept per version of
 * the file, and bad stored data (flipped bits, truncation, changes while in use, paths leading out
 * of the piece directory, files that are not pieces). The piece directory is checksummed before
 * and after: nothing under it is ever written, re-timed or deleted.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { appendFile, mkdir, mkdtemp, realpath, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import pino from "pino";

import {
  createInputResolver,
  InputChangedError,
  InputCorruptError,
  InputUnavailableError,
  type InputResolverOptions,
  pieceDirectory,
} from "../../agent/src/data/index.js";
import { pieceCid } from "../../sdk/src/piece/pieceCid.js";
import type { SpecInputEntry } from "../../sdk/src/spec/schema.js";
import { fingerprint } from "../helpers/pieceDir.js";

const silent = pino({ level: "silent" });
const input = (piece: string, size?: bigint): SpecInputEntry => ({
  piece,
  ...(size === undefined ? {} : { size: Number(size) }),
  mount: "/inputs/data",
  locality: true,
});


describe("agent data: stored pieces mounted in place", () => {
  let base: string;
  let counter = 0;
  const fresh = async (label: string) => {
    const dir = join(base, `${label}-${counter++}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  /** A piece directory holding one piece (stored as its exact payload, named by its v2 CID), a resolver over it, and its verification log. */
  async function setup(options: Partial<InputResolverOptions> = {}, size = 50_000) {
    const payload = randomBytes(size);
    const piece = pieceCid(payload);
    const dir = await fresh("pieces");
    const file = join(dir, piece.v2);
    await writeFile(file, payload, { mode: 0o444 });
    const workDir = await fresh("work");
    const verifications: string[] = [];
    const make = () =>
      createInputResolver({
        sources: [pieceDirectory({ dir })],
        workDir,
        logger: silent,
        onVerified: ({ result }) => verifications.push(result),
        ...options,
      });
    return { payload, piece, dir, file, workDir, verifications, make, before: await fingerprint(dir) };
  }

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-pieces-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("mounts a proven piece before its verification ends, verifies it once, and keeps the verdict across restarts", async () => {
    const t = await setup();
    const inputs = t.make();
    const mounted = await inputs.resolve(input(t.piece.v2), { proven: true });
    assert.equal(mounted.hostPath, await realpath(t.file));
    assert.equal(mounted.copied, 0n);
    assert.deepEqual(t.verifications, [], "the job got the piece before the hash ended");
    await mounted.verified;
    await mounted.checkUnchanged();
    assert.deepEqual(t.verifications, ["ok"]);

    const again = await inputs.resolve(input(t.piece.v2), { proven: false });
    await again.verified;
    await inputs.close();
    const restarted = t.make(); // a new agent process, same work directory
    await (await restarted.resolve(input(t.piece.v1, t.piece.paddedSize), { proven: false })).verified;
    assert.deepEqual(t.verifications, ["ok"], "an unchanged file is never hashed again");

    await utimes(t.file, new Date(), new Date()); // touched: a new version of the file
    await (await restarted.resolve(input(t.piece.v2))).verified;
    assert.deepEqual(t.verifications, ["ok", "ok"]);
    await restarted.close();
  });

  it("verifies before any job reads a piece that is not proven, and every piece under the before-use policy", async () => {
    const notProven = await setup();
    const a = notProven.make();
    await a.resolve(input(notProven.piece.v2), { proven: false });
    assert.deepEqual(notProven.verifications, ["ok"], "verified before resolve returned");
    await a.close();

    const strict = await setup({ verify: "before-use" });
    const b = strict.make();
    await b.resolve(input(strict.piece.v2), { proven: true });
    assert.deepEqual(strict.verifications, ["ok"]);
    await b.close();
  });

  for (const [where, at] of [
    ["first", (n: number) => 0],
    ["middle", (n: number) => Math.floor(n / 2)],
    ["last", (n: number) => n - 1],
  ] as const) {
    it(`fails a piece with a bit flipped at its ${where} byte, never mounts it again, and reports it`, async () => {
      const t = await setup();
      const bad = Buffer.from(t.payload);
      bad[at(bad.length)] ^= 0x01;
      await rm(t.file);
      await writeFile(t.file, bad, { mode: 0o444 });
      const before = await fingerprint(t.dir);
      const inputs = t.make();

      // Proven: the job may start, but the verdict it must wait for fails.
      const mounted = await inputs.resolve(input(t.piece.v2), { proven: true });
      await assert.rejects(mounted.verified, (error: unknown) => error instanceof InputCorruptError && /its CommP is baga/.test(error.reason));
      assert.deepEqual(t.verifications, ["INPUT_CORRUPT"]);

      // Never again: not offered to the policy, not mounted, not re-hashed, listed as failed.
      assert.equal(await inputs.has({ root: t.piece.root, paddedSize: t.piece.paddedSize }), false);
      await assert.rejects(inputs.resolve(input(t.piece.v2), { proven: true }), (error: unknown) =>
        error instanceof InputCorruptError && /failed verification at .* not mounted again until the file changes/.test(error.reason),
      );
      assert.deepEqual(t.verifications, ["INPUT_CORRUPT"]);
      assert.deepEqual(inputs.failed().map((f) => f.path), [await realpath(t.file)]);
      await inputs.close();
      assert.deepEqual(await fingerprint(t.dir), before, "the piece directory is untouched");
    });
  }

  it("fails a truncated piece, and one whose bytes a v2 CID says are too few, without mounting them", async () => {
    const t = await setup();
    await rm(t.file);
    await writeFile(join(t.dir, t.piece.v1), t.payload.subarray(0, t.payload.length - 1000)); // a v1 name: its bytes are what jobs see
    const inputs = t.make();
    await assert.rejects(inputs.resolve(input(t.piece.v1, t.piece.paddedSize)), InputCorruptError);
    await assert.rejects(inputs.resolve(input(t.piece.v1, t.piece.paddedSize), { proven: true }).then((m) => m.verified), InputCorruptError);
    // Under the v2 CID the payload length is known: a short file is converted, and fails as it streams.
    await assert.rejects(inputs.resolve(input(t.piece.v2)), InputCorruptError);
    await inputs.close();
  });

  it("fails a job whose stored piece grew, was rewritten or was replaced while the job read it", async () => {
    for (const change of ["grow", "rewrite", "replace"] as const) {
      const t = await setup();
      const inputs = t.make();
      const mounted = await inputs.resolve(input(t.piece.v2), { proven: false });
      await mounted.checkUnchanged();
      if (change === "grow") await appendFile(t.file, "more");
      if (change === "rewrite") await utimes(t.file, new Date(2030, 0, 1), new Date(2030, 0, 1));
      if (change === "replace") {
        await writeFile(join(t.dir, ".new"), t.payload);
        await rename(join(t.dir, ".new"), t.file);
      }
      await assert.rejects(mounted.checkUnchanged(), (error: unknown) =>
        error instanceof InputChangedError && /was (resized from \d+ to \d+ bytes|rewritten \(its mtime moved\)|replaced) while the job used it/.test(error.reason),
      );
      await inputs.close();
    }
  });

  it("refuses names that lead out of the piece directory: a symlink, and index paths with .. or outside it", async () => {
    const t = await setup();
    const outside = await fresh("outside");
    const secret = randomBytes(50_000);
    const other = pieceCid(secret);
    await writeFile(join(outside, "secret"), secret);
    await symlink(join(outside, "secret"), join(t.dir, other.v2));
    const inputs = t.make();
    await assert.rejects(inputs.resolve(input(other.v2)), (error: unknown) =>
      error instanceof InputUnavailableError && /leads out of the piece directory/.test(error.reason),
    );
    assert.equal(await inputs.has({ root: other.root, paddedSize: other.paddedSize }), false);
    await inputs.close();

    const indexed = await fresh("indexed");
    await writeFile(join(indexed, "index.json"), JSON.stringify({ [other.v2]: "../" + outside.split("/").pop() + "/secret" }));
    const viaIndex = createInputResolver({ sources: [pieceDirectory({ dir: indexed, index: "index.json" })], workDir: await fresh("work"), logger: silent });
    await assert.rejects(viaIndex.resolve(input(other.v2)), /leads out of the piece directory/);
    await viaIndex.close();
  });

  it("refuses a directory or a FIFO named as a piece, without opening it", async () => {
    const t = await setup();
    const dirPiece = pieceCid(randomBytes(1000));
    const fifoPiece = pieceCid(randomBytes(1000));
    await mkdir(join(t.dir, dirPiece.v2));
    execFileSync("mkfifo", [join(t.dir, fifoPiece.v2)]);
    const inputs = t.make();
    for (const p of [dirPiece, fifoPiece])
      await assert.rejects(inputs.resolve(input(p.v2)), (error: unknown) => error instanceof InputUnavailableError && /is not a regular file/.test(error.reason));
    await inputs.close();
  });

  it("leaves the piece directory exactly as it was after jobs, failures and restarts", async () => {
    const t = await setup();
    const inputs = t.make();
    await (await inputs.resolve(input(t.piece.v2), { proven: true })).verified;
    await inputs.resolve(input(t.piece.v1, t.piece.paddedSize)).catch(() => {});
    await inputs.close();
    assert.deepEqual(await fingerprint(t.dir), t.before);
  });
});
