import { chmod, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

import { CID } from "multiformats/cid";
import type { Logger } from "pino";

import type { PieceRef, SpecInputEntry } from "@shoal/sdk";
import type { MountedInput } from "../executors/types.js";
import { singleFlight, sweepTemp, tempName } from "./cache.js";
import { InputCorruptError, InputError, type InputErrorCode, InputTooLargeError, InputUnavailableError } from "./errors.js";
import { capacityOf, type PieceQuery, pieceQueryOfInput, pieceQueryOfRef } from "./piece.js";
import type { CidSource, InputSource, LocateResult, PieceSource, SourceBytes, StoredFile } from "./sources/types.js";
import { unpackCar } from "./unpackCar.js";
import { openVerdictStore, type VerdictStore } from "./verdicts.js";
import { assertUnchanged, verifyInPlace } from "./verifyInPlace.js";
import { verifyPiece } from "./verifyPiece.js";

export type InputResolverOptions = {
  /** Where inputs come from, tried in order: e.g. `[pieceDirectory(…), pieceHttp(…), ipfsHttp(…)]`. */
  sources: InputSource[];
  /** The agent's working directory: verified inputs are cached under `<workDir>/pieces` and `<workDir>/cids`. */
  workDir: string;
  logger?: Logger | undefined;
  /** Told the bytes of each input made available, by kind and source (`piece-directory` reads the provider's own store; the others moved over the network). */
  onResolved?: ((event: { kind: "piece" | "cid"; source: string; bytes: bigint; copied: bigint }) => void) | undefined;
  /** Largest `cid` input accepted, as CAR bytes and as unpacked bytes (default 1 GiB). */
  maxCidBytes?: bigint | number | undefined;
  /**
   * When a piece stored here may be read by a job before its CommP is recomputed (see README,
   * security model):
   * - `background` (default): a piece mounted from the provider's own store whose locality this
   *   provider proved on chain for the job (`proven`) runs at once while it is verified in the
   *   background, and the job's result waits for the verdict; every other piece is verified first;
   * - `before-use`: every piece is verified before any job sees it.
   * Either way a verdict is kept per version of the file, so an unchanged file is hashed once.
   */
  verify?: PieceVerifyPolicy | undefined;
  /** Told each verification of a stored piece: its outcome, the bytes hashed and how long it took. */
  onVerified?: ((event: { piece: string; path: string; result: "ok" | InputErrorCode; bytes: bigint; ms: number }) => void) | undefined;
};

export type PieceVerifyPolicy = "background" | "before-use";

/**
 * An input made available to a job. A piece held by a local store is mounted where it lies
 * (`copied` 0); `verified` settles when its bytes are known to be the piece (at once for inputs
 * verified before use, or cached); `checkUnchanged` throws InputChangedError when the stored file
 * changed since it was resolved. The pipeline awaits both before a result may leave the agent.
 */
export type ResolvedInput = MountedInput & {
  verified: Promise<void>;
  checkUnchanged(): Promise<void>;
  /** Bytes written to the agent's cache to make the input available (0 for a piece mounted in place). */
  copied: bigint;
};

export type ResolveOptions = {
  signal?: AbortSignal | undefined;
  /** More places to fetch a `cid` input from, tried after the configured ones (a pipeline input's winning gateways). */
  cidSources?: readonly CidSource[] | undefined;
  /**
   * Whether this provider's locality proof for the piece was accepted on chain for the job (its
   * claim carried it): under the `background` policy such a piece may run before it is verified.
   */
  proven?: boolean | undefined;
};

export type InputResolver = {
  /**
   * Makes one spec input available: a verified local file (piece, or a `cid` naming a file) or
   * directory (a `cid` naming a directory), mounted at `input.mount`. A `job` input is resolved by
   * the pipeline to its settled result CID first. Throws InputUnavailableError,
   * InputCorruptError or InputTooLargeError; an aborted `signal` rejects with its reason.
   */
  resolve(input: SpecInputEntry, options?: ResolveOptions): Promise<ResolvedInput>;
  /** Whether a piece is available here (verified already, or held by a source and not failed), without reading it. */
  has(piece: PieceRef, options?: ResolveOptions): Promise<boolean>;
  /** Stored pieces whose last verification failed: never mounted again until their file changes. */
  failed(): Array<{ path: string; pieceKey: string; reason: string; at: Date }>;
  /**
   * Verifies, one after the other, the stored files of `pieces` that have no verdict yet, so that
   * jobs over them find one (the agent runs it at start for the pieces it proves locality for).
   * Failures are verdicts and logs, never a rejection.
   */
  verifyStoredPieces(pieces: readonly PieceRef[]): Promise<void>;
  /** Stops background verifications and closes the verdict store. */
  close(): Promise<void>;
};

export const DEFAULT_MAX_CID_BYTES = 1n << 30n;

/**
 * Resolves spec inputs from the provider's own stores and verifies them before any job sees them:
 * pieces by recomputing their CommP, CIDs block by block. A verified input is cached by CID in
 * `workDir` (renamed into place only once whole and verified, so concurrent jobs and processes see
 * a complete file or none) and reused across jobs; concurrent resolutions of one input share one
 * verification. Failed attempts leave nothing behind.
 *
 * @example
 * const inputs = createInputResolver({
 *   sources: [pieceDirectory({ dir: "/srv/pieces" }), pieceHttp({ baseUrl: "http://127.0.0.1:12310" })],
 *   workDir: "/var/lib/shoal",
 * });
 * const mounted = await Promise.all(spec.inputs.map((input) => inputs.resolve(input, { signal })));
 */
export function createInputResolver({
  sources,
  workDir,
  logger,
  maxCidBytes,
  onResolved,
  verify = "background",
  onVerified,
}: InputResolverOptions): InputResolver {
  const root = resolve(workDir);
  const dirs = { pieces: join(root, "pieces"), cids: join(root, "cids"), tmp: join(root, "tmp") };
  const pieceSources = sources.filter((s): s is PieceSource => s.kind === "piece");
  /**
   * Where `has` (the policy, as a job is evaluated) found each piece, for the `resolve` that
   * follows within {@link LOCATED_FRESH_MS}: a file's stamp (device, inode, size, mtime) was taken
   * when it was found, and a file that changes after that fails the job with INPUT_CHANGED
   * whether it was found once or twice. Taken by `resolve`; stale entries go on the next `has`.
   */
  const located = new Map<string, { at: number; value: Promise<LocateResult | undefined> }>();
  const locate = (source: PieceSource, piece: PieceQuery, remember: boolean): Promise<LocateResult | undefined> => {
    const key = `${pieceSources.indexOf(source)}:${pieceKey(piece)}`;
    const now = performance.now();
    if (remember) {
      for (const [k, entry] of located) if (now - entry.at > LOCATED_FRESH_MS) located.delete(k);
      const value = source.locate!(piece);
      value.catch(() => {}); // a failure is read by whoever takes it
      located.set(key, { at: now, value });
      return value;
    }
    const earlier = located.get(key);
    located.delete(key);
    return earlier !== undefined && now - earlier.at <= LOCATED_FRESH_MS ? earlier.value : source.locate!(piece);
  };
  const cidSources = sources.filter((s): s is CidSource => s.kind === "cid");
  const maxCid = BigInt(maxCidBytes ?? DEFAULT_MAX_CID_BYTES);
  const flight = singleFlight<string>();
  const verifyFlight = singleFlight<void>();
  const background = new AbortController();
  const pending = new Set<Promise<unknown>>();
  let verdicts: VerdictStore | undefined;

  let ready: Promise<void> | undefined;
  const init = () =>
    (ready ??= (async () => {
      await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
      await sweepTemp(dirs.tmp);
      verdicts = openVerdictStore(join(root, "verdicts.db"));
    })());

  /**
   * Verifies a stored file as `piece` where it lies, once per version of the file: concurrent
   * jobs share one hashing, and the verdict is kept. Runs under the resolver's own signal, not a
   * job's: a verdict outlives the job that asked for it.
   */
  function verifyStored(file: StoredFile, piece: PieceQuery): Promise<void> {
    const key = pieceKey(piece);
    const work = verifyFlight(`${file.stamp.path}:${file.stamp.ino}:${file.stamp.mtimeNs}:${key}`, background.signal, async (signal) => {
      const known = verdicts?.get(file.stamp, key);
      if (known?.ok) return;
      if (known?.ok === false) throw corruptBefore(piece, file, known.reason, known.at);
      const started = performance.now();
      try {
        const bytes = await verifyInPlace(file, piece, signal);
        verdicts?.set(file.stamp, key, { ok: true });
        logger?.info({ cid: piece.cid, path: file.path, size: String(bytes), ms: elapsed(started) }, "stored piece verified");
        onVerified?.({ piece: piece.cid, path: file.path, result: "ok", bytes, ms: elapsed(started) });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const failure = asInputError(error, piece.cid, "piece-directory");
        // Only a mismatch is a verdict on this version of the file; a change or a read error is not.
        if (failure instanceof InputCorruptError) verdicts?.set(file.stamp, key, { ok: false, reason: failure.reason });
        logger?.error(
          { cid: piece.cid, path: file.path, code: failure.code, reason: failure.reason },
          failure instanceof InputCorruptError ? "stored piece failed verification: it will not be mounted again until the file changes" : "stored piece could not be verified",
        );
        onVerified?.({ piece: piece.cid, path: file.path, result: failure.code, bytes: 0n, ms: elapsed(started) });
        throw failure;
      }
    });
    const tracked = work.catch(() => {});
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
    return work;
  }

  /** A stored payload file the job can read as it lies, verified now or in the background. */
  async function mountInPlace(input: SpecInputEntry, piece: PieceQuery, file: StoredFile, proven: boolean): Promise<ResolvedInput> {
    const known = verdicts?.get(file.stamp, pieceKey(piece));
    if (known?.ok === false) throw corruptBefore(piece, file, known.reason, known.at);
    const checkUnchanged = () => assertUnchanged(file, piece, "while the job used it");
    let verified: Promise<void>;
    if (known?.ok) verified = Promise.resolve();
    else if (verify === "background" && proven) {
      verified = verifyStored(file, piece);
      verified.catch(() => {}); // awaited by the pipeline; a job that ended first must not leave it unhandled
      logger?.info({ cid: piece.cid, path: file.path }, "stored piece mounted before verification (locality proven on chain); verifying in the background");
    } else {
      await verifyStored(file, piece);
      verified = Promise.resolve();
    }
    onResolved?.({ kind: "piece", source: "piece-directory", bytes: file.stamp.size, copied: 0n });
    return { mount: input.mount, hostPath: file.path, verified, checkUnchanged, copied: 0n };
  }

  async function resolvePiece(
    input: SpecInputEntry & { piece: string },
    signal: AbortSignal | undefined,
    proven: boolean,
  ): Promise<ResolvedInput> {
    const piece = pieceQueryOfInput(input);
    const failures: InputError[] = [];
    const skip = new Set<PieceSource>(); // sources settled here: mounted, refused or failed
    const toConvert = new Map<PieceSource, StoredFile>();
    for (const source of pieceSources) {
      if (source.locate === undefined) continue;
      let found: LocateResult;
      try {
        found = await locate(source, piece, false);
      } catch (error) {
        failures.push(asInputError(error, piece.cid, source.name));
        continue;
      }
      if (found === undefined) continue;
      skip.add(source);
      if ("refused" in found) {
        failures.push(new InputUnavailableError({ cid: piece.cid, reason: `${source.name}: ${found.refused}` }));
        continue;
      }
      const known = verdicts?.get(found.file.stamp, pieceKey(piece));
      if (known?.ok === false) {
        failures.push(corruptBefore(piece, found.file, known.reason, known.at));
        continue;
      }
      if (!mountsInPlace(found.file, piece)) {
        // A layout jobs cannot read as it lies (Fr32-expanded, or a payload longer or shorter
        // than the v2 CID declares): converted once into the cache below, verified as it streams.
        skip.delete(source);
        toConvert.set(source, found.file);
        continue;
      }
      try {
        return await mountInPlace(input, piece, found.file, proven);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failures.push(asInputError(error, piece.cid, source.name));
      }
    }
    const path = join(dirs.pieces, cacheName(piece));
    const cached = (): ResolvedInput => ({ mount: input.mount, hostPath: path, verified: Promise.resolve(), checkUnchanged: async () => {}, copied: 0n });
    if (await exists(path)) return cached();
    const copied = await flight(`piece:${path}`, signal, async (signal) => {
      if (await exists(path)) return path;
      for (const source of pieceSources) {
        if (skip.has(source)) continue;
        const started = performance.now();
        const tmp = join(dirs.tmp, tempName("piece"));
        try {
          const bytes = await source.open(piece, { signal });
          if (bytes === undefined) continue;
          const { size, exact } = await verifyPiece(bytes, piece, tmp);
          await chmod(tmp, 0o444);
          await rename(tmp, path);
          logger?.info({ cid: piece.cid, source: source.name, size: String(size), exact, ms: elapsed(started) }, "piece verified");
          onResolved?.({ kind: "piece", source: source.name, bytes: BigInt(size), copied: BigInt(size) });
          return path;
        } catch (error) {
          await rm(tmp, { force: true });
          if (signal.aborted) throw signal.reason;
          const failure = asInputError(error, piece.cid, source.name);
          logger?.warn({ cid: piece.cid, source: source.name, code: failure.code, reason: failure.reason }, "piece source failed");
          const file = toConvert.get(source);
          if (file !== undefined && failure instanceof InputCorruptError) verdicts?.set(file.stamp, pieceKey(piece), { ok: false, reason: failure.reason });
          failures.push(failure);
        }
      }
      throw summarize(failures, piece.cid, pieceSources);
    });
    return { ...cached(), hostPath: copied };
  }

  async function resolveCid(
    input: SpecInputEntry & { cid: string },
    signal: AbortSignal | undefined,
    extra: readonly CidSource[],
  ): Promise<string> {
    const tried = [...cidSources, ...extra];
    let cid: CID;
    try {
      cid = CID.parse(input.cid);
    } catch (error) {
      throw new InputUnavailableError({ cid: input.cid, reason: "not a CID", cause: error });
    }
    const path = join(dirs.cids, cid.toV1().toString());
    if (await exists(path)) return path;
    return flight(`cid:${path}`, signal, async (signal) => {
      if (await exists(path)) return path;
      const failures: InputError[] = [];
      for (const source of tried) {
        const started = performance.now();
        // One temporary directory per attempt, named for this process: it holds the CAR, the
        // unpacked tree and unpackResult's staging directory, and goes away as a whole.
        const scratch = join(dirs.tmp, tempName("cid"));
        const car = join(scratch, "input.car");
        const out = join(scratch, "tree");
        try {
          const bytes = await source.open(cid, { signal });
          if (bytes === undefined) continue;
          await mkdir(scratch);
          await saveCapped(bytes, car, maxCid, input.cid);
          const { type, size } = await unpackCar(car, cid, out, maxCid);
          if (type === "file") await chmod(out, 0o444);
          await rename(out, path).catch(async (error: NodeJS.ErrnoException) => {
            // A directory another process verified meanwhile: keep theirs.
            if (!["ENOTEMPTY", "EEXIST"].includes(error.code ?? "")) throw error;
          });
          logger?.info({ cid: input.cid, source: source.name, type, size: String(size), ms: elapsed(started) }, "cid verified");
          onResolved?.({ kind: "cid", source: source.name.startsWith("gateway of ") ? "gateway" : source.name, bytes: BigInt(size), copied: BigInt(size) });
          return path;
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          const failure = asInputError(error, input.cid, source.name);
          logger?.warn({ cid: input.cid, source: source.name, code: failure.code, reason: failure.reason }, "cid source failed");
          failures.push(failure);
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }
      throw summarize(failures, input.cid, tried);
    });
  }

  return {
    async resolve(input, { signal, cidSources: extra = [], proven = false } = {}) {
      signal?.throwIfAborted();
      if (input.piece === undefined && input.cid === undefined)
        throw new InputUnavailableError({ cid: `job ${input.job}`, reason: "a job input must be resolved to its result CID first" });
      await init();
      if (input.piece !== undefined) return resolvePiece({ ...input, piece: input.piece }, signal, proven);
      const hostPath = await resolveCid({ ...input, cid: input.cid as string }, signal, extra);
      return { mount: input.mount, hostPath, verified: Promise.resolve(), checkUnchanged: async () => {}, copied: 0n };
    },

    async has(ref, { signal } = {}) {
      await init();
      const piece = pieceQueryOfRef(ref);
      const prefix = `${piece.root.slice(2)}-${piece.paddedSize}-`;
      // The cache and the first source are looked at together (each lookup is a few file-system
      // trips); the cache still answers first.
      const first = pieceSources[0]?.locate ? locate(pieceSources[0], piece, true).catch(() => undefined) : undefined;
      const cached = await readdir(dirs.pieces).catch(() => [] as string[]);
      if (cached.some((name) => name.startsWith(prefix))) return true;
      for (const [i, source] of pieceSources.entries()) {
        if (source.locate !== undefined) {
          const found = await (i === 0 ? first : locate(source, piece, true).catch(() => undefined));
          // A file that failed verification is not held: the agent never claims a job over it.
          if (found !== undefined && "file" in found && verdicts?.get(found.file.stamp, pieceKey(piece))?.ok !== false) return true;
          continue;
        }
        if (await source.has(piece, { signal })) return true;
      }
      return false;
    },

    failed() {
      return verdicts?.failed() ?? [];
    },

    async verifyStoredPieces(pieces) {
      await init();
      for (const ref of pieces) {
        if (background.signal.aborted) return;
        const piece = pieceQueryOfRef(ref);
        for (const source of pieceSources) {
          const found = await source.locate?.(piece).catch(() => undefined);
          if (found === undefined || !("file" in found) || found.file.layout !== "payload") continue;
          await verifyStored(found.file, piece).catch(() => {});
          break;
        }
      }
    },

    async close() {
      background.abort(new Error("the input resolver is closing"));
      await Promise.all(pending);
      verdicts?.close();
      verdicts = undefined;
    },
  };
}

/**
 * Whether jobs can read a stored file as it lies: a payload layout (not Fr32-expanded) whose
 * bytes are exactly what jobs must see. With the padding known (a v2 CID or file name) that is
 * exactly the payload, so the file must be exactly the payload's length; with the padding unknown
 * (v1) jobs see the stored bytes, whatever trailing zeros they hold.
 */
function mountsInPlace(file: StoredFile, piece: PieceQuery): boolean {
  if (file.layout !== "payload") return false;
  const padding = piece.padding ?? file.padding;
  return padding === undefined || file.stamp.size === capacityOf(piece.paddedSize) - padding;
}

/** How long a piece found by `has` serves the `resolve` that follows. */
const LOCATED_FRESH_MS = 2_000;

/** The key a verdict is kept under: what the file was verified as. */
function pieceKey(piece: PieceQuery): string {
  return `${piece.root}-${piece.paddedSize}`;
}

function corruptBefore(piece: PieceQuery, file: StoredFile, reason: string, at: Date): InputCorruptError {
  return new InputCorruptError({
    cid: piece.cid,
    reason: `${file.path} failed verification at ${at.toISOString()} (${reason}); it is not mounted again until the file changes`,
  });
}

/** The cache file of a piece: the padding is part of the name because it decides the bytes jobs see. */
function cacheName(piece: PieceQuery): string {
  return `${piece.root.slice(2)}-${piece.paddedSize}-${piece.padding === undefined ? "stored" : `p${piece.padding}`}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes `bytes` to `path`, refusing more than `cap` bytes (before reading, when the size is known). */
async function saveCapped(bytes: SourceBytes, path: string, cap: bigint, cid: string): Promise<void> {
  const tooLarge = () =>
    new InputTooLargeError({ cid, reason: `${bytes.origin} sends more than the ${cap} bytes this agent accepts` });
  if (bytes.size !== undefined && bytes.size > cap) throw tooLarge();
  const file = await open(path, "wx", 0o600);
  try {
    let total = 0n;
    for await (const chunk of bytes.body) {
      total += BigInt(chunk.length);
      if (total > cap) throw tooLarge();
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
}

function asInputError(error: unknown, cid: string, source: string): InputError {
  if (error instanceof InputError) return error;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new InputUnavailableError({ cid, reason: `${source}: ${message}`, cause: error });
}

/** The error a resolution ends with: corrupt bytes outrank refusals, which outrank absence. */
function summarize(failures: InputError[], cid: string, sources: readonly InputSource[]): InputError {
  const corrupt = failures.find((f) => f instanceof InputCorruptError);
  if (corrupt) return corrupt;
  const tooLarge = failures.find((f) => f instanceof InputTooLargeError);
  if (tooLarge) return tooLarge;
  if (failures.length === 1) return failures[0];
  if (failures.length > 1)
    return new InputUnavailableError({ cid, reason: failures.map((f) => f.reason).join("; "), cause: failures[0] });
  const tried = sources.map((s) => s.name).join(", ") || "no sources configured";
  return new InputUnavailableError({ cid, reason: `no source holds it (tried: ${tried})` });
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
