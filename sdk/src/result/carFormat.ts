import { type FileHandle, open } from "node:fs/promises";

export { blockPrefix, carHeader, MAX_RESULT_BLOCK_BYTES } from "./carHeader.js";

/**
 * Appends bytes to a file through a small buffer, so many small blocks cost few writes and a
 * large one is written directly. One write is in flight while the caller goes on (receiving,
 * hashing the next block), so memory holds at most the buffer, the write in flight and the bytes
 * given. `flush` makes everything written so far reach the file; errors surface at the next call.
 */
export class AppendWriter {
  readonly #file: FileHandle;
  #buffer = Buffer.allocUnsafe(APPEND_BUFFER_BYTES);
  #buffered = 0;
  #position: number;
  #inflight: Promise<void> | undefined;

  private constructor(file: FileHandle, position: number) {
    this.#file = file;
    this.#position = position;
  }

  /** Opens `path` for appending at `position` (default: a new, empty file). */
  static async open(path: string, position = 0): Promise<AppendWriter> {
    const file = await open(path, position === 0 ? "w" : "r+");
    if (position > 0) await file.truncate(position);
    return new AppendWriter(file, position);
  }

  /** Bytes in the file once everything given is written. */
  get size(): number {
    return this.#position + this.#buffered;
  }

  /** Takes `bytes`, which must not change until the next call (they may still be being written). */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= this.#buffer.length) {
      // A large piece goes out directly, in one writev with what is buffered before it.
      const pending = this.#takeBuffered();
      await this.#start(pending === undefined ? [bytes] : [pending, bytes]);
      return;
    }
    if (this.#buffered + bytes.length > this.#buffer.length) await this.#startFlush();
    this.#buffer.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  async flush(): Promise<void> {
    await this.#startFlush();
    await this.#inflight;
  }

  /** Flushes and closes; returns the file's size. */
  async close(): Promise<number> {
    try {
      await this.flush();
    } finally {
      await this.#file.close();
    }
    return this.#position;
  }

  /** Hands the buffered bytes to a write of their own; the next bytes go to a fresh buffer. */
  async #startFlush(): Promise<void> {
    const pending = this.#takeBuffered();
    if (pending !== undefined) await this.#start([pending]);
  }

  #takeBuffered(): Uint8Array | undefined {
    if (this.#buffered === 0) return undefined;
    const pending = this.#buffer.subarray(0, this.#buffered);
    this.#buffer = Buffer.allocUnsafe(APPEND_BUFFER_BYTES);
    this.#buffered = 0;
    return pending;
  }

  /** Waits for the write in flight (throwing its error), then starts writing `pieces` at the end. */
  async #start(pieces: Uint8Array[]): Promise<void> {
    await this.#inflight;
    const at = this.#position;
    for (const piece of pieces) this.#position += piece.length;
    const write = this.#writeAll(pieces, at);
    write.catch(() => {}); // surfaced by the next call that waits for it
    this.#inflight = write;
  }

  async #writeAll(pieces: Uint8Array[], at: number): Promise<void> {
    let rest = pieces;
    let position = at;
    while (rest.length > 0) {
      let { bytesWritten } = await this.#file.writev(rest, position);
      position += bytesWritten;
      // A short write: drop what went out and go on with the rest.
      const left: Uint8Array[] = [];
      for (const piece of rest) {
        if (bytesWritten >= piece.length) bytesWritten -= piece.length;
        else {
          left.push(piece.subarray(bytesWritten));
          bytesWritten = 0;
        }
      }
      rest = left;
    }
  }
}

const APPEND_BUFFER_BYTES = 1_048_576;
