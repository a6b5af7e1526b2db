/** The result store has no room for a result within its `maxBytes` (after removing expired ones). */
export class ResultStoreFullError extends Error {
  readonly code = "RESULT_STORE_FULL";
  readonly component = "results";
  readonly hint = "Raise the result store's maxBytes, shorten the retention, or take fewer jobs.";
  /** The result's CAR size. */
  readonly size: number;
  /** Bytes the store holds now. */
  readonly used: number;
  readonly maxBytes: bigint;

  constructor({ cid, size, used, maxBytes }: { cid: string; size: number; used: number; maxBytes: bigint }) {
    super(`No room for result ${cid} (${size} bytes): the store holds ${used} of ${maxBytes} bytes`);
    this.name = "ResultStoreFullError";
    this.size = size;
    this.used = used;
    this.maxBytes = maxBytes;
  }
}
