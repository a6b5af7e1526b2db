/**
 * Job logs: the container's stdout and stderr, demultiplexed from the attach stream. Only the
 * first bytes (and the last bytes of stderr, for error messages) are kept; the rest is read and
 * dropped, so a chatty job never blocks on a full pipe nor fills the agent's memory or disk (the
 * container's log driver is "none").
 */
export class CappedLog {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  /** Every byte the job wrote to this stream. */
  total = 0;

  constructor(
    private readonly headCap: number,
    private readonly tailCap = 0,
  ) {}

  write(chunk: Buffer): boolean {
    this.total += chunk.length;
    if (this.headBytes < this.headCap) {
      const part = chunk.subarray(0, this.headCap - this.headBytes);
      this.head.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    if (this.tailCap > 0) {
      const joined = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - this.tailCap))]);
      this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.tailCap)));
    }
    return true;
  }

  /** The first bytes, as text (a cut multi-byte character becomes U+FFFD). */
  text(): string {
    const text = Buffer.concat(this.head).toString("utf8");
    return this.total > this.headBytes ? `${text}\n[… ${this.total - this.headBytes} more bytes dropped]` : text;
  }

  /** The last bytes, as text. */
  tailText(): string {
    return this.tail.toString("utf8").replace(/^\uFFFD+/, "");
  }
}

/** Splits Docker's multiplexed attach stream (8-byte frame headers: type, 0, 0, 0, length BE). */
export function demux(stream: NodeJS.ReadableStream, stdout: CappedLog, stderr: CappedLog): void {
  let pending: Buffer = Buffer.alloc(0);
  let type = -1;
  let remaining = 0;
  stream.on("data", (data: Buffer) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    while (pending.length > 0) {
      if (remaining === 0) {
        if (pending.length < 8) return;
        type = pending[0];
        remaining = pending.readUInt32BE(4);
        pending = pending.subarray(8);
        continue;
      }
      const part = pending.subarray(0, remaining);
      (type === 2 ? stderr : stdout).write(part);
      remaining -= part.length;
      pending = pending.subarray(part.length);
    }
  });
}
