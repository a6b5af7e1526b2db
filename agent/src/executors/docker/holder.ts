/**
 * The size-limited output volume (issue 9, item 11): a job's output directory is a tmpfs volume of
 * the local driver, sized and inode-limited by the engine, so the job's writes fail at the cap
 * (ENOSPC) instead of being measured after the fact.
 *
 * The engine unmounts such a volume, and its contents vanish, when the last container using it
 * stops. A holder container keeps it mounted until the agent has copied the output out (through
 * the archive API, see archive.ts). The holder runs the agent's own tiny image: a 129-byte static
 * ELF that blocks in a syscall forever (Kubernetes' pause container, without a registry),
 * imported once with `docker import`.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

import type Dockerode from "dockerode";

import { LABEL_AGENT, LABEL_JOB, volumeMount } from "./container.js";
import { statusOf } from "./image.js";

/** Labels of the holder container and the output volume (with LABEL_JOB and LABEL_AGENT). */
export const LABEL_ROLE = "shoal.role";
export const HOLDER_REPOSITORY = "shoal/output-holder";
const PAGE = 4096;

/** Machine code of `for (;;) pause()`: x86-64 pause(2); arm64 has none, so ppoll(NULL, 0, NULL, NULL). */
const CODE: Record<string, { machine: number; code: string }> = {
  amd64: { machine: 0x3e, code: "b8220000000f05ebf7" }, // mov eax, 34; syscall; jmp -9
  arm64: {
    machine: 0xb7,
    // movz x0..x3, #0; movz x8, #73; svc #0; b -6 (little-endian words)
    code: ["d2800000", "d2800001", "d2800002", "d2800003", "d2800928", "d4000001", "17fffffa"]
      .map((word) => Buffer.from(word, "hex").reverse().toString("hex"))
      .join(""),
  },
};

/** A static ELF64 executable (one PT_LOAD segment) that blocks forever, for the engine's architecture; undefined if unknown. */
export function pauseExecutable(arch: string): Buffer | undefined {
  const target = CODE[arch === "x86_64" ? "amd64" : arch === "aarch64" ? "arm64" : arch];
  if (!target) return undefined;
  const code = Buffer.from(target.code, "hex");
  const base = 0x400000n;
  const headers = 64 + 56;
  const size = BigInt(headers + code.length);
  const elf = Buffer.alloc(headers);
  elf.write("\x7fELF", 0, "latin1");
  elf.set([2, 1, 1], 4); // 64-bit, little-endian, ELF version 1
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(target.machine, 18);
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(base + BigInt(headers), 24); // entry
  elf.writeBigUInt64LE(64n, 32); // program headers right after this header
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(1, 56);
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(5, 68); // R + X
  elf.writeBigUInt64LE(base, 80);
  elf.writeBigUInt64LE(base, 88);
  elf.writeBigUInt64LE(size, 96);
  elf.writeBigUInt64LE(size, 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([elf, code]);
}

/** A one-file ustar archive holding `/pause` (mode 0755, owner root). */
function pauseArchive(executable: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write("pause", 0);
  header.write("0000755\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${executable.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148); // checksum placeholder
  header.write("0", 156);
  header.write("ustar\u000000", 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (executable.length % 512)) % 512);
  return Buffer.concat([header, executable, padding, Buffer.alloc(1024)]);
}

/**
 * The holder image's ID: imported once per engine (tag `shoal/output-holder:<hash of the
 * executable>`), found by its tag afterwards. Throws when the engine's architecture has no
 * executable here or the engine refuses the import.
 */
export async function ensureHolderImage(docker: Dockerode): Promise<string> {
  const { Arch } = await docker.version();
  const executable = pauseExecutable(Arch);
  if (!executable) throw new Error(`no output holder for the engine's architecture ${Arch}`);
  const tag = createHash("sha256").update(executable).digest("hex").slice(0, 12);
  const name = `${HOLDER_REPOSITORY}:${tag}`;
  const existing = await docker
    .getImage(name)
    .inspect()
    .catch((error: unknown) => {
      if (statusOf(error) === 404) return undefined;
      throw error;
    });
  if (existing) return existing.Id;
  const stream = await docker.importImage(Readable.from([pauseArchive(executable)]) as unknown as string, {
    repo: HOLDER_REPOSITORY,
    tag,
    changes: ['ENTRYPOINT ["/pause"]', `LABEL ${LABEL_ROLE}=holder`],
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: unknown, events: { error?: string }[] | undefined) => {
      const failed = events?.find((event) => event.error !== undefined);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
  return (await docker.getImage(name).inspect()).Id;
}

export type OutputVolumeLimits = { maxBytes: number; maxEntries: number };

/**
 * The tmpfs size and inode count for a cap: one page and one inode more than the cap (plus the root
 * directory's inode), so a job that tries to pass the cap leaves an output that visibly does.
 */
export function volumeSize(limits: OutputVolumeLimits): { bytes: number; inodes: number } {
  return { bytes: Math.ceil(limits.maxBytes / PAGE) * PAGE + PAGE, inodes: limits.maxEntries + 2 };
}

/** Whether an output of `pages` 4 KiB pages and `entries` entries filled its volume (a write may have failed). */
export function volumeFull(limits: OutputVolumeLimits, used: { pages: number; entries: number }): boolean {
  const size = volumeSize(limits);
  return used.pages >= size.bytes / PAGE || used.entries + 1 >= size.inodes;
}

/** `jobId` "pool": made ahead of its job by the holder pool (pool.ts), labelled `shoal.job=pool`. */
export type OutputVolumeSettings = { name: string; jobId: bigint | "pool"; agent: string } & OutputVolumeLimits;

function labelsOf(settings: OutputVolumeSettings, role: "output" | "holder"): Record<string, string> {
  return { [LABEL_JOB]: settings.jobId.toString(), [LABEL_AGENT]: settings.agent, [LABEL_ROLE]: role };
}

/** Creates the job's output volume: tmpfs of volumeSize(limits), owned by the job's user. Mounted when its holder starts. */
export async function createOutputVolume(docker: Dockerode, settings: OutputVolumeSettings & { owner: { uid: number; gid: number } }): Promise<void> {
  const size = volumeSize(settings);
  await docker.createVolume({
    Name: settings.name,
    Driver: "local",
    DriverOpts: {
      type: "tmpfs",
      device: "tmpfs",
      o: `size=${size.bytes},nr_inodes=${size.inodes},uid=${settings.owner.uid},gid=${settings.owner.gid},mode=0700,nosuid,nodev`,
    },
    Labels: labelsOf(settings, "output"),
  });
}

/**
 * Creates and starts the holder of an output volume (it mounts the volume read-only at /outputs,
 * where the archive API reads it). On failure to start, removes the holder and throws.
 */
export async function startHolder(docker: Dockerode, settings: OutputVolumeSettings & { holderImage: string }): Promise<Dockerode.Container> {
  const holder = await docker.createContainer({
    name: `${settings.name}-holder`,
    Image: settings.holderImage,
    User: "65534:65534",
    Labels: labelsOf(settings, "holder"),
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      // Room for the runtime's own init (a multi-threaded Go process) before it execs the pause.
      Memory: 32 * 1024 * 1024,
      PidsLimit: 16,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      LogConfig: { Type: "none", Config: {} },
      Mounts: [volumeMount(settings.name, "/outputs", true)],
    },
  });
  try {
    await holder.start();
    return holder;
  } catch (error) {
    await holder.remove({ force: true }).catch(() => undefined);
    throw error;
  }
}

/** Removes an output volume (its holder and job container first); false when it could not. */
export async function removeOutputVolume(docker: Dockerode, name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).remove();
    return true;
  } catch (error) {
    return statusOf(error) === 404;
  }
}

/** Output volumes of one agent (label shoal.agent) left by a crash; their holders are job containers and go first. */
export async function listOutputVolumes(docker: Dockerode, agent: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_ROLE}=output`, `${LABEL_AGENT}=${agent}`] } });
  return (Volumes ?? []).map((volume) => volume.Name);
}
