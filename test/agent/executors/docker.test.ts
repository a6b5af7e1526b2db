import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type Dockerode from "dockerode";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";

import {
  buildContainerOptions,
  createDockerExecutor,
  DockerExecutionError,
  type DockerExecutor,
  removeOrphans,
} from "../../../agent/src/executors/docker/index.js";
import { ExecutionError, type ExecutionErrorCode, type MountedInput } from "../../../agent/src/executors/types.js";
import { InvalidSpecError } from "../../../sdk/src/errors/index.js";
import { computeResultCid } from "../../../sdk/src/node.js";
import { buildSpec, type Spec, type SpecInput } from "../../../sdk/src/spec/index.js";
import { buildWordcountImage, ensureDockerEngine, jobContainers, jobVolumes, type TestImage } from "../../helpers/docker.js";

const FAKE_DIGEST = `sha256:${"ab".repeat(32)}`;
const MISSING_DIGEST = `sha256:${"0".repeat(64)}`;
/** A CID input (the executor only sees the mounted host path; the spec must still be valid). */
const TEXTS_CID = CID.createV1(0x55, Digest.create(0x12, createHash("sha256").update("texts").digest())).toString();

type DockerSpecInput = Omit<Extract<SpecInput["engine"], { type: "docker" }>, "type">;

function dockerSpec(engine: DockerSpecInput, resources: SpecInput["resources"] = {}, inputs = true): Spec {
  return buildSpec({
    version: 1,
    engine: { type: "docker", ...engine },
    inputs: inputs ? [{ cid: TEXTS_CID, mount: "/inputs/texts" }] : [],
    resources: { memoryMb: 64, timeoutSec: 30, ...resources },
  });
}

/** Awaits a run that must fail with `code`; returns the error. */
async function failsWith(promise: Promise<unknown>, code: ExecutionErrorCode): Promise<DockerExecutionError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ExecutionError, `expected an ExecutionError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.equal(error.component, "docker");
    return error as DockerExecutionError;
  }
  assert.fail(`expected ${code}, but the run succeeded`);
}

function throwsCode(fn: () => void, code: ExecutionErrorCode): void {
  assert.throws(fn, (error: unknown) => error instanceof ExecutionError && error.code === code);
}

/** The word frequencies wordcount.sh must produce, computed independently. */
function expectedWordfreq(texts: string[]): string {
  const counts = new Map<string, number>();
  for (const word of texts.join("\n").split(/[^A-Za-z0-9]+/)) {
    if (word === "") continue;
    const lower = word.toLowerCase();
    counts.set(lower, (counts.get(lower) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([word, count]) => `${word} ${count}\n`)
    .join("");
}

const TEXTS = {
  "a.txt": "The quick brown fox jumps over the lazy dog.\nThe dog sleeps; the fox doesn't.\n",
  "more/b.txt": "A fox, a DOG, and 42 cats -- THE END\n",
};

describe("Docker executor", function () {
  this.timeout(60_000);

  describe("without an engine", () => {
    const executor = createDockerExecutor({ socketPath: "/nonexistent/docker.sock", allowedImages: ["shoal-test/busybox"] });

    it("refuses an image not pinned by digest (the spec schema and the executor both)", () => {
      assert.throws(() => dockerSpec({ image: "shoal-test/busybox:latest" }), InvalidSpecError);
      const spec = dockerSpec({ image: `shoal-test/busybox@${FAKE_DIGEST}` });
      const unpinned = { ...spec, engine: { ...spec.engine, image: "shoal-test/busybox:latest" } } as Spec;
      throwsCode(() => executor.validate(unpinned), "INVALID_SPEC");
    });

    it("refuses a network other than none", () => {
      const spec = { ...dockerSpec({ image: `shoal-test/busybox@${FAKE_DIGEST}` }), network: "host" } as unknown as Spec;
      throwsCode(() => executor.validate(spec), "INVALID_SPEC");
    });

    it("refuses images outside the allowlist (NOT_ALLOWED); an empty list allows none", () => {
      const spec = dockerSpec({ image: `shoal-test/busybox@${FAKE_DIGEST}` });
      executor.validate(spec);
      throwsCode(() => createDockerExecutor({ allowedImages: ["shoal-test/other"] }).validate(spec), "NOT_ALLOWED");
      throwsCode(() => createDockerExecutor({ allowedImages: [] }).validate(spec), "NOT_ALLOWED");
      // An exact ref allows that digest only; names compare canonically (docker.io/library/…).
      createDockerExecutor({ allowedImages: [`docker.io/shoal-test/busybox@${FAKE_DIGEST}`] }).validate(spec);
      throwsCode(() => createDockerExecutor({ allowedImages: [`shoal-test/busybox@${MISSING_DIGEST}`] }).validate(spec), "NOT_ALLOWED");
      createDockerExecutor({ allowedImages: ["docker.io/library/busybox"] }).validate(dockerSpec({ image: `busybox:1.36@${FAKE_DIGEST}` }));
      createDockerExecutor({ allowedImages: (image) => image.repository === "docker.io/shoal-test/busybox" }).validate(spec);
      assert.throws(() => createDockerExecutor({ allowedImages: ["busybox:latest"] }), /tag/);
      throwsCode(() => executor.validate(dockerSpec({ image: `ghcr.io/shoal-test/busybox@${FAKE_DIGEST}` })), "NOT_ALLOWED");
    });

    it("refuses GPU jobs on a provider without GPUs, and requests devices only when both have them", () => {
      const gpuSpec = dockerSpec({ image: `shoal-test/busybox@${FAKE_DIGEST}` }, { gpu: 1 });
      throwsCode(() => executor.validate(gpuSpec), "INVALID_SPEC");
      createDockerExecutor({ allowedImages: ["shoal-test/busybox"], gpus: 2 }).validate(gpuSpec);
      const request = { jobId: 7n, spec: gpuSpec, inputs: [], outputDir: "/tmp/out" };
      const settings = { imageId: FAKE_DIGEST, user: "65534:65534", pidsLimit: 64, tmpfsBytes: 1 << 20, agent: "a" };
      assert.deepEqual(buildContainerOptions(request, { ...settings, gpus: 1 }, "n").HostConfig?.DeviceRequests, [
        { Driver: "", Count: 1, Capabilities: [["gpu"]] },
      ]);
      assert.equal(buildContainerOptions(request, { ...settings, gpus: 0 }, "n").HostConfig?.DeviceRequests, undefined);
    });

    it("locks the container down: no network, read-only root and inputs, limits, no capabilities, non-root, labels", () => {
      const spec = dockerSpec(
        { image: `shoal-test/busybox@${FAKE_DIGEST}`, command: ["/bin/sh", "-c"], args: ["echo hi"], env: { ZED: "z", ALPHA: "a" } },
        { cpu: 2, memoryMb: 128 },
      );
      const inputs: MountedInput[] = [{ mount: "/inputs/texts", hostPath: "/data/texts" }];
      const options = buildContainerOptions(
        { jobId: 42n, spec, inputs, outputDir: "/work/out" },
        { imageId: FAKE_DIGEST, user: "65534:65534", pidsLimit: 64, tmpfsBytes: 16 << 20, gpus: 0, agent: "agent-1" },
        "shoal-job-42-x",
      );
      const host = options.HostConfig!;
      assert.equal(options.Image, FAKE_DIGEST);
      assert.equal(options.User, "65534:65534");
      assert.deepEqual(options.Env, ["ALPHA=a", "ZED=z"]);
      assert.deepEqual(options.Entrypoint, ["/bin/sh", "-c"]);
      assert.deepEqual(options.Cmd, ["echo hi"]);
      assert.deepEqual(options.Labels, { "shoal.job": "42", "shoal.agent": "agent-1" });
      assert.equal(host.NetworkMode, "none");
      assert.equal(host.ReadonlyRootfs, true);
      assert.equal(host.Memory, 128 * 1024 * 1024);
      assert.equal(host.MemorySwap, host.Memory);
      assert.equal(host.NanoCpus, 2e9);
      assert.equal(host.PidsLimit, 64);
      assert.deepEqual(host.CapDrop, ["ALL"]);
      assert.deepEqual(host.SecurityOpt, ["no-new-privileges"]);
      assert.equal(host.LogConfig?.Type, "none");
      assert.match(host.Tmpfs?.["/tmp"] ?? "", /size=16777216/);
      assert.deepEqual(
        host.Mounts?.map(({ Source, Target, ReadOnly }) => ({ Source, Target, ReadOnly })),
        [
          { Source: "/data/texts", Target: "/inputs/texts", ReadOnly: true },
          { Source: "/work/out", Target: "/outputs", ReadOnly: false },
        ],
      );
    });

    it("says the engine is unavailable when the socket does not answer", async () => {
      assert.equal(await executor.isAvailable(), false);
      const spec = dockerSpec({ image: `shoal-test/busybox@${FAKE_DIGEST}` });
      await failsWith(executor.run({ jobId: 1n, spec, inputs: [], outputDir: tmpdir() }), "ENGINE_UNAVAILABLE");
    });
  });

  describe("on a real Docker engine", function () {
    let docker: Dockerode;
    let image: TestImage;
    let executor: DockerExecutor;
    let base: string;
    let texts: string;
    let counter = 0;

    before(async function () {
      this.timeout(120_000);
      const engine = await ensureDockerEngine();
      if (engine.docker === undefined) {
        console.log(`      SKIPPED: the Docker executor's engine tests need a Docker engine: ${engine.reason}.`);
        console.log("      Start one with scripts/ci/start-docker.sh (after apt-get install -y docker.io busybox-static).");
        this.skip();
      }
      docker = engine.docker;
      image = await buildWordcountImage(docker);
      executor = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox", "shoal-test/other"], agent: "test" });
      await removeOrphans(docker, { agent: "test" });
      base = await mkdtemp(join(tmpdir(), "shoal-docker-test-"));
      await chmod(base, 0o755);
      texts = join(base, "texts");
      for (const [path, content] of Object.entries(TEXTS)) {
        await mkdir(join(texts, path, ".."), { recursive: true });
        await writeFile(join(texts, path), content);
      }
      // The job runs as nobody: inputs must be readable by others.
      await chmod(texts, 0o755);
      await chmod(join(texts, "more"), 0o755);
    });

    afterEach(async function () {
      if (docker === undefined) return;
      // Removal runs after run() returns (settled() waits for it; the test below checks that): the
      // executors a test made may still be removing.
      for (let t = 0; t < 100 && ((await jobContainers(docker)).length > 0 || (await jobVolumes(docker)).length > 0); t++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(
        (await jobContainers(docker)).map((c) => c.Names),
        [],
        "a job container was left behind",
      );
      assert.deepEqual(await jobVolumes(docker), [], "a job output volume was left behind");
    });

    after(async () => {
      if (base) await rm(base, { recursive: true, force: true });
    });

    const outDir = async () => {
      const dir = join(base, `out-${counter++}`);
      await mkdir(dir, { mode: 0o700 });
      return dir;
    };
    const inputs = (): MountedInput[] => [{ mount: "/inputs/texts", hostPath: texts }];
    /** A job running `script` with busybox sh on the test image. */
    const shell = (script: string, resources: SpecInput["resources"] = {}, env: Record<string, string> = {}) =>
      dockerSpec({ image: image.ref, command: ["/bin/sh", "-c", script], env }, resources);
    const runSpec = async (spec: Spec, options: { outputDir?: string; signal?: AbortSignal } = {}) => {
      const outputDir = options.outputDir ?? (await outDir());
      return executor.run({ jobId: BigInt(1000 + counter), spec, inputs: inputs(), outputDir, signal: options.signal });
    };

    it("runs the word count and writes the expected word frequencies", async () => {
      assert.equal(await executor.isAvailable(), true);
      const outputDir = await outDir();
      const result = await runSpec(dockerSpec({ image: image.ref }), { outputDir });
      assert.equal(result.exitCode, 0);
      const text = await readFile(join(outputDir, "wordfreq.txt"), "utf8");
      assert.equal(text, expectedWordfreq(Object.values(TEXTS)));
      assert.match(text, /^the 5\ndog 3\nfox 3\na 2\n42 1\n/);
      assert.equal(result.outputBytes, Buffer.byteLength(text));
      assert.ok(result.durationMs >= 0 && result.durationMs < 10_000);
      // The agent gets its output back, owned by itself.
      assert.equal((await stat(join(outputDir, "wordfreq.txt"))).uid, process.getuid?.());
      // The job's container, holder and volume are removed after run() returned; settled() waits for that.
      await executor.settled();
      assert.deepEqual(await jobContainers(docker), []);
      assert.deepEqual(await jobVolumes(docker), []);
    });

    it("gives the same result CID when the same job runs twice", async () => {
      const spec = dockerSpec({ image: image.ref });
      const [a, b] = [await outDir(), await outDir()];
      await runSpec(spec, { outputDir: a });
      await runSpec(spec, { outputDir: b });
      const [cidA, cidB] = [await computeResultCid(a), await computeResultCid(b)];
      assert.equal(cidA.toString(), cidB.toString());
      assert.match(cidA.toString(), /^bafybei/);
    });

    it("refuses an image outside the allowlist before touching the engine (NOT_ALLOWED)", async () => {
      const strict = createDockerExecutor({ docker, allowedImages: ["shoal-test/only-this"], agent: "test" });
      await failsWith(strict.run({ jobId: 1n, spec: dockerSpec({ image: image.ref }), inputs: inputs(), outputDir: await outDir() }), "NOT_ALLOWED");
    });

    it("fails with MODULE_UNAVAILABLE when the pinned image is not in the engine (no pulls by default)", async () => {
      const missing = await failsWith(runSpec(dockerSpec({ image: `shoal-test/busybox@${MISSING_DIGEST}` })), "MODULE_UNAVAILABLE");
      assert.match(missing.hint ?? "", /docker pull/);
      // The image ID exists, but not under this (allowed) name: still unavailable.
      await failsWith(runSpec(dockerSpec({ image: `shoal-test/other@${image.id}` })), "MODULE_UNAVAILABLE");
      // With pulls on, a registry that does not answer: still unavailable, and quickly.
      const pulling = createDockerExecutor({ docker, allowedImages: ["localhost:1/shoal-test/busybox"], pullImages: true, agent: "test" });
      const spec = dockerSpec({ image: `localhost:1/shoal-test/busybox@${MISSING_DIGEST}` });
      assert.match((await failsWith(pulling.run({ jobId: 2n, spec, inputs: inputs(), outputDir: await outDir() }), "MODULE_UNAVAILABLE")).message, /could not pull/);
    });

    it("fails a non-zero exit with NON_ZERO_EXIT, its code and the stderr tail — not a result", async () => {
      const error = await failsWith(runSpec(shell("echo some output; echo 'something broke' >&2; exit 3")), "NON_ZERO_EXIT");
      assert.equal(error.exitCode, 3);
      assert.match(error.message, /code 3: something broke/);
      assert.equal(error.stdout, "some output\n");
    });

    it("kills a job at its timeout (TIMEOUT) and removes the container", async () => {
      const started = Date.now();
      await failsWith(runSpec(shell("sleep 1000", { timeoutSec: 1 })), "TIMEOUT");
      assert.ok(Date.now() - started < 6_000, `took ${Date.now() - started} ms`);
      await executor.settled();
      assert.deepEqual(await jobContainers(docker), []);
    });

    it("stops on abort (agent shutdown) with ABORTED and removes the container", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      await failsWith(runSpec(shell("sleep 1000"), { signal: controller.signal }), "ABORTED");
      assert.ok(Date.now() - started < 5_000);
      await executor.settled();
      assert.deepEqual(await jobContainers(docker), []);
    });

    it("contains a fork bomb with the pids limit: the job fails, the host is fine, nothing is left", async () => {
      let peak = 0;
      const sampler = setInterval(async () => {
        for (const container of await jobContainers(docker).catch(() => [])) {
          const file = `/sys/fs/cgroup/pids/docker/${container.Id}/pids.current`;
          if (existsSync(file)) peak = Math.max(peak, Number(await readFile(file, "utf8").catch(() => "0")));
        }
      }, 100);
      try {
        // The classic bomb (busybox sh will not name a function ":"), restarted in a loop. It hits
        // the pids limit ("can't fork") and dies there, or is killed at the timeout.
        const error = await runSpec(shell("f(){ f|f& }; while :; do f; done", { timeoutSec: 3 })).then(
          () => assert.fail("a fork bomb cannot succeed"),
          (e: unknown) => e as DockerExecutionError,
        );
        assert.ok(error instanceof ExecutionError && ["TIMEOUT", "NON_ZERO_EXIT"].includes(error.code), String(error));
        assert.match(error.stderr ?? "", /can't fork/);
      } finally {
        clearInterval(sampler);
      }
      assert.ok(peak <= 64, `pids peaked at ${peak}`);
      assert.equal(spawnSync("true").status, 0, "the host can still fork");
    });

    it("kills a memory bomb at the memory limit (MEMORY_LIMIT)", async () => {
      // Command substitution makes the shell hold the whole 256 MB string: real allocation.
      await failsWith(
        runSpec(shell("x=$(head -c 268435456 /dev/zero | tr '\\0' a); echo ${#x}", { memoryMb: 32 })),
        "MEMORY_LIMIT",
      );
    });

    it("fails the job's writes at maxOutputBytes: a flood leaves at most the cap (OUTPUT_LIMIT)", async () => {
      const outputDir = await outDir();
      // The write itself fails (ENOSPC) at the cap plus one page, whatever the job's speed (no
      // poll here: it would kill the job as soon as the volume is full, before it can say so).
      const unpolled = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent: "test", outputPollMs: 600_000 });
      const flood = await failsWith(
        unpolled.run({ jobId: 6n, inputs: inputs(), outputDir, spec: shell("head -c 100000000 /dev/zero > /outputs/x; echo \"exit $?\" >&2; wc -c < /outputs/x >&2", { maxOutputBytes: 1 << 20 }) }),
        "OUTPUT_LIMIT",
      );
      assert.match(flood.stderr ?? "", /head: standard output: I\/O error\nexit 1\n1052672\n/);
      const left = (await readdir(outputDir, { recursive: true })).map((name) => join(outputDir, name));
      let bytes = 0;
      for (const path of left) bytes += (await stat(path)).size;
      assert.ok(bytes <= 1 << 20, `${bytes} bytes left on the host`);
      // A writer that ignores its write errors (busybox yes) is ended too, by the volume's poll or its timeout.
      await failsWith(runSpec(shell("yes > /outputs/x", { maxOutputBytes: 1 << 20, timeoutSec: 20 })), "OUTPUT_LIMIT");
      // Exactly the cap is allowed.
      const exact = await runSpec(shell("head -c 1048576 /dev/zero > /outputs/x", { maxOutputBytes: 1 << 20 }));
      assert.equal(exact.outputBytes, 1 << 20);
      // Written past the cap, then a clean exit: the check after the run catches it.
      await failsWith(runSpec(shell("head -c 2000000 /dev/zero > /outputs/x", { maxOutputBytes: 1 << 20 })), "OUTPUT_LIMIT");
      // Many empty files count too.
      const many = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent: "test", maxOutputEntries: 100 });
      await failsWith(
        many.run({ jobId: 5n, spec: shell("i=0; while [ $i -lt 300 ]; do : > /outputs/f$i; i=$((i+1)); done"), inputs: inputs(), outputDir: await outDir() }),
        "OUTPUT_LIMIT",
      );
    });

    it("counts the output in the job's memory (it is tmpfs): writing past memoryMb is MEMORY_LIMIT", async () => {
      const error = await failsWith(runSpec(shell("head -c 50331648 /dev/zero > /outputs/x", { memoryMb: 16, maxOutputBytes: 64 << 20 })), "MEMORY_LIMIT");
      assert.match(error.hint ?? "", /output and \/tmp are in memory/);
      // Within memoryMb it is fine.
      const fits = await runSpec(shell("head -c 8388608 /dev/zero > /outputs/x", { memoryMb: 32, maxOutputBytes: 64 << 20 }));
      assert.equal(fits.outputBytes, 8 << 20);
    });

    it("keeps the polled bind mount as the fallback (outputMount: bind)", async () => {
      const bind = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent: "test", outputMount: "bind" });
      const outputDir = await outDir();
      const result = await bind.run({ jobId: 7n, spec: dockerSpec({ image: image.ref }), inputs: inputs(), outputDir });
      assert.equal(await readFile(join(outputDir, "wordfreq.txt"), "utf8"), expectedWordfreq(Object.values(TEXTS)));
      assert.equal(result.exitCode, 0);
      await failsWith(bind.run({ jobId: 8n, spec: shell("yes > /outputs/x", { maxOutputBytes: 1 << 20 }), inputs: inputs(), outputDir: await outDir() }), "OUTPUT_LIMIT");
    });

    it("reads the output the same through the engine's archive (agents that cannot see the volume's mount)", async () => {
      const archived = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent: "test", outputViaArchive: true });
      const job = (spec: Spec, outputDir?: string) => archived.run({ jobId: 9n, spec, inputs: inputs(), outputDir: outputDir ?? join(base, "unused") });
      const outputDir = await outDir();
      await job(dockerSpec({ image: image.ref }), outputDir);
      assert.equal(await readFile(join(outputDir, "wordfreq.txt"), "utf8"), expectedWordfreq(Object.values(TEXTS)));
      const nested = await outDir();
      const result = await job(shell("mkdir -p /outputs/a/b; echo one > /outputs/a/b/c; ln /outputs/a/b/c /outputs/hard; chmod +x /outputs/a/b/c"), nested);
      assert.equal(await readFile(join(nested, "hard"), "utf8"), "one\n");
      assert.equal((await stat(join(nested, "a/b/c"))).mode & 0o111, 0o111);
      assert.equal(result.outputBytes, 8);
      await failsWith(job(shell("head -c 2000000 /dev/zero > /outputs/x", { maxOutputBytes: 1 << 20 }), await outDir()), "OUTPUT_LIMIT");
      const error = await failsWith(job(shell("echo ok > /outputs/fine; mkdir /outputs/d; ln -s /etc/passwd /outputs/d/p"), await outDir()), "OUTPUT_INVALID");
      assert.match(error.message, /d\/p is a symlink/);
      await failsWith(job(shell("mkfifo /outputs/fifo"), await outDir()), "OUTPUT_INVALID");
    });

    it("refuses symlinks and special files in the output (OUTPUT_INVALID)", async () => {
      const error = await failsWith(runSpec(shell("echo ok > /outputs/fine; mkdir /outputs/d; ln -s /etc/passwd /outputs/d/p")), "OUTPUT_INVALID");
      assert.match(error.message, /d\/p is a symlink/);
      await failsWith(runSpec(shell("mkfifo /outputs/fifo")), "OUTPUT_INVALID");
    });

    it("gives the job no network: only loopback, connections fail", async () => {
      const outputDir = await outDir();
      const result = await runSpec(
        shell(
          "awk -F: 'NR > 2 { gsub(/ /, \"\", $1); print $1 }' /proc/net/dev > /outputs/interfaces;" +
            " if nc -w 2 1.1.1.1 80 </dev/null; then echo reached > /outputs/reached; fi",
        ),
        { outputDir },
      );
      assert.equal(await readFile(join(outputDir, "interfaces"), "utf8"), "lo\n");
      assert.deepEqual(await readdir(outputDir), ["interfaces"]);
      assert.match(result.stderr, /Network is unreachable/);
    });

    it("mounts inputs read-only, even files the job's user could write", async () => {
      await chmod(texts, 0o777);
      await chmod(join(texts, "a.txt"), 0o666);
      try {
        const result = await runSpec(
          shell("echo tampered >> /inputs/texts/a.txt; touch /inputs/texts/new; rm /inputs/texts/more/b.txt; ls /inputs/texts > /outputs/ls"),
        );
        assert.equal((result.stderr.match(/Read-only file system/g) ?? []).length, 3, result.stderr);
        assert.equal(await readFile(join(texts, "a.txt"), "utf8"), TEXTS["a.txt"]);
        assert.deepEqual((await readdir(texts)).sort(), ["a.txt", "more"]);
      } finally {
        await chmod(texts, 0o755);
        await chmod(join(texts, "a.txt"), 0o644);
      }
    });

    it("runs as a non-root user without capabilities on a read-only root, with a small writable /tmp", async () => {
      const outputDir = await outDir();
      const result = await runSpec(
        shell(
          "id -u > /outputs/uid; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status > /outputs/status;" +
            " touch /evil; mkdir /app/x; echo scratch > /tmp/s && cat /tmp/s > /outputs/tmp; echo \"$ALPHA$ZED\" > /outputs/env",
          {},
          { ZED: "z", ALPHA: "a" },
        ),
        { outputDir },
      );
      assert.equal((result.stderr.match(/Read-only file system/g) ?? []).length, 2, result.stderr);
      assert.equal(await readFile(join(outputDir, "uid"), "utf8"), process.getuid?.() === 0 ? "65534\n" : `${process.getuid?.()}\n`);
      assert.equal(await readFile(join(outputDir, "status"), "utf8"), "CapEff:\t0000000000000000\nNoNewPrivs:\t1\n");
      assert.equal(await readFile(join(outputDir, "tmp"), "utf8"), "scratch\n");
      assert.equal(await readFile(join(outputDir, "env"), "utf8"), "az\n");
    });

    it("removes orphaned job containers and output volumes of this agent only (restart recovery)", async () => {
      const labels = (agent: string) => ({ "shoal.job": "99", "shoal.agent": agent });
      const mine = await docker.createContainer({ Image: image.id, Cmd: ["sleep", "1000"], Labels: labels("test"), HostConfig: { NetworkMode: "none" } });
      await mine.start();
      const theirs = await docker.createContainer({ Image: image.id, Cmd: ["true"], Labels: labels("someone-else"), HostConfig: { NetworkMode: "none" } });
      // What a crash mid-run leaves: an output volume, held by a running holder (a job container too).
      const volume = await docker.createVolume({
        Name: `shoal-job-99-orphan${counter}-out`,
        Driver: "local",
        DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=65536" },
        Labels: { ...labels("test"), "shoal.role": "output" },
      });
      const holder = await docker.createContainer({
        Image: image.id,
        Cmd: ["sleep", "1000"],
        Labels: { ...labels("test"), "shoal.role": "holder" },
        HostConfig: { NetworkMode: "none", Mounts: [{ Type: "volume", Source: volume.name, Target: "/outputs" }] },
      });
      await holder.start();
      try {
        assert.deepEqual((await executor.removeOrphans()).sort(), [mine.id, holder.id, volume.name].sort());
        assert.deepEqual(await jobVolumes(docker), []);
        assert.deepEqual(
          (await jobContainers(docker)).map((c) => c.Id),
          [theirs.id],
        );
      } finally {
        await theirs.remove({ force: true });
        await mine.remove({ force: true }).catch(() => undefined);
      }
    });

    describe("warm pool of output holders", () => {
      /** Containers and volumes an agent's executor has in the engine, counted by its shoal.agent label. */
      const ofAgent = async (agent: string) => {
        const label = [`shoal.agent=${agent}`];
        const containers = await docker.listContainers({ all: true, filters: { label } });
        const { Volumes } = await docker.listVolumes({ filters: { label } });
        return {
          pooledHolders: containers.filter((c) => c.Labels["shoal.job"] === "pool" && c.Labels["shoal.role"] === "holder" && c.State === "running").length,
          pooledVolumes: (Volumes ?? []).filter((v) => v.Labels?.["shoal.job"] === "pool").map((v) => v.Name),
          containers: containers.length,
          volumes: (Volumes ?? []).length,
        };
      };
      /** Waits (bounded) until the pool has `n` holders ready again: refills run after run() returns. */
      const refilled = async (pooled: DockerExecutor, n: number) => {
        for (let t = 0; t < 200 && pooled.pooledHolders < n; t++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(pooled.pooledHolders, n, "the pool was not refilled");
      };

      it("makes its holders before jobs come, gives each job a fresh one and refills", async () => {
        const agent = "test-pool-a";
        const pooled: boolean[] = [];
        const pool = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent, holderPool: 2, onTimings: (t) => pooled.push(t.pooled) });
        try {
          assert.equal(pool.pooledHolders, 0, "no holder before warm()");
          await pool.warm();
          assert.equal(pool.pooledHolders, 2);
          const before = await ofAgent(agent);
          assert.equal(before.pooledHolders, 2);
          assert.equal(before.pooledVolumes.length, 2);

          // The first job leaves a file behind in its output; the next job, on another pooled
          // holder, must see an empty output directory (a holder serves one job only).
          const first = await outDir();
          await pool.run({ jobId: 1n, spec: shell("echo secret > /outputs/left; ls -A /outputs"), inputs: inputs(), outputDir: first });
          assert.equal(await readFile(join(first, "left"), "utf8"), "secret\n");
          const second = await outDir();
          const seen = await pool.run({ jobId: 2n, spec: shell("ls -A /outputs; echo done > /outputs/mine"), inputs: inputs(), outputDir: second });
          assert.equal(seen.stdout, "", "the second job saw another job's output");
          assert.deepEqual(await readdir(second), ["mine"]);
          assert.deepEqual(pooled, [true, true], "both jobs took a pooled holder");

          // Each job's holder and volume are removed after it; none of the first ones is left.
          await pool.settled();
          await refilled(pool, 2);
          const after = await ofAgent(agent);
          assert.equal(after.pooledHolders, 2);
          assert.equal(after.pooledVolumes.filter((name) => before.pooledVolumes.includes(name)).length, 0, "a used holder's volume came back to the pool");
          assert.equal(after.containers, 2, "only the two pooled holders are left");
        } finally {
          await pool.close();
        }
        const closed = await ofAgent(agent);
        assert.deepEqual({ containers: closed.containers, volumes: closed.volumes }, { containers: 0, volumes: 0 }, "close() left containers or volumes");
      });

      it("keeps the output cap with pooled holders: a job's limits pick holders sized for them", async () => {
        const agent = "test-pool-b";
        const pooled: boolean[] = [];
        // No volume poll (it would kill the flood as soon as the volume is full, before it can say so).
        const pool = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent, holderPool: 1, outputPollMs: 600_000, onTimings: (t) => pooled.push(t.pooled) });
        try {
          await pool.warm(); // sized for the spec defaults (100 MB)
          const job = async (script: string) => pool.run({ jobId: 3n, spec: shell(script, { maxOutputBytes: 1 << 20 }), inputs: inputs(), outputDir: await outDir() });
          // No pooled holder fits a 1 MiB cap: this job makes its own, and the pool turns to 1 MiB holders.
          await failsWith(job("head -c 2000000 /dev/zero > /outputs/x"), "OUTPUT_LIMIT");
          await refilled(pool, 1);
          const flood = await failsWith(job("head -c 100000000 /dev/zero > /outputs/x; wc -c < /outputs/x >&2"), "OUTPUT_LIMIT");
          assert.match(flood.stderr ?? "", /1052672\n/, "the pooled volume stops writes at the cap plus one page");
          await refilled(pool, 1);
          const exact = await job("head -c 1048576 /dev/zero > /outputs/x");
          assert.equal(exact.outputBytes, 1 << 20);
          assert.deepEqual(pooled, [false, true, true]);
        } finally {
          await pool.close();
        }
        assert.deepEqual(await ofAgent(agent), { pooledHolders: 0, pooledVolumes: [], containers: 0, volumes: 0 });
      });

      it("leaves nothing at close() while holders are still being made, and removeOrphans finds pooled holders a crash left", async () => {
        const agent = "test-pool-c";
        const pool = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent, holderPool: 3 });
        const warming = pool.warm();
        await pool.close(); // while the fills are under way
        await warming;
        // warm() after close() opens the pool again; close() empties it.
        assert.equal((await ofAgent(agent)).containers, 0);
        await pool.warm();
        assert.equal((await ofAgent(agent)).pooledHolders, 3);
        // A crash: the executor is gone without close(); a restarted agent removes what it left.
        const removed = await removeOrphans(docker, { agent });
        assert.equal(removed.length, 6, "3 holders and their 3 volumes");
        assert.deepEqual(await ofAgent(agent), { pooledHolders: 0, pooledVolumes: [], containers: 0, volumes: 0 });
      });

      it("runs a job on a holder of its own when the pooled ones were removed under it (another agent's clean-up)", async () => {
        const agent = "test-pool-d";
        const pooled: boolean[] = [];
        const pool = createDockerExecutor({ docker, allowedImages: ["shoal-test/busybox"], agent, holderPool: 2, onTimings: (t) => pooled.push(t.pooled) });
        try {
          await pool.warm();
          const gone = (await ofAgent(agent)).pooledVolumes;
          await removeOrphans(docker, { agent }); // what a second agent with the same label does at its start
          const outputDir = await outDir();
          await pool.run({ jobId: 4n, spec: dockerSpec({ image: image.ref }), inputs: inputs(), outputDir });
          assert.equal(await readFile(join(outputDir, "wordfreq.txt"), "utf8"), expectedWordfreq(Object.values(TEXTS)));
          assert.deepEqual(pooled, [true, false], "the stale pooled holder was seen, then the job made its own");
          await pool.settled();
          // No volume the engine made in place of a removed pooled one (a plain volume, with no cap) is left.
          for (const name of gone) await assert.rejects(docker.getVolume(name).inspect(), (error: { statusCode?: number }) => error.statusCode === 404);
        } finally {
          await pool.close();
        }
        assert.deepEqual(await ofAgent(agent), { pooledHolders: 0, pooledVolumes: [], containers: 0, volumes: 0 });
      });
    });
  });
});
