import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { constants, existsSync, type Stats } from "node:fs";
import { cp, mkdir, mkdtemp, open, readFile, readdir, realpath, rm, stat, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { importBytes } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { capModuleMemory, createWasmExecutor, type WasmExecutor, type WasmExecutorOptions } from "../../../agent/src/executors/wasm/index.js";
import { ExecutionError, type ExecutionErrorCode, type MountedInput } from "../../../agent/src/executors/types.js";
import { computeResultCid } from "../../../sdk/src/node.js";
import { buildSpec, type Spec, type SpecInput } from "../../../sdk/src/spec/index.js";
import { fdsInto } from "../../helpers/fds.js";

const EXAMPLES = new URL("../../../examples/wasm/", import.meta.url);
const FIXTURES = new URL("../fixtures/wasm/", import.meta.url);
// Input CIDs are only carried in the spec here; the executor runs on already-verified host paths.
const INPUT_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

const modules = new Map<string, Uint8Array>(); // CID → bytes, for resolveModule
async function moduleCid(name: string): Promise<string> {
  const bytes = await readFile(new URL(`${name}.wasm`, EXAMPLES));
  return register(bytes);
}
async function register(bytes: Uint8Array): Promise<string> {
  const cid = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
  modules.set(cid, bytes);
  return cid;
}
const resolveModule: WasmExecutorOptions["resolveModule"] = async (spec) => {
  const bytes = modules.get((spec.engine as { module: string }).module);
  if (bytes === undefined) throw new Error("not in the test store");
  return bytes;
};

type JobOptions = {
  args?: string[];
  env?: Record<string, string>;
  mounts?: { mount: string; hostPath: string }[];
  resources?: SpecInput["resources"];
  jobId?: bigint;
  signal?: AbortSignal;
  executor?: WasmExecutor;
  module?: string; // a CID instead of examples/wasm/<name>.wasm
};

let base: string;
let tempDir: string;
let executor: WasmExecutor;
let counter = 0;

async function fresh(label: string): Promise<string> {
  const dir = join(base, `${label}-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function specFor(name: string, options: JobOptions): Promise<Spec> {
  return buildSpec({
    version: 1,
    engine: { type: "wasm", module: options.module ?? (await moduleCid(name)), args: options.args ?? [], env: options.env ?? {} },
    inputs: (options.mounts ?? []).map(({ mount }) => ({ cid: INPUT_CID, mount })),
    resources: { timeoutSec: 20, memoryMb: 64, ...options.resources },
  });
}

/** Runs examples/wasm/<name>.wasm; returns the result and the output directory. */
async function runJob(name: string, options: JobOptions = {}) {
  const spec = await specFor(name, options);
  const outputDir = await fresh("out");
  const inputs: MountedInput[] = options.mounts ?? [];
  const result = await (options.executor ?? executor).run({ jobId: options.jobId ?? 1n, spec, inputs, outputDir, signal: options.signal });
  return { result, outputDir, spec };
}

async function failsWith(promise: Promise<unknown>, code: ExecutionErrorCode, pattern?: RegExp): Promise<ExecutionError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ExecutionError, `expected ExecutionError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.component, "executor/wasm");
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

/** A file input at /inputs/in.txt with the given text. */
async function textInput(text: string): Promise<{ mount: string; hostPath: string }> {
  const dir = await fresh("in");
  await writeFile(join(dir, "in.txt"), text);
  return { mount: "/inputs/in.txt", hostPath: join(dir, "in.txt") };
}

/** fds of this process that point into the test's directory (each run must close all of its own). */
function fdsIntoBase(): string[] {
  return fdsInto(base);
}

describe("WASM executor", function () {
  this.timeout(30_000);

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), "shoal-wasm-test-")));
    tempDir = join(base, "tmp");
    await mkdir(tempDir);
    executor = createWasmExecutor({ resolveModule, tempDir });
  });

  afterEach(async () => {
    assert.deepEqual(await readdir(tempDir), [], "the run left temporary files");
    assert.deepEqual(fdsIntoBase(), [], "the run left host fds open");
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("is available where node:wasi and worker threads work", async () => {
    assert.equal(await executor.isAvailable(), true);
  });

  it("counts the words of a text fixture into the expected JSON", async () => {
    const { result, outputDir } = await runJob("wordfreq", {
      mounts: [{ mount: "/inputs/corpus", hostPath: new URL("corpus", FIXTURES).pathname }],
    });
    assert.equal(result.exitCode, 0);
    assert.deepEqual(await readdir(outputDir), ["wordfreq.json"]);
    assert.equal(
      await readFile(join(outputDir, "wordfreq.json"), "utf8"),
      '{"files":2,"totalWords":23,"uniqueWords":16,"words":{"2":1,"3":1,"and":1,"brown":1,"doesn":1,"dog":2,"dogs":2,' +
        '"fox":2,"foxes":2,"jumps":1,"lazy":1,"over":1,"quick":1,"sleeps":1,"t":1,"the":4}}\n',
    );
    assert.equal(result.outputBytes, (await stat(join(outputDir, "wordfreq.json"))).size);
    assert.equal(result.inputBytesCopied, 0, "a directory input is mounted, not copied");
    assert.equal(result.stdout, "wordfreq: 23 words, 16 distinct, 2 files\n");
    assert.equal(result.stderr, "");
  });

  it("computes CSV column statistics", async () => {
    const { outputDir } = await runJob("stats", { mounts: [{ mount: "/inputs/csv", hostPath: new URL("csv", FIXTURES).pathname }] });
    assert.deepEqual(JSON.parse(await readFile(join(outputDir, "stats.json"), "utf8")), {
      files: [
        {
          file: "csv/data.csv",
          rows: 3,
          columns: [
            { name: "name", cells: 3, numeric: 0 },
            { name: "age", cells: 2, numeric: 2, min: 30, max: 40, sum: 70, mean: 35 },
            { name: "score", cells: 3, numeric: 2, min: 1.5, max: 2.5, sum: 4, mean: 2 },
          ],
        },
      ],
    });
  });

  it("gives the same result CID when two executors run the same job (other temp dirs, host env and file times)", async () => {
    const other = createWasmExecutor({ resolveModule, tempDir: await fresh("other-tmp") });
    const corpus = new URL("corpus", FIXTURES).pathname;
    const job = async (runner: WasmExecutor, name: string) => {
      // Each run gets its own copy of the inputs, with its own mtimes and inode numbers.
      const copy = await fresh("corpus");
      await cp(corpus, copy, { recursive: true });
      await writeFile(join(copy, "in.txt"), "same input\n");
      await utimes(join(copy, "in.txt"), new Date(), new Date(Date.now() - Math.random() * 1e9));
      const { outputDir } = await runJob(name, {
        executor: runner,
        jobId: 42n,
        args: name === "random" ? ["--flag"] : [],
        env: { ZETA: "z", ALPHA: "a" },
        mounts: [{ mount: "/inputs", hostPath: copy }],
      });
      return computeResultCid(outputDir);
    };
    for (const name of ["wordfreq", "clock", "random"]) {
      process.env.SHOAL_TEST_HOST_VAR = `first-${name}`;
      const first = await job(executor, name);
      process.env.SHOAL_TEST_HOST_VAR = `second-${name}`;
      const second = await job(other, name);
      assert.equal(second.toString(), first.toString(), `${name} differs across runs`);
    }
    delete process.env.SHOAL_TEST_HOST_VAR;
  });

  it("shows the job a fixed clock, instant sleeps and host-independent file metadata", async () => {
    const input = await textInput("clock input\n");
    await utimes(input.hostPath, new Date("2021-05-06T07:08:09Z"), new Date("2021-05-06T07:08:09Z"));
    const { outputDir } = await runJob("clock", { mounts: [input], resources: { timeoutSec: 3 } });
    const lines = (await readFile(join(outputDir, "clock.txt"), "utf8")).trim().split("\n");
    assert.deepEqual(lines.slice(0, 4), [
      "time: 946684800",
      "realtime: 946684800.000000000",
      "monotonic: 946684800.000000000",
      "after sleep(5): 946684800",
    ]);
    const stats = lines.slice(4).map((line) => Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], m[2]])));
    assert.equal(stats.length, 4);
    for (const s of stats) {
      assert.equal(s.mtime, "946684800");
      assert.equal(s.atime, "946684800");
      assert.equal(s.ctime, "946684800");
      assert.equal(s.nlink, "1");
    }
    assert.equal(stats[0].size, "12"); // a file keeps its size; a directory reads 0
    assert.equal(stats[1].size, "0");
    assert.equal(new Set(stats.map((s) => s.ino)).size, 4, "inode numbers are distinct per path");
  });

  it("seeds randomness from the job ID: the same job reads the same bytes, another job other bytes", async () => {
    const read = async (jobId: bigint) => {
      const { outputDir } = await runJob("random", { jobId });
      return (await readFile(join(outputDir, "random.txt"), "utf8")).split("\n")[0];
    };
    const [a1, a2, b] = [await read(7n), await read(7n), await read(8n)];
    assert.match(a1, /^entropy: [0-9a-f]{64}$/);
    assert.equal(a2, a1);
    assert.notEqual(b, a1);
  });

  it("passes exactly the spec's env sorted by key, argv [job, ...args], and lists directories in name order", async () => {
    const dir = await fresh("listing");
    for (const name of ["zeta", "Alpha", "mid", "beta", "_under"]) await writeFile(join(dir, name), name);
    process.env.SHOAL_TEST_LEAK = "host";
    try {
      const { outputDir, result } = await runJob("random", {
        args: ["one", "two words"],
        env: { ZED: "1", ALPHA: "2", MIDDLE: "x=y" },
        mounts: [{ mount: "/inputs", hostPath: dir }],
      });
      const lines = (await readFile(join(outputDir, "random.txt"), "utf8")).trim().split("\n");
      assert.deepEqual(lines.filter((l) => l.startsWith("argv")), ["argv[0]: job", "argv[1]: one", "argv[2]: two words"]);
      assert.deepEqual(lines.filter((l) => l.startsWith("env")), ["env: ALPHA=2", "env: MIDDLE=x=y", "env: ZED=1"]);
      assert.deepEqual(
        lines.filter((l) => l.startsWith("readdir")).map((l) => l.slice("readdir: ".length)),
        [".", "..", "Alpha", "_under", "beta", "mid", "zeta"],
      );
      assert.equal(result.firstInputReadMs, undefined, "the job listed /inputs but read no file");
      assert.equal(result.inputBytesCopied, 0);
    } finally {
      delete process.env.SHOAL_TEST_LEAK;
    }
  });

  it("fails a module that traps with TRAP", async () => {
    const error = await failsWith(runJob("trap"), "TRAP", /unreachable/);
    assert.ok(error instanceof ExecutionError);
  });

  it("fails a non-zero exit with NON_ZERO_EXIT, naming the code and stderr", async () => {
    await failsWith(runJob("wordfreq", { args: ["/inputs/missing"] }), "NON_ZERO_EXIT", /code 1.*\/inputs\/missing/s);
  });

  it("kills an infinite loop at resources.timeoutSec with TIMEOUT", async () => {
    const started = Date.now();
    await failsWith(runJob("loop", { resources: { timeoutSec: 1 } }), "TIMEOUT");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_000 && elapsed < 3_000, `took ${elapsed} ms`);
  });

  it("stops a memory bomb with MEMORY_LIMIT, and the agent process keeps working", async () => {
    const rssBefore = process.memoryUsage().rss;
    await failsWith(runJob("membomb", { resources: { memoryMb: 32 } }), "MEMORY_LIMIT", /memoryMb = 32/);
    assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1_048_576, "the host grew past the job's limit");
    const { result } = await runJob("wordfreq", { mounts: [{ mount: "/inputs/corpus", hostPath: new URL("corpus", FIXTURES).pathname }] });
    assert.equal(result.exitCode, 0);
  });

  it("refuses a module whose initial memory is above the limit, and caps a declared maximum at it", async () => {
    // (module (memory (export "memory") 200) (func (export "_start")))
    const big = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
      0x05, 0x04, 0x01, 0x00, 0xc8, 0x01, // memory: flags 0, min 200 pages (12.5 MiB), no maximum
      0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00,
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
    ]);
    const module = await register(big);
    await failsWith(runJob("", { module, resources: { memoryMb: 8 } }), "MEMORY_LIMIT", /above the job's limit/);
    const capped = capModuleMemory(big, 16 * 16);
    assert.deepEqual(capped.memories, [{ initial: 200, maximum: undefined }]);
    const memory = WebAssembly.Module.exports(new WebAssembly.Module(capped.bytes as Uint8Array<ArrayBuffer>));
    assert.deepEqual(memory.map((e) => e.name), ["memory", "_start"]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(capped.bytes as Uint8Array<ArrayBuffer>));
    const mem = instance.exports.memory as WebAssembly.Memory;
    assert.equal(mem.grow(56), 200); // up to 256 pages = 16 MiB
    assert.throws(() => mem.grow(1), RangeError);
    const { result } = await runJob("", { module, resources: { memoryMb: 16 } });
    assert.equal(result.exitCode, 0);
  });

  it("stops an output flood with OUTPUT_LIMIT before it passes the cap by much", async () => {
    const max = 3 * 1_048_576;
    const spec = await specFor("flood", { resources: { maxOutputBytes: max } });
    const outputDir = await fresh("out");
    await failsWith(executor.run({ jobId: 1n, spec, inputs: [], outputDir }), "OUTPUT_LIMIT", /more than 3145728 bytes/);
    const size = (await stat(join(outputDir, "flood.bin"))).size;
    assert.ok(size <= max + 1_048_576, `the flood reached ${size} bytes`);
  });

  it("refuses every escape: symlinks, hard links, .. paths and writes to the read-only inputs", async () => {
    const input = await textInput("original\n");
    const { outputDir } = await runJob("escape", { mounts: [input] });
    const report = (await readFile(join(outputDir, "report.txt"), "utf8")).trim().split("\n");
    assert.equal(report.length, 17);
    for (const line of report) assert.match(line, /: refused \(/, line);
    assert.deepEqual(await readdir(outputDir), ["report.txt"]);
    assert.equal(await readFile(input.hostPath, "utf8"), "original\n");
    assert.deepEqual((await readdir(join(input.hostPath, ".."))).sort(), ["in.txt"]);
    assert.equal(existsSync(join(outputDir, "..", "escaped.txt")), false);
  });

  it("fails with OUTPUT_INVALID when the output directory holds a symlink after the run", async () => {
    const spec = await specFor("wordfreq", { mounts: [] });
    const outputDir = await fresh("out");
    await symlink("/etc/passwd", join(outputDir, "passwd"));
    const inputs = [{ mount: "/inputs/corpus", hostPath: new URL("corpus", FIXTURES).pathname }];
    await failsWith(executor.run({ jobId: 1n, spec, inputs, outputDir }), "OUTPUT_INVALID", /passwd is a symlink/);
  });

  it("fails with MODULE_UNAVAILABLE when the module bytes do not match the spec's CID", async () => {
    const wordfreq = await moduleCid("wordfreq");
    const liar = createWasmExecutor({ resolveModule: async () => modules.get(await moduleCid("trap")) as Uint8Array, tempDir });
    await failsWith(runJob("wordfreq", { module: wordfreq, executor: liar }), "MODULE_UNAVAILABLE", /do not match/);
    const missing = createWasmExecutor({ resolveModule: async () => Promise.reject(new Error("404")), tempDir });
    await failsWith(runJob("wordfreq", { executor: missing }), "MODULE_UNAVAILABLE", /404/);
  });

  it("accepts a module named by a dag-pb (UnixFS, CIDv0) CID of its bytes", async () => {
    const bytes = modules.get(await moduleCid("random")) as Uint8Array;
    const v0 = await importBytes(bytes, { put: async (cid: CID) => cid }, { cidVersion: 0, rawLeaves: false });
    modules.set(v0.cid.toV1().toString(), bytes);
    const { result } = await runJob("random", { module: v0.cid.toString() });
    assert.equal(result.exitCode, 0);
  });

  it("refuses other engines and GPUs (INVALID_SPEC) and modules off the allowlist (NOT_ALLOWED)", async () => {
    const docker = buildSpec({
      version: 1,
      engine: { type: "docker", image: `busybox@sha256:${"a".repeat(64)}` },
    });
    assert.throws(() => executor.validate(docker), (e: unknown) => e instanceof ExecutionError && e.code === "INVALID_SPEC");
    const spec = await specFor("wordfreq", {});
    const strict = createWasmExecutor({ resolveModule, tempDir, allowedModules: [await moduleCid("trap")] });
    assert.throws(() => strict.validate(spec), (e: unknown) => e instanceof ExecutionError && e.code === "NOT_ALLOWED");
    executor.validate(spec);
  });

  it("stops the job and reports ABORTED when the agent shuts down", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await failsWith(runJob("loop", { signal: controller.signal }), "ABORTED");
    assert.ok(Date.now() - started < 2_000);
  });

  describe("inputs mounted where they lie", () => {
    let elsewhere: string; // the "piece directory": on another filesystem than tempDir where /dev/shm is one

    before(async () => {
      const other = existsSync("/dev/shm") && (await stat("/dev/shm")).dev !== (await stat(tempDir)).dev ? "/dev/shm" : base;
      elsewhere = await realpath(await mkdtemp(join(other, "shoal-wasm-pieces-")));
    });

    afterEach(() => {
      assert.deepEqual(fdsInto(elsewhere), [], "the run left fds on the mounted inputs open");
    });

    it("reads a large file through fread's two-buffer reads (one host readv each) into exactly its words", async () => {
      // wasi-libc's fread asks for the caller's 64 KiB and its own 1 KiB buffer in one fd_read:
      // served in one readv. 700 KB of words whose boundaries fall everywhere across those reads.
      const words: string[] = [];
      for (let i = 0, length = 0; length < 700_000; i++) {
        words.push(`W${(i * 7919) % 4_001}x${"abc".slice(0, i % 4)}`);
        length += words[i].length + 1;
      }
      const file = join(elsewhere, "big.txt");
      await writeFile(file, words.map((word, i) => (i % 9 === 0 ? `${word}\n` : `${word} `)).join(""));
      const counts = new Map<string, number>();
      for (const word of words) counts.set(word.toLowerCase(), (counts.get(word.toLowerCase()) ?? 0) + 1);
      const sorted = [...counts.keys()].sort();
      const expected = `{"files":1,"totalWords":${words.length},"uniqueWords":${sorted.length},"words":{${sorted.map((w) => `"${w}":${counts.get(w)}`).join(",")}}}\n`;
      const { outputDir } = await runJob("wordfreq", { mounts: [{ mount: "/inputs/big.txt", hostPath: file }] });
      assert.equal(await readFile(join(outputDir, "wordfreq.json"), "utf8"), expected);
    });

    after(async () => {
      await rm(elsewhere, { recursive: true, force: true });
    });

    /** 300,007 bytes of a fixed pseudo-random stream: more than one read of the probe's buffers, odd-sized. */
    function pieceBytes(): Buffer {
      const bytes = Buffer.alloc(300_007);
      let x = 0x2545f491;
      for (let i = 0; i < bytes.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes[i] = x & 0xff;
      }
      return bytes;
    }

    async function piece(name: string, bytes: Uint8Array): Promise<string> {
      const dir = join(elsewhere, `${name}-${counter++}`);
      await mkdir(dir);
      await writeFile(join(dir, "stored.bin"), bytes);
      return join(dir, "stored.bin");
    }

    function fnv1a64(bytes: Uint8Array): string {
      let hash = 0xcbf29ce484222325n;
      for (const byte of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
      return hash.toString(16).padStart(16, "0");
    }

    async function probe(hostPath: string, options: JobOptions & { path?: string; mode?: "full" | "ends" } = {}) {
      const { result, outputDir } = await runJob("probe", {
        mounts: [{ mount: "/inputs/data.bin", hostPath }],
        ...options,
        args: [options.path ?? "/inputs/data.bin", options.mode ?? "full"],
      });
      const lines = (await readFile(join(outputDir, "probe.txt"), "utf8")).trimEnd().split("\n");
      return { result, outputDir, lines, line: (prefix: string) => lines.find((l) => l.startsWith(`${prefix}: `))?.slice(prefix.length + 2) };
    }

    /** What must not change: the bytes, every stat field, the directory's listing. Read with O_NOATIME, like the executor. */
    async function fingerprint(file: string) {
      const pick = (s: Stats) => [s.dev, s.ino, s.mode, s.nlink, s.uid, s.gid, s.size, s.blocks, s.mtimeMs, s.ctimeMs, s.atimeMs];
      const dir = join(file, "..");
      const listing = await readdir(dir); // before the stats: listing moves the directory's atime
      const handle = await open(file, constants.O_RDONLY | constants.O_NOATIME);
      const digest = createHash("sha256").update(await handle.readFile()).digest("hex");
      await handle.close();
      return { digest, listing, file: pick(await stat(file)), dir: pick(await stat(dir)) };
    }

    it("reads a file mounted at /inputs/data.bin from another directory: whole, at offsets, after seeks, with its size, listed", async () => {
      const bytes = pieceBytes();
      const hostPath = await piece("read", bytes);
      const { result, line, lines } = await probe(hostPath);
      assert.equal(result.inputBytesCopied, 0);
      assert.equal(typeof result.firstInputReadMs, "number");
      assert.equal(line("stat"), "size=300007 regular=1 nlink=1 mtime=946684800");
      assert.equal(line("fstat"), "size=300007 same inode as stat=1");
      assert.equal(line("fcntl(F_GETFL) read-only"), "1");
      assert.equal(line("posix_fadvise(SEQUENTIAL)"), "0");
      assert.equal(line("read"), `300007 bytes fnv1a64=${fnv1a64(bytes)}`);
      assert.equal(line("read at end"), "0");
      const at = (offset: number) => `${Math.max(0, Math.min(8, bytes.length - offset))} bytes ${bytes.subarray(offset, offset + 8).toString("hex")}`.trimEnd();
      for (const offset of [0, 150_003, 300_002, 300_007, 300_017]) assert.equal(line(`pread(8) at ${offset}`)?.trimEnd(), at(offset), `pread at ${offset}`);
      assert.equal(line("lseek(0, SEEK_END)"), "300007");
      assert.equal(line("lseek(3, SEEK_SET)"), "3");
      assert.equal(line("read(4) after seek"), bytes.subarray(3, 7).toString("hex"));
      assert.equal(line("lseek(-2, SEEK_CUR)"), "5");
      assert.equal(line("lseek(-1, SEEK_SET)"), "-1 (Invalid argument)");
      assert.deepEqual(
        lines.filter((l) => l.startsWith("list /inputs")),
        ["list /inputs: . type=3 size=0", "list /inputs: .. type=3 size=-1", "list /inputs: data.bin type=4 size=300007"],
      );
      assert.equal(line("stat after"), "size=300007");
    });

    it("lets the job change nothing: the file and its directory keep their bytes, stat (mtime, ctime, atime) and listing", async () => {
      const hostPath = await piece("readonly", pieceBytes());
      // atime before mtime: any read without O_NOATIME would move it (relatime).
      await utimes(hostPath, new Date("2023-01-02T03:04:05Z"), new Date("2024-01-02T03:04:05Z"));
      const before = await fingerprint(hostPath);
      const { lines, outputDir } = await probe(hostPath);
      const after = await fingerprint(hostPath);
      assert.deepEqual(after, before);
      assert.deepEqual(
        lines.filter((l) => /: (refused \(.*\)|ALLOWED)$/.test(l)),
        [
          "open for writing: refused (Read-only file system)",
          "open for reading and writing: refused (Read-only file system)",
          "open with O_TRUNC: refused (Read-only file system)",
          "open with O_APPEND: refused (Read-only file system)",
          "open with O_CREAT|O_EXCL: refused (Read-only file system)",
          "open as a directory: refused (Not a directory)",
          "write: refused (Read-only file system)",
          "pwrite: refused (Read-only file system)",
          "ftruncate: refused (Read-only file system)",
          "truncate: refused (Read-only file system)",
          "posix_fallocate: refused (Read-only file system)",
          "fsync: refused (Invalid argument)",
          "futimens: refused (Read-only file system)",
          "utimensat: refused (Read-only file system)",
          "fd_fdstat_set_flags(APPEND): refused (Capabilities insufficient)",
          "fd_fdstat_set_rights(all): refused (Capabilities insufficient)",
          "rename within /inputs: refused (Read-only file system)",
          "rename to /outputs: refused (Read-only file system)",
          "rename over it: refused (Read-only file system)",
          "unlink: refused (Read-only file system)",
          "rmdir: refused (Read-only file system)",
          "mkdir over it: refused (Read-only file system)",
          "hard link: refused (Operation not permitted)",
          "symlink over it: refused (Operation not permitted)",
          "readdir on the file: refused (Not a directory)",
          "close: ALLOWED",
          "read after close: refused (Bad file descriptor)",
        ],
      );
      assert.deepEqual(await readdir(outputDir), ["probe.txt"]);
    });

    it("mounts a 4 GiB sparse file with 0 bytes copied, and reads its last bytes", async () => {
      const hostPath = await piece("sparse", new Uint8Array(0));
      const size = 4 * 1024 ** 3;
      await truncate(hostPath, size);
      const handle = await open(hostPath, "r+");
      await handle.write(Buffer.from("END!"), 0, 4, size - 4);
      await handle.close();
      const stats = await stat(hostPath);
      assert.ok(stats.blocks * 512 < 1024 ** 2, "the test file is sparse");
      const { result, line } = await probe(hostPath, { mode: "ends" });
      assert.equal(result.inputBytesCopied, 0);
      assert.equal(line("stat"), "size=4294967296 regular=1 nlink=1 mtime=946684800");
      assert.equal(line(`pread(8) at ${size - 5}`), "5 bytes 00454e4421");
      assert.equal(line(`pread(8) at ${size / 2}`), "8 bytes 0000000000000000");
      assert.deepEqual((await stat(hostPath)).mtimeMs, stats.mtimeMs);
    });

    it("serves the file by any spelling of its path, beside a directory input, and gives identical outputs on two runs", async () => {
      const hostPath = await piece("spelled", pieceBytes());
      const tree = await fresh("tree");
      await mkdir(join(tree, "sub"));
      await writeFile(join(tree, "sub", "leaf.txt"), "leaf\n");
      const run = async (executorFor: WasmExecutor, path: string) => {
        const { result, outputDir, line } = await probe(hostPath, {
          executor: executorFor,
          path,
          mounts: [
            { mount: "/inputs/data.bin", hostPath },
            { mount: "/inputs/dir", hostPath: tree },
          ],
        });
        assert.equal(result.inputBytesCopied, 0);
        assert.equal(line("stat"), "size=300007 regular=1 nlink=1 mtime=946684800", path);
        const lines = (await readFile(join(outputDir, "probe.txt"), "utf8")).split("\n");
        return { cid: (await computeResultCid(outputDir)).toString(), listing: lines.filter((l) => l.startsWith("list")), openat: lines.filter((l) => l.startsWith("openat")) };
      };
      const plain = await run(executor, "/inputs/data.bin");
      assert.deepEqual(plain.openat, [
        "openat(/inputs/dir, sub/leaf.txt): 5 bytes",
        "openat(/inputs/dir, sub/../sub/leaf.txt): 5 bytes",
        "openat(/inputs/dir, ../dir/sub/leaf.txt): 5 bytes",
        "openat(/inputs/dir, ../data.bin): error (Capabilities insufficient)", // out of the fd's directory, as node:wasi rules
        "openat(/inputs/dir, sub): read error (Bad file descriptor)",
      ]);
      assert.deepEqual(plain.listing, [
        "list /inputs: . type=3 size=0",
        "list /inputs: .. type=3 size=-1",
        "list /inputs: data.bin type=4 size=300007",
        "list /inputs: dir type=3 size=0",
      ]);
      const other = createWasmExecutor({ resolveModule, tempDir: await fresh("other-tmp") });
      await utimes(hostPath, new Date(), new Date(Date.now() - 1e9));
      assert.equal((await run(other, "/inputs/data.bin")).cid, plain.cid, "two runs differ");
      for (const path of ["/inputs/./data.bin", "/inputs//data.bin", "/inputs/dir/../data.bin", "/inputs/dir/sub/../../data.bin"]) {
        const spelled = await run(executor, path);
        assert.deepEqual(spelled.listing, plain.listing, path);
      }
      const leaf = await probe(join(tree, "sub", "leaf.txt"), { path: "/inputs/dir/sub/leaf.txt", mounts: [{ mount: "/inputs/dir", hostPath: tree }] });
      assert.equal(leaf.line("read"), `5 bytes fnv1a64=${fnv1a64(Buffer.from("leaf\n"))}`);
      assert.equal(leaf.result.inputBytesCopied, 0);
    });

    it("fails a file input that is not a regular file or cannot be read (INVALID_SPEC), leaving nothing open", async () => {
      await failsWith(probe(join(elsewhere, "missing.bin")), "INVALID_SPEC", /missing\.bin cannot be read/);
      const dir = await fresh("with-link");
      await symlink("/etc/passwd", join(dir, "passwd"));
      await failsWith(probe(dir, { mounts: [{ mount: "/inputs/dir", hostPath: dir }] }), "INVALID_SPEC", /passwd is a symlink/);
      // The spec refuses nested or repeated mounts; the executor refuses them too.
      const hostPath = await piece("overlap", pieceBytes());
      const spec = await specFor("probe", { mounts: [{ mount: "/inputs/data.bin", hostPath }] });
      const inputs = [{ mount: "/inputs/data.bin", hostPath }, { mount: "/inputs/data.bin", hostPath }];
      await failsWith(executor.run({ jobId: 1n, spec, inputs, outputDir: await fresh("out") }), "INVALID_SPEC", /already mounted there/);
    });
  });
});
