/**
 * The worker that runs WASM jobs, one at a time. For each job it builds node:wasi (preview1) afresh
 * and puts a syscall layer in front of it that makes the run deterministic and bounded:
 *
 * - clocks read a fixed time, `random_get` is a SHA-256 counter stream keyed by the job ID,
 *   `poll_oneoff` never blocks (sleeps return at once), sockets and `proc_raise` fail (ENOSYS);
 * - directory listings are sorted by name bytes, and file metadata is host-independent
 *   (timestamps fixed, inode numbers hashed from the guest path, nlink 1, directory size 0);
 * - read-only preopens (the inputs): creating, writing, truncating, renaming, removing and
 *   re-timing through them fail with EROFS, and files opened under them lose every write right;
 * - the inputs' files are mounted where they lie, never copied: node:wasi sees an empty
 *   placeholder for each, and this layer serves them itself from host fds the executor opened
 *   read-only (see "mounted input files" below); under the inputs node:wasi only opens directories,
 *   so a file this layer does not serve cannot be opened at all (ENOTDIR), never read as empty;
 * - symlinks and hard links cannot be made (EPERM); paths must be relative, NUL-free UTF-8;
 * - fds 1 and 2 are captured into shared buffers (first bytes only), and cannot be closed or
 *   renumbered, so the host fds behind them stay ours;
 * - output bytes and entries are counted as they are written and the output tree is measured
 *   whenever the count could have crossed the cap; past it the run stops (OUTPUT_LIMIT).
 *
 * It imports nothing but `node:` modules (and types), so Node runs it with its own type stripping.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readSync, readvSync } from "node:fs";
import { join, posix, sep } from "node:path";
import { parentPort } from "node:worker_threads";

import type { MountedFile, RunPhases, WorkerInput, WorkerMessage } from "./protocol.js";

const post = (message: WorkerMessage): void => parentPort?.postMessage(message);

// node:wasi warns that it is experimental once per thread; the agent's logs need not repeat it.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes("WASI")) return;
  (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;
const { WASI } = await import("node:wasi");
process.emitWarning = emitWarning;

// WASI preview1 errno values.
const E = { SUCCESS: 0, ACCES: 2, BADF: 8, FAULT: 21, ILSEQ: 25, INVAL: 28, IO: 29, NFILE: 41, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTSUP: 58, PERM: 63, ROFS: 69, NOTCAPABLE: 76 } as const;
// oflags and fdflags.
const O_CREAT = 1, O_DIRECTORY = 2, O_EXCL = 4, O_TRUNC = 8;
const FDFLAG_APPEND = 1;
// Filetypes.
const T = { UNKNOWN: 0, BLOCK: 1, CHAR: 2, DIR: 3, FILE: 4, SYMLINK: 7 } as const;
const RIGHT_FD_WRITE = 1n << 6n;
// Rights a file or directory opened under a read-only preopen keeps: reading, seeking, listing, stat.
const READ_ONLY_RIGHTS =
  (1n << 1n) | // fd_read
  (1n << 2n) | // fd_seek
  (1n << 5n) | // fd_tell
  (1n << 7n) | // fd_advise
  (1n << 13n) | // path_open
  (1n << 14n) | // fd_readdir
  (1n << 15n) | // path_readlink
  (1n << 18n) | // path_filestat_get
  (1n << 21n) | // fd_filestat_get
  (1n << 27n); // poll_fd_readwrite
const R = { FD_READ: 1n << 1n, FD_SEEK: 1n << 2n, FD_TELL: 1n << 5n, FD_ADVISE: 1n << 7n, FD_FILESTAT_GET: 1n << 21n, POLL: 1n << 27n } as const;
// What a mounted input file opened by the job can do at most: read, seek, tell, advise, stat, poll.
const MOUNTED_FILE_RIGHTS = R.FD_READ | R.FD_SEEK | R.FD_TELL | R.FD_ADVISE | R.FD_FILESTAT_GET | R.POLL;

const STDIO_HEADER_BYTES = 8; // protocol.ts STDIO_HEADER_BYTES

/** Unwinds the module when the output cap is crossed; every later syscall throws it again. */
class OutputLimitError extends Error {}

/**
 * Runs one job to its end and reports how it ended. Everything the job can reach lives in this
 * call: its node:wasi instance, fd tables, mounted files, output counts, randomness stream and
 * memory views. Nothing of one job outlives it to be seen by the next job on this worker.
 */
function runJob(input: WorkerInput, receivedAt: number): void {
  const FIXED_TIME_NS = BigInt(input.fixedTimeNs);
  let outputLimit: string | undefined;

  let memory: WebAssembly.Memory | undefined;
  // Views of the guest memory, made again only when memory.grow replaced its buffer: the hot calls
  // (fd_read, fd_write) would otherwise allocate two views each.
  let viewed: ArrayBuffer | undefined;
  let dataView = new DataView(new ArrayBuffer(0));
  let byteView = new Uint8Array(0);
  function refreshViews(): void {
    const buffer = (memory as WebAssembly.Memory).buffer;
    if (buffer === viewed) return;
    viewed = buffer;
    dataView = new DataView(buffer);
    byteView = new Uint8Array(buffer);
  }
  const view = (): DataView => (refreshViews(), dataView);
  const bytes = (): Uint8Array => (refreshViews(), byteView);

  // ---- fds: what each one is, in the guest's namespace and on the host ----------------------------

  type FdInfo = { guest: string; host: string; root: number; readOnly: boolean };
  const fds = new Map<number, FdInfo>();
  input.preopens.forEach((p, i) => fds.set(3 + i, { guest: p.guest, host: p.host, root: i, readOnly: p.readOnly }));
  const firstFree = 3 + input.preopens.length;
  const listings = new Map<number, DirEntry[]>();

  function child(parent: FdInfo, path: string): FdInfo {
    const rel = posix.normalize(path);
    return { guest: posix.join(parent.guest, rel), host: join(parent.host, ...rel.split("/")), root: parent.root, readOnly: parent.readOnly };
  }

  /** True when `info.host` is its preopen's directory or under it (lexically; the trees hold no symlinks). */
  function within(info: FdInfo): boolean {
    const root = input.preopens[info.root].host;
    return info.host === root || info.host.startsWith(root + sep);
  }

  const utf8 = new TextDecoder("utf-8", { fatal: true });
  /** The path argument of a path_* call, or an errno: absolute, NUL-bearing or non-UTF-8 paths are refused. */
  function readPath(ptr: number, len: number): string | number {
    const raw = bytes().subarray(ptr, ptr + len);
    if (raw.length !== len) return E.FAULT;
    if (raw.includes(0)) return E.ILSEQ;
    let path: string;
    try {
      path = utf8.decode(raw);
    } catch {
      return E.ILSEQ;
    }
    if (path.startsWith("/")) return E.NOTCAPABLE;
    return path;
  }

  // ---- stdout and stderr: the first bytes, in shared memory the main thread reads even after a kill --

  function capture(buffer: SharedArrayBuffer): (chunk: Uint8Array) => void {
    const header = new Int32Array(buffer, 0, 2);
    const data = new Uint8Array(buffer, STDIO_HEADER_BYTES);
    let used = 0;
    return (chunk) => {
      const n = Math.min(chunk.length, data.length - used);
      data.set(chunk.subarray(0, n), used);
      used += n;
      Atomics.store(header, 0, used);
      if (n < chunk.length) Atomics.store(header, 1, 1);
    };
  }
  const captured = new Map([
    [1, capture(input.stdout)],
    [2, capture(input.stderr)],
  ]);

  // ---- output accounting -----------------------------------------------------------------------

  const outputRoot = input.preopens[input.outputIndex].host;
  let measuredBytes = 0;
  let measuredEntries = 0;
  let pendingBytes = 0;
  let pendingEntries = 0;

  function stopForOutput(message: string): never {
    if (outputLimit === undefined) {
      outputLimit = message;
      post({ type: "output-limit", message });
    }
    throw new OutputLimitError(message);
  }

  /** Walks the output tree; stops at the first count past a cap. */
  function measure(): void {
    let total = 0;
    let entries = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        entries++;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else total += lstatSync(path).size;
        if (total > input.maxOutputBytes) stopForOutput(`the job wrote more than ${input.maxOutputBytes} bytes of output`);
        if (entries > input.maxOutputEntries) stopForOutput(`the job created more than ${input.maxOutputEntries} output entries`);
      }
    };
    walk(outputRoot);
    measuredBytes = total;
    measuredEntries = entries;
    pendingBytes = 0;
    pendingEntries = 0;
  }

  /** Records growth that may have happened; measures for real once the cap could have been crossed. */
  function account(grownBytes: number, newEntries: number): void {
    pendingBytes += grownBytes;
    pendingEntries += newEntries;
    if (measuredBytes + pendingBytes > input.maxOutputBytes || measuredEntries + pendingEntries > input.maxOutputEntries) measure();
  }

  function sizeOf(info: FdInfo): number | undefined {
    try {
      return lstatSync(info.host).size;
    } catch {
      return undefined;
    }
  }

  /** Runs a call that can grow a file anywhere (pwrite, allocate, set_size) and accounts the growth. */
  function growing(info: FdInfo, call: () => number): number {
    const before = sizeOf(info);
    const result = call();
    if (result === E.SUCCESS) {
      const after = sizeOf(info);
      if (before === undefined || after === undefined) {
        pendingBytes = Number.MAX_SAFE_INTEGER; // unknown: measure now
        account(0, 0);
      } else account(Math.max(0, after - before), 0);
    }
    return result;
  }

  // ---- deterministic metadata -----------------------------------------------------------------

  function inodeOf(guestPath: string): bigint {
    return createHash("sha256").update(guestPath).digest().readBigUInt64BE(0) | 1n;
  }

  /** Rewrites a filestat the host filled in: only the type and (for files) the size survive. */
  function sanitizeFilestat(ptr: number, guestPath: string, device: number): void {
    const dv = view();
    dv.setBigUint64(ptr, BigInt(device), true); // dev
    dv.setBigUint64(ptr + 8, inodeOf(guestPath), true); // ino
    const type = dv.getUint8(ptr + 16);
    dv.setBigUint64(ptr + 24, 1n, true); // nlink
    if (type !== T.FILE) dv.setBigUint64(ptr + 32, 0n, true); // size
    for (const offset of [40, 48, 56]) dv.setBigUint64(ptr + offset, FIXED_TIME_NS, true); // atim, mtim, ctim
  }

  type DirEntry = { name: Uint8Array; ino: bigint; type: number };

  function listDirectory(info: FdInfo): DirEntry[] | number {
    let entries;
    try {
      entries = readdirSync(info.host, { withFileTypes: true, encoding: "buffer" });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === "ENOTDIR" ? E.NOTDIR : code === "ENOENT" ? E.NOENT : code === "EACCES" ? E.ACCES : E.BADF;
    }
    const list = entries
      .map((entry) => {
        const name = new Uint8Array(entry.name);
        const type = entry.isDirectory() ? T.DIR : entry.isFile() ? T.FILE : entry.isSymbolicLink() ? T.SYMLINK : entry.isCharacterDevice() ? T.CHAR : entry.isBlockDevice() ? T.BLOCK : T.UNKNOWN;
        return { name, type, ino: inodeOf(posix.join(info.guest, Buffer.from(name).toString("utf8"))) };
      })
      .sort((a, b) => Buffer.compare(a.name, b.name));
    const dot = (name: string, guest: string): DirEntry => ({ name: Buffer.from(name), type: T.DIR, ino: inodeOf(guest) });
    return [dot(".", info.guest), dot("..", posix.dirname(info.guest)), ...list];
  }

  // ---- randomness: SHA-256(domain ‖ jobId ‖ counter), read as one stream ------------------------

  const randomKey = Buffer.concat([Buffer.from("shoal/wasm/random_get/v1\0"), Buffer.from(input.jobIdHex, "hex")]);
  let randomBlock = Buffer.alloc(0);
  let randomOffset = 0;
  let randomCounter = 0n;
  function randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (randomOffset === randomBlock.length) {
        const counter = Buffer.alloc(8);
        counter.writeBigUInt64BE(randomCounter++);
        randomBlock = createHash("sha256").update(randomKey).update(counter).digest();
        randomOffset = 0;
      }
      const take = Math.min(n - filled, randomBlock.length - randomOffset);
      out.set(randomBlock.subarray(randomOffset, randomOffset + take), filled);
      filled += take;
      randomOffset += take;
    }
    return out;
  }

  // ---- mounted input files: served from the executor's read-only host fds ----------------------
  //
  // Each regular file under the inputs is an empty placeholder in node:wasi's view; opening it by
  // any spelling of its path (resolved lexically: the view holds no symlinks) gives the job a
  // "mounted fd" numbered from VFD_BASE up, lowest free first (deterministic, and far above the
  // fds node:wasi hands out, which it numbers densely from 0). Reads go from the host fd straight
  // into guest memory (readSync into each iovec, at an explicit position: nothing in between, and
  // fds sharing a host fd keep their own offsets). Metadata follows the same rules as the rest:
  // fixed times, hashed inode, nlink 1, and the size the file had when it was mounted. Calls that
  // would change the file fail (EROFS, or NOTCAPABLE for rights it never has); any other call on a
  // mounted fd fails (EBADF, or ENOTDIR as a path call's directory); none reaches node:wasi.

  const VFD_BASE = 0x4000_0000;
  /** `pinned`: opened for the whole run (a file input); `users`: the job's open fds on it. */
  /** `ahead`: the read-ahead block, holding the file's bytes [aheadStart, aheadEnd) (see readHost). */
  type Mounted = MountedFile & { index: number; pinned: boolean; users: number; ahead: Uint8Array | undefined; aheadStart: number; aheadEnd: number };
  const mountedFiles = new Map<string, Mounted>(
    input.files.map((file, index) => [file.guest, { ...file, index, pinned: file.fd >= 0, users: 0, ahead: undefined, aheadStart: 0, aheadEnd: 0 }]),
  );
  /** `readable`: `rights` has fd_read (kept as a boolean so a read needs no BigInt arithmetic). */
  type Vfd = { file: Mounted; device: number; position: number; rights: bigint; inheriting: bigint; flags: number; readable: boolean };
  const vfds = new Map<number, Vfd>();
  const openChannel = new Int32Array(input.openChannel);
  /** When the job first read a mounted file (performance.timeOrigin + now(), in ms). */
  let firstReadAt: number | undefined;

  /**
   * The mounted file that `path` under the read-only `parent` names, an errno, or undefined (not
   * one). Resolved like node:wasi does: lexically, and only within the directory of `parent`
   * (`../data.bin` from `/inputs/dir` is left to node:wasi, which refuses it: NOTCAPABLE).
   */
  function mountedAt(parent: FdInfo, path: string): Mounted | number | undefined {
    const guest = posix.join(parent.guest, posix.normalize(path));
    const named = guest.endsWith("/") ? guest.slice(0, -1) : guest;
    if (named !== parent.guest && !named.startsWith(`${parent.guest}/`)) return undefined;
    if (named !== guest) return mountedFiles.has(named) ? E.NOTDIR : undefined;
    return mountedFiles.get(guest);
  }

  /** The host fd of `file`, asking the executor to open it the first time; or a negative errno. */
  function hostFd(file: Mounted): number {
    if (file.fd >= 0) return file.fd;
    Atomics.store(openChannel, 0, 1);
    post({ type: "open", index: file.index });
    while (Atomics.load(openChannel, 0) === 1) Atomics.wait(openChannel, 0, 1);
    const answer = Atomics.load(openChannel, 1);
    Atomics.store(openChannel, 0, 0);
    if (answer >= 0) file.fd = answer;
    return answer;
  }

  function openMounted(file: Mounted, parent: FdInfo, oflags: number, rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdPtr: number): number {
    if (oflags & O_DIRECTORY) return E.NOTDIR;
    const host = hostFd(file);
    if (host < 0) return -host;
    let fd = VFD_BASE;
    while (vfds.has(fd)) fd++;
    view().setUint32(fdPtr, fd, true);
    file.users++;
    vfds.set(fd, {
      file,
      device: parent.root + 1,
      position: 0,
      rights: rightsBase & MOUNTED_FILE_RIGHTS,
      inheriting: rightsInheriting & MOUNTED_FILE_RIGHTS,
      flags: fdflags,
      readable: (rightsBase & R.FD_READ) !== 0n,
    });
    return E.SUCCESS;
  }

  function writeFilestat(ptr: number, file: Mounted, device: number): number {
    const dv = view();
    dv.setBigUint64(ptr, BigInt(device), true); // dev
    dv.setBigUint64(ptr + 8, inodeOf(file.guest), true); // ino
    dv.setBigUint64(ptr + 16, BigInt(T.FILE), true); // filetype and padding
    dv.setBigUint64(ptr + 24, 1n, true); // nlink
    dv.setBigUint64(ptr + 32, BigInt(file.size), true); // size
    for (const offset of [40, 48, 56]) dv.setBigUint64(ptr + offset, FIXED_TIME_NS, true); // atim, mtim, ctim
    return E.SUCCESS;
  }

  const MAX_READ = 1 << 30;
  /**
   * Reads up to this size are served from a read-ahead block of the file (READ_AHEAD bytes, one per
   * mounted file, kept while the job has it open): a job reading a byte or a line at a time makes
   * one host read per block, not one per call. The inputs are read-only and their size fixed at
   * mount, so the bytes a job sees are the same either way; a file that shrank still fails (EIO).
   */
  const SMALL_READ = 4_096;
  const READ_AHEAD = 65_536;

  /** Reads `want` bytes of `file` at `position` into guest memory at `ptr`: 0, or a negative errno. */
  function readHost(file: Mounted, mem: Uint8Array, ptr: number, want: number, position: number): number {
    if (want <= SMALL_READ) {
      for (let done = 0; done < want; ) {
        if (position < file.aheadStart || position >= file.aheadEnd) {
          file.ahead ??= new Uint8Array(READ_AHEAD);
          let n: number;
          try {
            n = readSync(file.fd, file.ahead, 0, Math.min(READ_AHEAD, file.size - position), position);
          } catch {
            file.aheadEnd = 0;
            return -E.IO;
          }
          if (n === 0) return -E.IO; // the file is shorter than when it was mounted
          file.aheadStart = position;
          file.aheadEnd = position + n;
        }
        const from = position - file.aheadStart;
        const take = Math.min(want - done, file.aheadEnd - position);
        mem.set(file.ahead!.subarray(from, from + take), ptr + done);
        done += take;
        position += take;
      }
      return 0;
    }
    for (let done = 0; done < want; ) {
      let n: number;
      try {
        n = readSync(file.fd, mem, ptr + done, Math.min(want - done, MAX_READ), position);
      } catch {
        return -E.IO;
      }
      if (n === 0) return -E.IO; // the file is shorter than when it was mounted
      done += n;
      position += n;
    }
    return 0;
  }

  /**
   * A large read over several iovecs (wasi-libc's fread asks for the caller's buffer and then its
   * own 1 KiB buffer in one readv) in one host readv: no read-ahead block for the small tail, which
   * would read the next 64 KiB twice. The bytes land exactly as the per-iovec path puts them.
   * Returns the bytes read, or a negative errno; undefined when the call is not such a read (or names
   * memory the module does not have).
   */
  function readMountedVector(file: Mounted, dv: DataView, mem: Uint8Array, iovs: number, iovsLen: number, position: number): number | undefined {
    if (iovsLen < 2) return undefined;
    const targets: Uint8Array[] = [];
    let want = 0;
    let left = Math.max(0, file.size - position);
    // The same iovecs, checks and stop (the first short one) as readMounted's loop.
    for (let i = 0; i < iovsLen; i++) {
      const ptr = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (ptr + len > mem.length) return undefined; // the per-iovec path reads up to the bad one, then fails
      const take = Math.min(len, left);
      if (take > 0) targets.push(mem.subarray(ptr, ptr + take));
      want += take;
      left -= take;
      if (take < len) break;
    }
    if (want <= SMALL_READ) return undefined;
    let done: number;
    try {
      done = readvSync(file.fd, targets, position);
    } catch {
      return -E.IO;
    }
    // A short readv of a regular file (rare): the rest the per-buffer way, which fails on a file that shrank.
    for (let i = 0, at = 0; done < want && i < targets.length; at += targets[i].length, i++) {
      const target = targets[i];
      if (done >= at + target.length) continue;
      const from = done - at;
      const failed = readHost(file, mem, target.byteOffset + from, target.length - from, position + done);
      if (failed < 0) return failed;
      done = at + target.length;
    }
    return want;
  }

  /** Reads into the iovecs at `position`: the bytes read (short only at the mounted size), or a negative errno. */
  function readMounted(file: Mounted, iovs: number, iovsLen: number, position: number): number {
    firstReadAt ??= performance.timeOrigin + performance.now();
    const dv = view();
    const mem = bytes();
    const vectored = readMountedVector(file, dv, mem, iovs, iovsLen, position);
    if (vectored !== undefined) return vectored;
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const ptr = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (ptr + len > mem.length) return -E.FAULT;
      const want = Math.min(len, Math.max(0, file.size - position));
      const failed = want === 0 ? 0 : readHost(file, mem, ptr, want, position);
      if (failed < 0) return failed;
      position += want;
      total += want;
      if (want < len) break;
    }
    return total;
  }

  const has = (vfd: Vfd, rights: bigint): boolean => (vfd.rights & rights) === rights;

  /** What each fd_* call does on a mounted fd (arguments after the Vfd are the call's own). */
  const mountedCalls: Record<string, (vfd: Vfd, fd: number, ...args: never[]) => number> = {
    fd_read(vfd: Vfd, _fd: number, iovs: number, iovsLen: number, readPtr: number) {
      if (!vfd.readable) return E.NOTCAPABLE;
      const n = readMounted(vfd.file, iovs, iovsLen, vfd.position);
      if (n < 0) return -n;
      vfd.position += n;
      view().setUint32(readPtr, n, true);
      return E.SUCCESS;
    },
    fd_pread(vfd: Vfd, _fd: number, iovs: number, iovsLen: number, offset: bigint, readPtr: number) {
      if (!has(vfd, R.FD_READ | R.FD_SEEK)) return E.NOTCAPABLE;
      if (offset < 0n) return E.INVAL;
      const n = offset >= BigInt(vfd.file.size) ? readMounted(vfd.file, iovs, 0, 0) : readMounted(vfd.file, iovs, iovsLen, Number(offset));
      if (n < 0) return -n;
      view().setUint32(readPtr, n, true);
      return E.SUCCESS;
    },
    fd_seek(vfd: Vfd, _fd: number, offset: bigint, whence: number, newOffsetPtr: number) {
      if (!has(vfd, R.FD_SEEK)) return E.NOTCAPABLE;
      const from = whence === 0 ? 0n : whence === 1 ? BigInt(vfd.position) : whence === 2 ? BigInt(vfd.file.size) : undefined;
      if (from === undefined) return E.INVAL;
      const next = from + offset;
      if (next < 0n || next > BigInt(Number.MAX_SAFE_INTEGER)) return E.INVAL;
      vfd.position = Number(next);
      view().setBigUint64(newOffsetPtr, next, true);
      return E.SUCCESS;
    },
    fd_tell(vfd: Vfd, _fd: number, offsetPtr: number) {
      if (!has(vfd, R.FD_TELL)) return E.NOTCAPABLE;
      view().setBigUint64(offsetPtr, BigInt(vfd.position), true);
      return E.SUCCESS;
    },
    fd_advise(vfd: Vfd, _fd: number, _offset: bigint, _len: bigint, advice: number) {
      if (!has(vfd, R.FD_ADVISE)) return E.NOTCAPABLE;
      return advice <= 5 ? E.SUCCESS : E.INVAL;
    },
    fd_filestat_get(vfd: Vfd, _fd: number, ptr: number) {
      if (!has(vfd, R.FD_FILESTAT_GET)) return E.NOTCAPABLE;
      return writeFilestat(ptr, vfd.file, vfd.device);
    },
    fd_fdstat_get(vfd: Vfd, _fd: number, ptr: number) {
      const dv = view();
      dv.setBigUint64(ptr, 0n, true);
      dv.setUint8(ptr, T.FILE);
      dv.setUint16(ptr + 2, vfd.flags, true);
      dv.setBigUint64(ptr + 8, vfd.rights, true);
      dv.setBigUint64(ptr + 16, vfd.inheriting, true);
      return E.SUCCESS;
    },
    /** Rights can only be dropped. */
    fd_fdstat_set_rights(vfd: Vfd, _fd: number, base: bigint, inheriting: bigint) {
      if ((base & ~vfd.rights) !== 0n || (inheriting & ~vfd.inheriting) !== 0n) return E.NOTCAPABLE;
      vfd.rights = base;
      vfd.inheriting = inheriting;
      vfd.readable = (base & R.FD_READ) !== 0n;
      return E.SUCCESS;
    },
    fd_fdstat_set_flags: () => E.NOTCAPABLE, // like node:wasi for a read-only input: the right is never given
    fd_close(vfd: Vfd, fd: number) {
      vfds.delete(fd);
      const file = vfd.file;
      if (--file.users === 0) {
        file.ahead = undefined;
        file.aheadEnd = 0;
        if (!file.pinned) {
          post({ type: "close", index: file.index }); // handled after any earlier "open": one port, in order
          file.fd = -1;
        }
      }
      return E.SUCCESS;
    },
    fd_write: () => E.ROFS,
    fd_pwrite: () => E.ROFS,
    fd_allocate: () => E.ROFS,
    fd_filestat_set_size: () => E.ROFS,
    fd_filestat_set_times: () => E.ROFS,
    fd_sync: () => E.NOTCAPABLE,
    fd_datasync: () => E.NOTCAPABLE,
    fd_readdir: () => E.NOTDIR,
    fd_renumber: () => E.NOTSUP,
  };

  // ---- the import object ---------------------------------------------------------------------

  const wasi = new WASI({
    version: "preview1",
    args: input.args,
    env: Object.fromEntries(input.env),
    preopens: Object.fromEntries(input.preopens.map((p) => [p.guest, p.host])),
    stdin: input.stdio[0],
    stdout: input.stdio[1],
    stderr: input.stdio[2],
    returnOnExit: true,
  });
  type Syscall = (...args: never[]) => number;
  const real = wasi.wasiImport as unknown as Record<string, (...args: unknown[]) => number>;

  const overrides: Record<string, (...args: never[]) => number> = {
    clock_time_get(id: number, _precision: bigint, timePtr: number) {
      if (id > 3) return E.INVAL;
      view().setBigUint64(timePtr, FIXED_TIME_NS, true);
      return E.SUCCESS;
    },
    clock_res_get(id: number, resolutionPtr: number) {
      if (id > 3) return E.INVAL;
      view().setBigUint64(resolutionPtr, 1_000n, true);
      return E.SUCCESS;
    },
    random_get(ptr: number, len: number) {
      const target = bytes().subarray(ptr, ptr + len);
      if (target.length !== len) return E.FAULT;
      target.set(randomBytes(len));
      return E.SUCCESS;
    },
    /** Every subscription is ready at once: fds here never block, and time does not pass. */
    poll_oneoff(inPtr: number, outPtr: number, count: number, eventsPtr: number) {
      if (count === 0) return E.INVAL;
      const dv = view();
      const subscriptions = [];
      for (let i = 0; i < count; i++) {
        const s = inPtr + i * 48;
        subscriptions.push({ userdata: dv.getBigUint64(s, true), tag: dv.getUint8(s + 8) });
      }
      const fdReady = subscriptions.filter((s) => s.tag !== 0);
      const fired = fdReady.length > 0 ? fdReady : subscriptions;
      fired.forEach((s, i) => {
        const e = outPtr + i * 32;
        for (let b = 0; b < 32; b += 8) dv.setBigUint64(e + b, 0n, true);
        dv.setBigUint64(e, s.userdata, true);
        dv.setUint8(e + 10, s.tag);
      });
      dv.setUint32(eventsPtr, fired.length, true);
      return E.SUCCESS;
    },
    proc_raise: () => E.NOSYS,
    sock_accept: () => E.NOSYS,
    sock_recv: () => E.NOSYS,
    sock_send: () => E.NOSYS,
    sock_shutdown: () => E.NOSYS,
    path_link: () => E.PERM,
    path_symlink: () => E.PERM,

    fd_write(fd: number, iovs: number, iovsLen: number, writtenPtr: number) {
      const sink = captured.get(fd);
      if (sink !== undefined) {
        const dv = view();
        const mem = bytes();
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = dv.getUint32(iovs + i * 8, true);
          const len = dv.getUint32(iovs + i * 8 + 4, true);
          if (ptr + len > mem.length) return E.FAULT;
          sink(mem.subarray(ptr, ptr + len));
          total += len;
        }
        dv.setUint32(writtenPtr, total, true);
        return E.SUCCESS;
      }
      const info = fds.get(fd);
      if (info?.readOnly) return E.ROFS;
      const result = real.fd_write(fd, iovs, iovsLen, writtenPtr);
      if (result === E.SUCCESS && info !== undefined) account(view().getUint32(writtenPtr, true), 0);
      return result;
    },
    fd_pwrite(fd: number, iovs: number, iovsLen: number, offset: bigint, writtenPtr: number) {
      const info = fds.get(fd);
      if (info === undefined) return fd < 3 ? real.fd_pwrite(fd, iovs, iovsLen, offset, writtenPtr) : E.BADF;
      if (info.readOnly) return E.ROFS;
      return growing(info, () => real.fd_pwrite(fd, iovs, iovsLen, offset, writtenPtr));
    },
    fd_allocate(fd: number, offset: bigint, len: bigint) {
      const info = fds.get(fd);
      if (info === undefined) return E.BADF;
      if (info.readOnly) return E.ROFS;
      return growing(info, () => real.fd_allocate(fd, offset, len));
    },
    fd_filestat_set_size(fd: number, size: bigint) {
      const info = fds.get(fd);
      if (info === undefined) return E.BADF;
      if (info.readOnly) return E.ROFS;
      return growing(info, () => real.fd_filestat_set_size(fd, size));
    },
    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number) {
      if (fds.get(fd)?.readOnly) return E.ROFS;
      return real.fd_filestat_set_times(fd, atim, mtim, flags);
    },
    fd_filestat_get(fd: number, ptr: number) {
      const result = real.fd_filestat_get(fd, ptr);
      const info = fds.get(fd);
      if (result === E.SUCCESS) sanitizeFilestat(ptr, info?.guest ?? `/dev/fd/${fd}`, info === undefined ? 0 : info.root + 1);
      return result;
    },
    fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, usedPtr: number) {
      const info = fds.get(fd);
      if (info === undefined) return E.BADF;
      if (!within(info)) return E.NOTCAPABLE;
      if (buf + bufLen > bytes().length) return E.FAULT;
      let list = listings.get(fd);
      if (cookie === 0n || list === undefined) {
        const listed = listDirectory(info);
        if (typeof listed === "number") return listed;
        list = listed;
        listings.set(fd, list);
      }
      const mem = bytes();
      let used = 0;
      for (let i = Number(cookie); i < list.length && used < bufLen; i++) {
        const entry = list[i];
        const record = new Uint8Array(24 + entry.name.length);
        const rv = new DataView(record.buffer);
        rv.setBigUint64(0, BigInt(i + 1), true); // d_next
        rv.setBigUint64(8, entry.ino, true);
        rv.setUint32(16, entry.name.length, true);
        rv.setUint8(20, entry.type);
        record.set(entry.name, 24);
        const n = Math.min(record.length, bufLen - used);
        mem.set(record.subarray(0, n), buf + used);
        used += n;
      }
      view().setUint32(usedPtr, used, true);
      return E.SUCCESS;
    },
    fd_close(fd: number) {
      if (fd < 3) return E.SUCCESS; // the null device behind 0–2 belongs to the host
      const result = real.fd_close(fd);
      if (result === E.SUCCESS) {
        fds.delete(fd);
        listings.delete(fd);
      }
      return result;
    },
    fd_renumber(from: number, to: number) {
      if (from < firstFree || to < firstFree) return E.NOTSUP; // stdio and preopens stay where they are
      const result = real.fd_renumber(from, to);
      if (result === E.SUCCESS) {
        const info = fds.get(from);
        if (info === undefined) fds.delete(to);
        else fds.set(to, info);
        fds.delete(from);
        listings.delete(from);
        listings.delete(to);
      }
      return result;
    },

    path_open(dirfd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number, rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdPtr: number) {
      const parent = fds.get(dirfd);
      if (parent === undefined) return E.BADF;
      const path = readPath(pathPtr, pathLen);
      if (typeof path === "number") return path;
      if (parent.readOnly) {
        // Asking to create, truncate, append or write (wasi-libc asks fd_write for O_WRONLY and O_RDWR) is EROFS.
        if (oflags & (O_CREAT | O_EXCL | O_TRUNC) || fdflags & FDFLAG_APPEND || rightsBase & RIGHT_FD_WRITE) return E.ROFS;
        rightsBase &= READ_ONLY_RIGHTS;
        rightsInheriting &= READ_ONLY_RIGHTS;
        const file = mountedAt(parent, path);
        if (file !== undefined) return typeof file === "number" ? file : openMounted(file, parent, oflags, rightsBase, rightsInheriting, fdflags, fdPtr);
        // Everything else there is a directory: node:wasi opens nothing else under the inputs.
        oflags |= O_DIRECTORY;
      }
      const result = real.path_open(dirfd, dirflags, pathPtr, pathLen, oflags, rightsBase, rightsInheriting, fdflags, fdPtr);
      if (result === E.SUCCESS) {
        const fd = view().getUint32(fdPtr, true);
        if (fd >= VFD_BASE) {
          // Unreachable (node:wasi numbers its fds densely from 0); refused rather than shadowed.
          real.fd_close(fd);
          return E.NFILE;
        }
        fds.set(fd, child(parent, path));
        listings.delete(fd);
        if (oflags & O_CREAT) account(0, 1);
      }
      return result;
    },
    path_create_directory(fd: number, pathPtr: number, pathLen: number) {
      const checked = checkPath(fd, pathPtr, pathLen, true);
      if (checked !== E.SUCCESS) return checked;
      const result = real.path_create_directory(fd, pathPtr, pathLen);
      if (result === E.SUCCESS) account(0, 1);
      return result;
    },
    path_remove_directory(fd: number, pathPtr: number, pathLen: number) {
      return checkPath(fd, pathPtr, pathLen, true) || real.path_remove_directory(fd, pathPtr, pathLen);
    },
    path_unlink_file(fd: number, pathPtr: number, pathLen: number) {
      return checkPath(fd, pathPtr, pathLen, true) || real.path_unlink_file(fd, pathPtr, pathLen);
    },
    path_rename(fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
      return checkPath(fd, oldPtr, oldLen, true) || checkPath(newFd, newPtr, newLen, true) || real.path_rename(fd, oldPtr, oldLen, newFd, newPtr, newLen);
    },
    path_filestat_set_times(fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fstflags: number) {
      return checkPath(fd, pathPtr, pathLen, true) || real.path_filestat_set_times(fd, flags, pathPtr, pathLen, atim, mtim, fstflags);
    },
    path_readlink(fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, usedPtr: number) {
      return checkPath(fd, pathPtr, pathLen, false) || real.path_readlink(fd, pathPtr, pathLen, buf, bufLen, usedPtr);
    },
    path_filestat_get(fd: number, flags: number, pathPtr: number, pathLen: number, ptr: number) {
      const parent = fds.get(fd);
      if (parent === undefined) return E.BADF;
      const path = readPath(pathPtr, pathLen);
      if (typeof path === "number") return path;
      const file = parent.readOnly ? mountedAt(parent, path) : undefined;
      if (file !== undefined) return typeof file === "number" ? file : writeFilestat(ptr, file, parent.root + 1);
      const result = real.path_filestat_get(fd, flags, pathPtr, pathLen, ptr);
      if (result === E.SUCCESS) sanitizeFilestat(ptr, child(parent, path).guest, parent.root + 1);
      return result;
    },
  };

  /** E.SUCCESS when `fd` is known and the path acceptable (and, for a change, the fd writable). */
  function checkPath(fd: number, pathPtr: number, pathLen: number, changes: boolean): number {
    const info = fds.get(fd);
    if (info === undefined) return E.BADF;
    const path = readPath(pathPtr, pathLen);
    if (typeof path === "number") return path;
    if (changes && info.readOnly) return E.ROFS;
    return E.SUCCESS;
  }

  /** A RangeError from a bad guest pointer becomes EFAULT; anything else goes on up. */
  function fault(error: unknown): number {
    if (error instanceof RangeError && memory !== undefined && !error.message.includes("call stack")) return E.FAULT;
    throw error;
  }

  /** Every import: refuses to go on once the output cap is crossed, and turns bad pointers into EFAULT. */
  const imports: Record<string, Syscall> = {};
  const calls: Record<string, (...args: never[]) => number> = { ...real, ...overrides };
  for (const [name, fn] of Object.entries(calls)) {
    // Every fd_* and path_* call takes an fd first: the mounted input files' fds never reach node:wasi.
    const takesFd = name.startsWith("fd_") || name.startsWith("path_");
    const onMounted = mountedCalls[name] ?? (() => (name.startsWith("path_") ? E.NOTDIR : E.BADF));
    imports[name] = ((...args: unknown[]) => {
      if (outputLimit !== undefined) throw new OutputLimitError(outputLimit);
      try {
        if (takesFd && (args[0] as number) >= VFD_BASE) {
          const mounted = vfds.get(args[0] as number);
          return mounted === undefined ? E.BADF : (onMounted as (...a: unknown[]) => number)(mounted, ...args);
        }
        return (fn as (...a: unknown[]) => number)(...args);
      } catch (error) {
        return fault(error);
      }
    }) as Syscall;
  }
  // The hot calls, the same as above with their own arity: no rest array and no spread per call.
  type Rw = (fd: number, iovs: number, iovsLen: number, donePtr: number) => number;
  const mountedRead = mountedCalls.fd_read as unknown as (vfd: Vfd, fd: number, iovs: number, iovsLen: number, readPtr: number) => number;
  const hostRead = calls.fd_read as unknown as Rw;
  const hostWrite = calls.fd_write as unknown as Rw;
  imports.fd_read = ((fd: number, iovs: number, iovsLen: number, readPtr: number) => {
    if (outputLimit !== undefined) throw new OutputLimitError(outputLimit);
    try {
      if (fd >= VFD_BASE) {
        const mounted = vfds.get(fd);
        return mounted === undefined ? E.BADF : mountedRead(mounted, fd, iovs, iovsLen, readPtr);
      }
      return hostRead(fd, iovs, iovsLen, readPtr);
    } catch (error) {
      return fault(error);
    }
  }) as Syscall;
  imports.fd_write = ((fd: number, iovs: number, iovsLen: number, writtenPtr: number) => {
    if (outputLimit !== undefined) throw new OutputLimitError(outputLimit);
    try {
      return fd >= VFD_BASE ? (vfds.has(fd) ? E.ROFS : E.BADF) : hostWrite(fd, iovs, iovsLen, writtenPtr);
    } catch (error) {
      return fault(error);
    }
  }) as Syscall;

  // ---- run ------------------------------------------------------------------------------------

  /**
   * node:wasi never closes the host fds behind guest fds (its preopens included); this closes every
   * one the guest left open, before the worker reports its end, so the executor need not wait for
   * the worker to be torn down to know none is left. (The mounted input files' host fds are the
   * executor's: it closes them.)
   */
  function closeGuestFds(): void {
    for (const fd of [...fds.keys()]) {
      if (fd < 3) continue;
      try {
        real.fd_close(fd);
      } catch {
        // already gone
      }
      fds.delete(fd);
    }
  }

  /** Posts how the job ended, once every guest fd is closed. */
  function end(message: WorkerMessage): void {
    closeGuestFds();
    post(message);
  }

  function run(): void {
    const setUpAt = performance.now();
    let instantiatedAt = setUpAt;
    let instance: WebAssembly.Instance;
    try {
      const module = input.module;
      for (const wanted of WebAssembly.Module.imports(module)) {
        if (wanted.module !== "wasi_snapshot_preview1" || wanted.kind !== "function" || !(wanted.name in imports))
          throw new Error(`the module imports ${wanted.kind} ${wanted.module}.${wanted.name}; only wasi_snapshot_preview1 functions are provided`);
      }
      instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
      instantiatedAt = performance.now();
    } catch (error) {
      end({ type: "invalid", message: (error as Error).message });
      return;
    }
    const exported = instance.exports;
    if (!(exported.memory instanceof WebAssembly.Memory)) return end({ type: "invalid", message: 'the module exports no memory named "memory"' });
    const entry = exported[input.entrypoint];
    if (typeof entry !== "function") return end({ type: "invalid", message: `the module exports no function "${input.entrypoint}"` });
    const initialize = input.entrypoint === "_start" ? undefined : exported._initialize;
    memory = exported.memory;

    post({ type: "started" });
    const started = performance.now();
    const memoryBytes = (): number => (memory as WebAssembly.Memory).buffer.byteLength;
    const phases = (): RunPhases => ({
      receivedAt: performance.timeOrigin + receivedAt,
      setUpMs: setUpAt - receivedAt,
      instantiateMs: instantiatedAt - setUpAt,
    });
    try {
      const exitCode = wasi.start({
        exports: {
          memory,
          _start: () => {
            if (typeof initialize === "function") initialize();
            (entry as () => void)();
          },
        },
      });
      if (outputLimit === undefined)
        end({
          type: "exit",
          exitCode: exitCode ?? 0,
          durationMs: performance.now() - started,
          memoryBytes: memoryBytes(),
          phases: phases(),
          ...(firstReadAt === undefined ? {} : { firstReadAt }),
        });
    } catch (error) {
      if (outputLimit !== undefined || error instanceof OutputLimitError) return;
      const message = error instanceof Error ? error.message : String(error);
      end({ type: "trap", message, durationMs: performance.now() - started, memoryBytes: memoryBytes() });
    } finally {
      closeGuestFds();
    }
  }

  run();
}

// A worker is started ahead of its job (the executor keeps one warm) and waits here. It runs its
// jobs one at a time, in the order posted; the executor decides whether it gets another (it does
// not after a kill, an output over the cap or a large memory: see executor.ts).
parentPort?.on("message", (input: WorkerInput) => runJob(input, performance.now()));
post({ type: "ready" });
