/**
 * Unpacks the output volume's archive (the engine's `GET /containers/{id}/archive`, a tar stream)
 * into the agent's output directory, with the same rules as the strict walk of outputs.ts:
 * regular files and directories only, at most `maxEntries` entries and `maxBytes` bytes. Hard
 * links are written as copies. Reads ustar, PAX and GNU long-name headers (what Go's archive/tar
 * writes); nothing is written outside `dir`.
 */
import { constants } from "node:fs";
import { chmod, copyFile, lchown, lstat, mkdir, open, readdir } from "node:fs/promises";
import { join } from "node:path";

import type { OutputProblem, OutputUsage } from "./outputs.js";

const BLOCK = 512;
const PAGE = 4096;

export type ExtractResult = {
  usage: OutputUsage;
  /** 4 KiB pages the files held on the volume (hard links once): how full the tmpfs was. */
  pages: number;
  problem?: OutputProblem;
};

/** Byte reader over an async stream of chunks. */
class Reader {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly source: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.source = source[Symbol.asyncIterator]();
  }
  /** Exactly `n` bytes, or undefined at a clean end of the stream (when none are buffered). */
  async take(n: number): Promise<Buffer | undefined> {
    while (this.length < n) {
      const next = await this.source.next();
      if (next.done) {
        if (this.length === 0) return undefined;
        throw new Error("the output archive is truncated");
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }
  async must(n: number): Promise<Buffer> {
    const bytes = await this.take(n);
    if (!bytes) throw new Error("the output archive is truncated");
    return bytes;
  }
}

function text(header: Buffer, offset: number, length: number): string {
  const field = header.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function octal(header: Buffer, offset: number, length: number): number {
  const field = header.subarray(offset, offset + length);
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian, first byte's high bit set.
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const digits = text(header, offset, length).trim();
  return digits === "" ? 0 : Number.parseInt(digits, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(body.subarray(at, space).toString("ascii"));
    if (!Number.isSafeInteger(length) || length <= 0) throw new Error("the output archive has a malformed PAX header");
    const record = body.subarray(space + 1, at + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    at += length;
  }
  return records;
}

/** The entry's path inside the output, or undefined for the root; throws on a path that leaves it. */
function relativePath(name: string): string | undefined {
  // The archive of /outputs names its entries `outputs/...`: drop that first component.
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  parts.shift();
  if (parts.some((part) => part === "..")) throw new Error(`the output archive names a path outside the output: ${name}`);
  return parts.length === 0 ? undefined : parts.join("/");
}

/**
 * Extracts `archive` (the tar of the output directory) into `dir`, which must exist and be empty.
 * Stops at the first problem, as the strict walk does.
 */
export async function extractOutputs(archive: AsyncIterable<Buffer>, dir: string, limits: { maxBytes: number; maxEntries: number }): Promise<ExtractResult> {
  const reader = new Reader(archive);
  const usage: OutputUsage = { bytes: 0, entries: 0 };
  let pages = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const header = await reader.take(BLOCK);
    if (!header || header.every((byte) => byte === 0)) break;
    const type = String.fromCharCode(header[156]!);
    const size = pax.size !== undefined ? Number(pax.size) : octal(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error("the output archive has an entry of invalid size");
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > 1024 * 1024) throw new Error("the output archive has an oversized extended header");
      const body = (await reader.must(padded)).subarray(0, size);
      if (type === "x") pax = parsePax(body);
      else if (type === "L") longName = text(body, 0, body.length);
      else if (type === "K") longLink = text(body, 0, body.length);
      continue;
    }

    const prefix = text(header, 345, 155);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    const link = pax.linkpath ?? longLink ?? text(header, 157, 100);
    pax = {};
    longName = undefined;
    longLink = undefined;
    const path = relativePath(name);
    if (path === undefined) {
      await skip(reader, padded);
      continue;
    }
    usage.entries++;
    if (usage.entries > limits.maxEntries) return { usage, pages, problem: { kind: "limit", usage, what: "entries" } };

    if (type === "5") {
      await mkdir(join(dir, path), { recursive: true, mode: 0o755 });
      await skip(reader, padded);
    } else if (type === "0" || type === "\0" || type === "7") {
      usage.bytes += size;
      pages += Math.ceil(size / PAGE);
      if (usage.bytes > limits.maxBytes) return { usage, pages, problem: { kind: "limit", usage, what: "bytes" } };
      await writeEntry(reader, join(dir, path), size, octal(header, 100, 8) & 0o755);
      await skip(reader, padded - size);
    } else if (type === "1") {
      // A hard link to an earlier entry: a copy here (its pages were counted once, with the first name).
      const target = relativePath(link);
      if (target === undefined) throw new Error(`the output archive has a hard link to the root: ${name}`);
      if (!(await lstat(join(dir, target))).isFile()) throw new Error(`the output archive links ${name} to a non-file`);
      await copyFile(join(dir, target), join(dir, path), constants.COPYFILE_EXCL);
      usage.bytes += (await lstat(join(dir, path))).size;
      if (usage.bytes > limits.maxBytes) return { usage, pages, problem: { kind: "limit", usage, what: "bytes" } };
      await skip(reader, padded);
    } else {
      const reason = type === "2" ? "a symlink" : "a special file (FIFO, socket or device)";
      return { usage, pages, problem: { kind: "invalid", path, reason } };
    }
  }
  return { usage, pages };
}

async function skip(reader: Reader, bytes: number): Promise<void> {
  for (let left = bytes; left > 0; left -= Math.min(left, 65_536)) await reader.must(Math.min(left, 65_536));
}

async function writeEntry(reader: Reader, path: string, size: number, mode: number): Promise<void> {
  const handle = await open(path, "wx", mode | 0o600);
  try {
    for (let left = size; left > 0; ) {
      const chunk = await reader.must(Math.min(left, 65_536));
      await handle.write(chunk);
      left -= chunk.length;
    }
  } finally {
    await handle.close();
  }
}

/**
 * The same as extractOutputs, read straight from the volume's mount where the agent sees it (root
 * on the engine's host): no archive round trip through the engine. Visits entries in the archive's
 * order (depth first, names sorted bytewise, as Go's filepath.Walk), so both ways stop at the same
 * first problem and count the same pages (a hard-linked inode once).
 */
export async function copyOutputs(source: string, dir: string, limits: { maxBytes: number; maxEntries: number }): Promise<ExtractResult> {
  const usage: OutputUsage = { bytes: 0, entries: 0 };
  let pages = 0;
  const seen = new Map<string, string>();
  const visit = async (relative: string): Promise<OutputProblem | undefined> => {
    const names = (await readdir(join(source, relative))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = relative === "" ? name : `${relative}/${name}`;
      usage.entries++;
      if (usage.entries > limits.maxEntries) return { kind: "limit", usage, what: "entries" };
      const stats = await lstat(join(source, path));
      if (stats.isDirectory()) {
        await mkdir(join(dir, path), { mode: 0o755 });
        const problem = await visit(path);
        if (problem) return problem;
      } else if (stats.isFile()) {
        usage.bytes += stats.size;
        const inode = `${stats.dev}:${stats.ino}`;
        if (stats.nlink < 2 || !seen.has(inode)) pages += Math.ceil(stats.size / PAGE);
        if (usage.bytes > limits.maxBytes) return { kind: "limit", usage, what: "bytes" };
        if (stats.nlink > 1) seen.set(inode, path);
        await copyFile(join(source, path), join(dir, path), constants.COPYFILE_EXCL);
        // libuv's copyfile keeps the source's owner (the job's user) where it can: the agent owns its results.
        await lchown(join(dir, path), process.getuid?.() ?? 0, process.getgid?.() ?? 0);
        await chmod(join(dir, path), (stats.mode & 0o755) | 0o600);
      } else {
        return { kind: "invalid", path, reason: stats.isSymbolicLink() ? "a symlink" : "a special file (FIFO, socket or device)" };
      }
    }
    return undefined;
  };
  const problem = await visit("");
  return problem ? { usage, pages, problem } : { usage, pages };
}
