// WASI file access for the ML kernels: absolute guest paths resolved against the preopened
// directories, whole-file reads and writes, one-line failures. Nothing here reads a clock or
// randomness, so a kernel's outputs depend on its arguments and input bytes only.
import {
  errno,
  errnoToString,
  fd_close,
  fd_filestat_get,
  fd_prestat_dir_name,
  fd_prestat_get,
  fd_read,
  fd_write,
  filestat,
  filetype,
  lookupflags,
  oflags,
  path_filestat_get,
  path_open,
  prestat,
  proc_exit,
  rights,
} from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";

let programName = "ml";

/** Names the program in every failure line (`train: …`). */
export function setProgram(name: string): void {
  programName = name;
}

function writeAll(fd: u32, data: ArrayBuffer): bool {
  const iov = heap.alloc(16);
  const written = heap.alloc(8);
  let offset = 0;
  const length = data.byteLength;
  let ok = true;
  while (offset < length) {
    store<u32>(iov, changetype<usize>(data) + <usize>offset);
    store<u32>(iov, <u32>(length - offset), 4);
    const err = fd_write(fd, iov, 1, written);
    const n = <i32>load<u32>(written);
    if (err != errno.SUCCESS || n <= 0) {
      ok = false;
      break;
    }
    offset += n;
  }
  heap.free(iov);
  heap.free(written);
  return ok;
}

/** Writes a line to stderr. */
export function note(line: string): void {
  writeAll(2, String.UTF8.encode(line + "\n"));
}

/** Writes a line to stdout. */
export function say(line: string): void {
  writeAll(1, String.UTF8.encode(line + "\n"));
}

/** Ends the run: one line `<program>: <reason>` on stderr and exit code 1. */
export function fail(reason: string): void {
  note(programName + ": " + reason);
  proc_exit(1);
  unreachable();
}

class Preopen {
  constructor(public fd: u32, public name: string) {}
}

let preopens: Preopen[] | null = null;

function listPreopens(): Preopen[] {
  const existing = preopens;
  if (existing !== null) return existing;
  const list = new Array<Preopen>();
  const buf = heap.alloc(8);
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, changetype<prestat>(buf)) != errno.SUCCESS) break;
    if (load<u8>(buf) != 0) continue;
    const len = load<u32>(buf, 4);
    const name = heap.alloc(len + 1);
    if (fd_prestat_dir_name(fd, name, len) == errno.SUCCESS) {
      let text = String.UTF8.decodeUnsafe(name, len, false);
      while (text.length > 1 && text.endsWith("/")) text = text.substring(0, text.length - 1);
      list.push(new Preopen(fd, text));
    }
    heap.free(name);
  }
  heap.free(buf);
  preopens = list;
  return list;
}

class Resolved {
  constructor(public dirfd: u32, public rel: string) {}
}

/** The preopened directory holding an absolute `path`, and the path relative to it (longest match). */
function resolve(path: string): Resolved {
  if (!path.startsWith("/")) fail(path + ": paths must be absolute (for example /inputs/shard)");
  const list = listPreopens();
  let best: Preopen | null = null;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const matches = p.name == "/" || path == p.name || path.startsWith(p.name + "/");
    if (matches && (best === null || p.name.length > best.name.length)) best = p;
  }
  if (best === null) fail(path + ": not under a mounted directory (/inputs or /outputs)");
  const chosen = best as Preopen;
  let rel = chosen.name == "/" ? path.substring(1) : path.substring(chosen.name.length);
  while (rel.startsWith("/")) rel = rel.substring(1);
  return new Resolved(chosen.fd, rel.length == 0 ? "." : rel);
}

/** 0 when `path` does not exist, else its WASI filetype. */
export function fileType(path: string): u8 {
  const r = resolve(path);
  const name = String.UTF8.encode(r.rel);
  const stat = heap.alloc(64);
  const err = path_filestat_get(r.dirfd, lookupflags.SYMLINK_FOLLOW, changetype<usize>(name), name.byteLength, changetype<filestat>(stat));
  const type = err == errno.SUCCESS ? load<u8>(stat, 16) : <u8>0;
  heap.free(stat);
  return type;
}

/** Whether `path` is a directory. */
export function isDirectory(path: string): bool {
  return fileType(path) == filetype.DIRECTORY;
}

/** `path`, or `path/<file>` when `path` is a directory (pipeline inputs are directories). */
export function fileIn(path: string, file: string): string {
  return isDirectory(path) ? (path.endsWith("/") ? path + file : path + "/" + file) : path;
}

/** The whole file at `path`; fails with `what` in the reason when it cannot be read. */
export function readFile(path: string, what: string): Uint8Array {
  const r = resolve(path);
  const type = fileType(path);
  if (type == 0) fail(what + " " + path + " does not exist");
  if (type == filetype.DIRECTORY) fail(what + " " + path + " is a directory, not a file");
  const name = String.UTF8.encode(r.rel);
  const fdOut = heap.alloc(4);
  const err = path_open(r.dirfd, lookupflags.SYMLINK_FOLLOW, changetype<usize>(name), name.byteLength, 0, rights.FD_READ | rights.FD_FILESTAT_GET, 0, 0, fdOut);
  if (err != errno.SUCCESS) fail("cannot open " + what + " " + path + ": " + errnoToString(err));
  const fd = load<u32>(fdOut);
  heap.free(fdOut);
  const stat = heap.alloc(64);
  const se = fd_filestat_get(fd, changetype<filestat>(stat));
  const expected = load<u64>(stat, 32);
  heap.free(stat);
  if (se != errno.SUCCESS) fail("cannot read " + what + " " + path + ": " + errnoToString(se));
  if (expected > 1 << 30) fail(what + " " + path + " is larger than 1 GiB");
  const data = new Uint8Array(<i32>expected);
  let size = 0;
  const iov = heap.alloc(8);
  const nread = heap.alloc(4);
  while (size < data.length) {
    store<u32>(iov, <u32>(data.dataStart + size));
    store<u32>(iov, <u32>(data.length - size), 4);
    const e = fd_read(fd, iov, 1, nread);
    if (e != errno.SUCCESS) fail("cannot read " + what + " " + path + ": " + errnoToString(e));
    const n = <i32>load<u32>(nread);
    if (n == 0) break;
    size += n;
  }
  heap.free(iov);
  heap.free(nread);
  fd_close(fd);
  return data.subarray(0, size);
}

/** Writes `data` to `path` (created or truncated). */
export function writeFile(path: string, data: Uint8Array): void {
  const r = resolve(path);
  const name = String.UTF8.encode(r.rel);
  const fdOut = heap.alloc(4);
  const err = path_open(
    r.dirfd,
    lookupflags.SYMLINK_FOLLOW,
    changetype<usize>(name),
    name.byteLength,
    oflags.CREAT | oflags.TRUNC,
    rights.FD_WRITE,
    0,
    0,
    fdOut,
  );
  if (err != errno.SUCCESS) fail("cannot write " + path + ": " + errnoToString(err));
  const fd = load<u32>(fdOut);
  heap.free(fdOut);
  const copy = new ArrayBuffer(data.length);
  memory.copy(changetype<usize>(copy), data.dataStart, data.length);
  if (!writeAll(fd, copy)) fail("cannot write " + path);
  fd_close(fd);
}

/** Writes `text` (UTF-8) to `path`. */
export function writeText(path: string, text: string): void {
  writeFile(path, Uint8Array.wrap(String.UTF8.encode(text)));
}

/** `dir/name`. */
export function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : dir + "/" + name;
}
