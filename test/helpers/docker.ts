// A real Docker engine for the Docker executor's tests (../shared/TOOLCHAIN.md): check that it
// answers (starting it with scripts/ci/start-docker.sh when we can), and build the busybox-static
// test image of examples/docker/wordcount without a registry.
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import Dockerode from "dockerode";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? "/var/run/docker.sock";
/** The busybox-static binary (Debian's busybox-static package). */
export const BUSYBOX = process.env.BUSYBOX ?? "/bin/busybox";

/** Whether the engine answers a ping within `timeoutMs`. */
export async function dockerAnswers(docker: Dockerode, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A dockerode client to an engine that answers, or a reason why there is none. When the socket is
 * silent and we are root with dockerd installed, starts it as CI does (scripts/ci/start-docker.sh).
 */
export async function ensureDockerEngine(): Promise<{ docker: Dockerode } | { docker: undefined; reason: string }> {
  const docker = new Dockerode({ socketPath: DOCKER_SOCKET });
  if (await dockerAnswers(docker)) return { docker };
  const canStart = process.getuid?.() === 0 && DOCKER_SOCKET === "/var/run/docker.sock" && (await which("dockerd"));
  if (!canStart) return { docker: undefined, reason: `no Docker engine answers on ${DOCKER_SOCKET} (and dockerd cannot be started here)` };
  try {
    await run(join(ROOT, "scripts/ci/start-docker.sh"), { timeout: 90_000 });
  } catch (error) {
    return { docker: undefined, reason: `scripts/ci/start-docker.sh failed: ${(error as Error).message}` };
  }
  return (await dockerAnswers(docker, 5_000)) ? { docker } : { docker: undefined, reason: `no Docker engine answers on ${DOCKER_SOCKET}` };
}

async function which(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** A locally built image: its tag and the pinned reference a spec uses (`name@<image ID>`). */
export type TestImage = { tag: string; id: string; ref: string };

/**
 * Builds examples/docker/wordcount (FROM scratch: busybox-static, its applet links, wordcount.sh)
 * through the engine's build API, tagged `tag`. Re-builds hit the engine's layer cache.
 */
export async function buildWordcountImage(docker: Dockerode, tag = "shoal-test/busybox:latest"): Promise<TestImage> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static`);
  const context = await mkdtemp(join(tmpdir(), "shoal-image-"));
  try {
    const example = join(ROOT, "examples/docker/wordcount");
    await mkdir(join(context, "rootfs/bin"), { recursive: true });
    await mkdir(join(context, "rootfs/app"), { recursive: true });
    await cp(BUSYBOX, join(context, "rootfs/bin/busybox"));
    const { stdout } = await run(BUSYBOX, ["--list"]);
    for (const applet of stdout.split("\n").filter((name) => name !== "" && name !== "busybox")) {
      await symlink("busybox", join(context, "rootfs/bin", applet));
    }
    await cp(join(example, "wordcount.sh"), join(context, "rootfs/app/wordcount.sh"));
    await cp(join(example, "Dockerfile"), join(context, "Dockerfile"));
    const stream = await docker.buildImage({ context, src: ["Dockerfile", "rootfs"] }, { t: tag, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: unknown, events: { error?: string }[] | undefined) => {
        const failed = events?.find((event) => event.error !== undefined);
        if (error) reject(error);
        else if (failed) reject(new Error(`docker build failed: ${failed.error}`));
        else resolve();
      });
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  const { Id } = await docker.getImage(tag).inspect();
  return { tag, id: Id, ref: `${tag.replace(/:[^/:]*$/, "")}@${Id}` };
}

/** Containers carrying the executor's job label (running or not). */
export async function jobContainers(docker: Dockerode): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: ["shoal.job"] } });
}

/** Names of volumes carrying the executor's job label (its output volumes). */
export async function jobVolumes(docker: Dockerode): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: ["shoal.job"] } });
  return (Volumes ?? []).map((volume) => volume.Name);
}

/**
 * A stand-in for `node:22-bookworm-slim`, which no registry here can serve: the Node 22 binary
 * this test process runs on, the glibc libraries it links (read with ldd), CA certificates and a
 * passwd file, imported with `docker import` as `tag`. Only for tests of images whose Dockerfile
 * takes its base as the build argument NODE_IMAGE (agent/deploy/Dockerfile).
 */
export async function buildNodeBaseImage(tag = "shoal-test/node22:local"): Promise<string> {
  const rootfs = await mkdtemp(join(tmpdir(), "shoal-node-rootfs-"));
  try {
    await mkdir(join(rootfs, "usr/local/bin"), { recursive: true });
    await cp(process.execPath, join(rootfs, "usr/local/bin/node"));
    const { stdout } = await run("ldd", [process.execPath]);
    for (const lib of stdout.matchAll(/(\/\S+\.so[.\d]*)/g)) {
      const path = lib[1]!;
      await mkdir(join(rootfs, path, ".."), { recursive: true });
      await cp(path, join(rootfs, path), { dereference: true });
    }
    await mkdir(join(rootfs, "etc/ssl/certs"), { recursive: true });
    if (existsSync("/etc/ssl/certs/ca-certificates.crt")) await cp("/etc/ssl/certs/ca-certificates.crt", join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
    await writeFile(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\n");
    await writeFile(join(rootfs, "etc/group"), "root:x:0:\nnode:x:1000:\n");
    for (const dir of ["tmp", "home/node", "root"]) await mkdir(join(rootfs, dir), { recursive: true });
    await chmod(join(rootfs, "tmp"), 0o1777);
    await chmod(join(rootfs, "home/node"), 0o777);
    await run("sh", ["-c", `tar -C '${rootfs}' -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - ${tag}`], { maxBuffer: 1 << 24 });
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  return tag;
}
