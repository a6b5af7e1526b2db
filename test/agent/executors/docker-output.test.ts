// The Docker executor's output volume parts that need no engine: the archive reader (on archives
// written by GNU tar, ustar and PAX), the holder's pause executable and the volume's sizing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import { copyOutputs, extractOutputs } from "../../../agent/src/executors/docker/archive.js";
import { pauseExecutable, volumeFull, volumeSize } from "../../../agent/src/executors/docker/holder.js";

const run = promisify(execFile);

describe("Docker executor output volume", () => {
  let base: string;
  let counter = 0;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-output-test-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** Fills `outputs/` in a fresh directory with `make`, archives it as the engine does (`outputs/...`), extracts it. */
  const roundTrip = async (make: (dir: string) => Promise<void>, limits = { maxBytes: 1 << 20, maxEntries: 100 }, format = "pax") => {
    const source = join(base, `src-${counter}`);
    const target = join(base, `dst-${counter++}`);
    await mkdir(join(source, "outputs"), { recursive: true });
    await mkdir(target);
    await make(join(source, "outputs"));
    const archive = `${source}.tar`;
    // Sorted by name, as the engine writes it (Go filepath.Walk).
    await run("tar", [`--format=${format}`, "--sort=name", "-C", source, "-cf", archive, "outputs"]);
    return { target, result: await extractOutputs(createReadStream(archive), target, limits) };
  };

  it("unpacks files and directories, long names (PAX and GNU) and executable bits", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(150)}.txt`;
    for (const format of ["pax", "gnu", "ustar"]) {
      const { target, result } = await roundTrip(async (dir) => {
        await mkdir(join(dir, "a/b"), { recursive: true });
        await writeFile(join(dir, "a/b/c.txt"), "hello\n");
        await writeFile(join(dir, "run.sh"), "#!/bin/sh\n");
        await chmod(join(dir, "run.sh"), 0o755);
        if (format !== "ustar") {
          await mkdir(join(dir, "d".repeat(120)));
          await writeFile(join(dir, long), "x".repeat(5000));
        }
      }, undefined, format);
      assert.equal(result.problem, undefined, format);
      assert.equal(await readFile(join(target, "a/b/c.txt"), "utf8"), "hello\n");
      assert.equal((await stat(join(target, "run.sh"))).mode & 0o111, 0o111, "the executable bit survives");
      if (format !== "ustar") {
        assert.equal((await readFile(join(target, long), "utf8")).length, 5000);
        assert.deepEqual(result.usage, { bytes: 6 + 10 + 5000, entries: 6 });
        assert.equal(result.pages, 4); // 6 B, 10 B: a page each; 5,000 B: two
      }
    }
  });

  it("writes hard links as copies, counting their bytes again", async () => {
    const { target, result } = await roundTrip(async (dir) => {
      await writeFile(join(dir, "one"), "12345");
      await link(join(dir, "one"), join(dir, "two"));
    });
    assert.equal(result.problem, undefined);
    assert.equal(await readFile(join(target, "two"), "utf8"), "12345");
    assert.deepEqual(result.usage, { bytes: 10, entries: 2 });
  });

  it("refuses symlinks and special files (nothing outside the directory is written)", async () => {
    const linked = await roundTrip(async (dir) => {
      await mkdir(join(dir, "d"));
      await symlink("/etc/passwd", join(dir, "d/p"));
    });
    assert.deepEqual(linked.result.problem, { kind: "invalid", path: "d/p", reason: "a symlink" });
    assert.deepEqual(await readdir(linked.target, { recursive: true }), ["d"]);
    const fifo = await roundTrip(async (dir) => {
      await run("mkfifo", [join(dir, "fifo")]);
    });
    assert.equal(fifo.result.problem?.kind, "invalid");
  });

  it("stops at the byte and entry caps before writing past them", async () => {
    const bytes = await roundTrip(async (dir) => {
      await writeFile(join(dir, "a"), Buffer.alloc(600));
      await writeFile(join(dir, "b"), Buffer.alloc(600));
    }, { maxBytes: 1000, maxEntries: 100 });
    assert.equal(bytes.result.problem?.kind, "limit");
    assert.equal((await readdir(bytes.target)).length, 1);
    const entries = await roundTrip(async (dir) => {
      for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}`), "");
    }, { maxBytes: 1000, maxEntries: 3 });
    assert.deepEqual(entries.result.problem, { kind: "limit", usage: { bytes: 0, entries: 4 }, what: "entries" });
  });

  it("refuses a truncated archive and a path that leaves the output", async () => {
    const source = join(base, "evil");
    await mkdir(join(source, "outputs"), { recursive: true });
    await writeFile(join(source, "x"), "escaped");
    await run("tar", ["-C", source, "-cf", `${source}.tar`, "--transform", "s|^x$|outputs/../x|", "outputs", "x"]);
    await assert.rejects(extractOutputs(createReadStream(`${source}.tar`), await mkdtemp(join(base, "d-")), { maxBytes: 100, maxEntries: 10 }), /outside the output/);
    const whole = await readFile(`${source}.tar`);
    await assert.rejects(extractOutputs((async function* () { yield whole.subarray(0, 700); })(), await mkdtemp(join(base, "d-")), { maxBytes: 100, maxEntries: 10 }), /truncated/);
  });

  it("reads a mount directly with the archive's results: same files, usage, pages and first problem", async () => {
    const trees: ((dir: string) => Promise<void>)[] = [
      async (dir) => {
        await mkdir(join(dir, "b/c"), { recursive: true });
        await writeFile(join(dir, "b/c/x"), "x".repeat(5000));
        await writeFile(join(dir, "a"), "12345");
        await link(join(dir, "a"), join(dir, "z"));
      },
      async (dir) => {
        await writeFile(join(dir, "b"), Buffer.alloc(600));
        await symlink("/etc/passwd", join(dir, "a"));
        await writeFile(join(dir, "c"), Buffer.alloc(600));
      },
      async (dir) => {
        for (const name of ["b", "a", "c"]) await writeFile(join(dir, name), Buffer.alloc(600));
      },
    ];
    for (const make of trees) {
      const limits = { maxBytes: 1000, maxEntries: 100 };
      const { target, result } = await roundTrip(make, limits);
      const copied = join(base, `copy-${counter}`);
      await mkdir(copied);
      const direct = await copyOutputs(join(base, `src-${counter - 1}`, "outputs"), copied, limits);
      assert.deepEqual(direct, result);
      assert.deepEqual((await readdir(copied, { recursive: true })).sort(), (await readdir(target, { recursive: true })).sort());
    }
  });

  it("sizes the volume one page and one entry past the cap, and calls it full there", () => {
    assert.deepEqual(volumeSize({ maxBytes: 1 << 20, maxEntries: 100 }), { bytes: (1 << 20) + 4096, inodes: 102 });
    assert.deepEqual(volumeSize({ maxBytes: 1, maxEntries: 1 }), { bytes: 8192, inodes: 3 });
    const limits = { maxBytes: 1 << 20, maxEntries: 100 };
    assert.equal(volumeFull(limits, { pages: 256, entries: 100 }), false);
    assert.equal(volumeFull(limits, { pages: 257, entries: 10 }), true);
    assert.equal(volumeFull(limits, { pages: 1, entries: 101 }), true);
  });

  it("builds a static pause executable for amd64 and arm64 that blocks until killed", async function () {
    assert.equal(pauseExecutable("amd64")?.length, 129);
    assert.equal(pauseExecutable("arm64")?.length, 148);
    assert.equal(pauseExecutable("s390x"), undefined);
    const native = arch() === "x64" ? "amd64" : arch() === "arm64" ? "arm64" : undefined;
    if (!native) this.skip();
    const path = join(base, "pause");
    await writeFile(path, pauseExecutable(native!)!, { mode: 0o755 });
    const child = spawn(path, { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(child.exitCode, null, "the pause executable exited by itself");
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
  });
});
