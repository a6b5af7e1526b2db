import { constants } from "node:fs";
import { copyFile, lstat, mkdir, readdir, stat } from "node:fs/promises";
import { join, posix } from "node:path";

import type { MountedInput } from "../types.js";
import { ExecutionError } from "../types.js";
import { COMPONENT } from "./module.js";

/**
 * Builds the job's `/inputs` as a private copy under `viewDir`: each input is copied (reflinked
 * where the filesystem can, so a copy is often free) to its mount path, regular files and
 * directories only. The job cannot touch the provider's stored data even through a flaw in the
 * worker's read-only checks, and node:wasi — whose preopens must be directories — gets one
 * directory holding file and directory mounts alike. Symlinks and special files in an input are
 * refused (INVALID_SPEC).
 *
 * Returns the bytes copied.
 */
export async function buildInputView(inputs: readonly MountedInput[], viewDir: string): Promise<number> {
  await mkdir(viewDir, { recursive: true });
  let copied = 0;
  const sorted = [...inputs].sort((a, b) => (a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0));
  for (const input of sorted) {
    const rel = posix.relative("/inputs", input.mount);
    if (rel.startsWith("..") || posix.isAbsolute(rel)) refuse(input, "its mount is not under /inputs");
    const dest = rel === "" ? viewDir : join(viewDir, ...rel.split("/"));
    let info;
    try {
      info = await stat(input.hostPath);
    } catch (cause) {
      throw new ExecutionError("INVALID_SPEC", COMPONENT, `input ${input.mount}: ${input.hostPath} cannot be read`, { cause });
    }
    if (info.isFile()) {
      if (rel === "") refuse(input, "a file cannot be mounted at /inputs itself");
      await mkdir(join(dest, ".."), { recursive: true });
      await copyFile(input.hostPath, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      copied += info.size;
    } else if (info.isDirectory()) {
      copied += await copyTree(input, input.hostPath, dest, "");
    } else refuse(input, "it is neither a file nor a directory");
  }
  return copied;
}

async function copyTree(input: MountedInput, from: string, to: string, rel: string): Promise<number> {
  await mkdir(to, { recursive: true });
  let copied = 0;
  for (const name of (await readdir(from)).sort()) {
    const source = join(from, name);
    const info = await lstat(source);
    const path = rel === "" ? name : `${rel}/${name}`;
    if (info.isDirectory()) copied += await copyTree(input, source, join(to, name), path);
    else if (info.isFile()) {
      await copyFile(source, join(to, name), constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      copied += info.size;
    } else refuse(input, `${path} is a ${info.isSymbolicLink() ? "symlink" : "special file"}`);
  }
  return copied;
}

function refuse(input: MountedInput, why: string): never {
  throw new ExecutionError("INVALID_SPEC", COMPONENT, `input ${input.mount} cannot be mounted: ${why}`, {
    hint: "WASM jobs see regular files and directories only",
  });
}
