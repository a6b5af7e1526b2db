import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { lstat, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";

import type { MountedInput } from "../types.js";
import { ExecutionError } from "../types.js";
import { COMPONENT } from "./module.js";
import type { MountedFile } from "./protocol.js";

/**
 * The job's `/inputs`, mounted where the inputs lie: no byte of them is copied.
 *
 * node:wasi's preopens must be directories, so the job's `/inputs` is a private directory under
 * the run's temporary directory holding the inputs' directory structure and, for each regular
 * file, an empty placeholder (so listings are right). The worker serves every one of those files
 * itself (worker.ts, "mounted input files") from a host fd opened read-only here, in the main
 * thread: a file input (a stored piece, up to 32 GiB, in the provider's piece directory, possibly
 * on another filesystem) is opened when the view is built, which also pins the file the run
 * reads; the files of a directory input (a CID tree in the agent's cache) are opened when the job
 * first opens them ({@link InputView.open}). Sizes are taken when the view is built: the job sees
 * exactly that many bytes, and a file that no longer has them fails its reads (EIO).
 *
 * Even a flaw in the worker's checks could not change the stored data: the only handle on it is an
 * O_RDONLY fd, and node:wasi sees nothing but the placeholders.
 *
 * Only regular files and directories are mounted; a symlink or special file inside a directory
 * input is refused (INVALID_SPEC). Nothing is ever written, renamed, deleted or re-timed in the
 * inputs' own directories, and reads use O_NOATIME where the agent owns the file.
 */
export type InputView = {
  /** Every regular file of every input, in guest path order: the worker's mount table. */
  files: MountedFile[];
  /** Bytes copied to build the view: 0 (it holds directories and empty placeholders only). */
  bytesCopied: number;
  /**
   * Opens `files[index]` read-only if it is not open yet and returns its host fd, or a negative
   * WASI errno: NOENT, ACCES, LOOP (a symlink now), IO (not a regular file of the mounted size).
   */
  open(index: number): number;
  /** Closes the host fd of `files[index]` if {@link open} opened it (a file input's stays open). */
  release(index: number): void;
  /** Closes every host fd the view opened. */
  close(): void;
};

/** Builds the view of `inputs` in `viewDir` (see {@link InputView}). Opens no fd when it throws. */
export async function buildInputView(inputs: readonly MountedInput[], viewDir: string): Promise<InputView> {
  await mkdir(viewDir, { recursive: true });
  const entries: Entry[] = [];
  const opened = new Set<number>();
  try {
    const sorted = [...inputs].sort((a, b) => (a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0));
    for (const input of sorted) {
      const rel = posix.relative("/inputs", posix.normalize(input.mount));
      if (rel.startsWith("..") || posix.isAbsolute(rel)) refuse(input, "its mount is not under /inputs");
      const dest = rel === "" ? viewDir : join(viewDir, ...rel.split("/"));
      const guest = rel === "" ? "/inputs" : `/inputs/${rel}`;
      let info;
      try {
        info = await stat(input.hostPath);
      } catch (cause) {
        throw new ExecutionError("INVALID_SPEC", COMPONENT, `input ${input.mount}: ${input.hostPath} cannot be read`, { cause });
      }
      if (info.isFile()) {
        if (rel === "") refuse(input, "a file cannot be mounted at /inputs itself");
        // Opened now: the run reads this file, whatever happens to the path meanwhile.
        const fd = openReadOnly(input.hostPath);
        if (typeof fd !== "number") throw new ExecutionError("INVALID_SPEC", COMPONENT, `input ${input.mount}: ${input.hostPath} cannot be opened: ${fd.message}`, { cause: fd });
        opened.add(fd);
        const size = fstatSync(fd).size;
        await mkdir(join(dest, ".."), { recursive: true });
        await placeholder(input, dest);
        entries.push({ guest, host: input.hostPath, size, fd });
      } else if (info.isDirectory()) {
        await mountTree(input, input.hostPath, dest, guest, entries);
      } else refuse(input, "it is neither a file nor a directory");
    }
  } catch (error) {
    for (const fd of opened) closeSync(fd);
    throw error;
  }
  entries.sort((a, b) => (a.guest < b.guest ? -1 : a.guest > b.guest ? 1 : 0));
  const files = entries.map(({ guest, size, fd }) => ({ guest, size, fd }));
  const pinned = entries.map((entry) => entry.fd >= 0);
  let closed = false;
  return {
    files,
    bytesCopied: 0,
    open(index) {
      const entry = entries[index];
      if (entry === undefined || closed) return -ERRNO.BADF;
      if (entry.fd >= 0) return entry.fd;
      const fd = openReadOnly(entry.host, constants.O_NOFOLLOW);
      if (typeof fd !== "number") return -(ERRNO[(fd.code ?? "").slice(1) as keyof typeof ERRNO] ?? ERRNO.IO);
      const now = fstatSync(fd);
      if (!now.isFile() || now.size !== entry.size) {
        closeSync(fd);
        return -ERRNO.IO;
      }
      opened.add(fd);
      entry.fd = fd;
      return fd;
    },
    release(index) {
      const entry = entries[index];
      if (entry === undefined || pinned[index] || entry.fd < 0) return;
      opened.delete(entry.fd);
      closeSync(entry.fd);
      entry.fd = -1;
    },
    close() {
      closed = true;
      for (const fd of opened) closeSync(fd);
      opened.clear();
    },
  };
}

type Entry = MountedFile & { host: string };

/** WASI errnos the main thread answers opens with. */
const ERRNO = { ACCES: 2, BADF: 8, IO: 29, LOOP: 32, NOENT: 44 } as const;

/** O_RDONLY, with O_NOATIME where the kernel allows it (the agent owns the file, or is root). */
function openReadOnly(path: string, extra = 0): number | NodeJS.ErrnoException {
  const noatime = constants.O_NOATIME ?? 0;
  try {
    return openSync(path, constants.O_RDONLY | noatime | extra);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM" || noatime === 0) return error as NodeJS.ErrnoException;
  }
  try {
    return openSync(path, constants.O_RDONLY | extra);
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

/** An empty file standing for a mounted one in the view's listings; refuses overlapping mounts. */
async function placeholder(input: MountedInput, dest: string): Promise<void> {
  try {
    await writeFile(dest, "", { flag: "wx", mode: 0o444 });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "EEXIST") refuse(input, "another input is already mounted there");
    throw cause;
  }
}

/** Recreates a directory input's structure in the view and lists its files; opens nothing. */
async function mountTree(input: MountedInput, from: string, to: string, guest: string, entries: Entry[]): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).sort()) {
    const source = join(from, name);
    const info = await lstat(source);
    const path = `${guest}/${name}`;
    if (info.isDirectory()) await mountTree(input, source, join(to, name), path, entries);
    else if (info.isFile()) {
      await placeholder(input, join(to, name));
      entries.push({ guest: path, host: source, size: info.size, fd: -1 });
    } else refuse(input, `${posix.relative(posix.normalize(input.mount), path)} is a ${info.isSymbolicLink() ? "symlink" : "special file"}`);
  }
}

function refuse(input: MountedInput, why: string): never {
  throw new ExecutionError("INVALID_SPEC", COMPONENT, `input ${input.mount} cannot be mounted: ${why}`, {
    hint: "WASM jobs see regular files and directories only",
  });
}
