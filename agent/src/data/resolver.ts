import { chmod, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

import { CID } from "multiformats/cid";
import type { Logger } from "pino";

import type { PieceRef, SpecInputEntry } from "@shoal/sdk";
import type { MountedInput } from "../executors/types.js";
import { singleFlight, sweepTemp, tempName } from "./cache.js";
import { InputCorruptError, InputError, InputTooLargeError, InputUnavailableError } from "./errors.js";
import { type PieceQuery, pieceQueryOfInput, pieceQueryOfRef } from "./piece.js";
import type { CidSource, InputSource, PieceSource, SourceBytes } from "./sources/types.js";
import { unpackCar } from "./unpackCar.js";
import { verifyPiece } from "./verifyPiece.js";

export type InputResolverOptions = {
  /** Where inputs come from, tried in order: e.g. `[pieceDirectory(…), pieceHttp(…), ipfsHttp(…)]`. */
  sources: InputSource[];
  /** The agent's working directory: verified inputs are cached under `<workDir>/pieces` and `<workDir>/cids`. */
  workDir: string;
  logger?: Logger | undefined;
  /** Told the bytes of each input made available, by kind and source (`piece-directory` reads the provider's own store; the others moved over the network). */
  onResolved?: ((event: { kind: "piece" | "cid"; source: string; bytes: bigint }) => void) | undefined;
  /** Largest `cid` input accepted, as CAR bytes and as unpacked bytes (default 1 GiB). */
  maxCidBytes?: bigint | number | undefined;
};

export type ResolveOptions = {
  signal?: AbortSignal | undefined;
  /** More places to fetch a `cid` input from, tried after the configured ones (a pipeline input's winning gateways). */
  cidSources?: readonly CidSource[] | undefined;
};

export type InputResolver = {
  /**
   * Makes one spec input available: a verified local file (piece, or a `cid` naming a file) or
   * directory (a `cid` naming a directory), mounted at `input.mount`. A `job` input is resolved by
   * the pipeline to its settled result CID first. Throws InputUnavailableError,
   * InputCorruptError or InputTooLargeError; an aborted `signal` rejects with its reason.
   */
  resolve(input: SpecInputEntry, options?: ResolveOptions): Promise<MountedInput>;
  /** Whether a piece is available here (verified already, or held by a source), without reading it. */
  has(piece: PieceRef, options?: ResolveOptions): Promise<boolean>;
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
export function createInputResolver({ sources, workDir, logger, maxCidBytes, onResolved }: InputResolverOptions): InputResolver {
  const root = resolve(workDir);
  const dirs = { pieces: join(root, "pieces"), cids: join(root, "cids"), tmp: join(root, "tmp") };
  const pieceSources = sources.filter((s): s is PieceSource => s.kind === "piece");
  const cidSources = sources.filter((s): s is CidSource => s.kind === "cid");
  const maxCid = BigInt(maxCidBytes ?? DEFAULT_MAX_CID_BYTES);
  const flight = singleFlight<string>();

  let ready: Promise<void> | undefined;
  const init = () =>
    (ready ??= (async () => {
      await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
      await sweepTemp(dirs.tmp);
    })());

  async function resolvePiece(input: SpecInputEntry & { piece: string }, signal: AbortSignal | undefined): Promise<string> {
    const piece = pieceQueryOfInput(input);
    const path = join(dirs.pieces, cacheName(piece));
    if (await exists(path)) return path;
    return flight(`piece:${path}`, signal, async (signal) => {
      if (await exists(path)) return path;
      const failures: InputError[] = [];
      for (const source of pieceSources) {
        const started = performance.now();
        const tmp = join(dirs.tmp, tempName("piece"));
        try {
          const bytes = await source.open(piece, { signal });
          if (bytes === undefined) continue;
          const { size, exact } = await verifyPiece(bytes, piece, tmp);
          await chmod(tmp, 0o444);
          await rename(tmp, path);
          logger?.info({ cid: piece.cid, source: source.name, size: String(size), exact, ms: elapsed(started) }, "piece verified");
          onResolved?.({ kind: "piece", source: source.name, bytes: BigInt(size) });
          return path;
        } catch (error) {
          await rm(tmp, { force: true });
          if (signal.aborted) throw signal.reason;
          const failure = asInputError(error, piece.cid, source.name);
          logger?.warn({ cid: piece.cid, source: source.name, code: failure.code, reason: failure.reason }, "piece source failed");
          failures.push(failure);
        }
      }
      throw summarize(failures, piece.cid, pieceSources);
    });
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
          onResolved?.({ kind: "cid", source: source.name.startsWith("gateway of ") ? "gateway" : source.name, bytes: BigInt(size) });
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
    async resolve(input, { signal, cidSources: extra = [] } = {}) {
      signal?.throwIfAborted();
      if (input.piece === undefined && input.cid === undefined)
        throw new InputUnavailableError({ cid: `job ${input.job}`, reason: "a job input must be resolved to its result CID first" });
      await init();
      const hostPath =
        input.piece !== undefined
          ? await resolvePiece({ ...input, piece: input.piece }, signal)
          : await resolveCid({ ...input, cid: input.cid as string }, signal, extra);
      return { mount: input.mount, hostPath };
    },

    async has(ref, { signal } = {}) {
      await init();
      const piece = pieceQueryOfRef(ref);
      const prefix = `${piece.root.slice(2)}-${piece.paddedSize}-`;
      const cached = await readdir(dirs.pieces).catch(() => [] as string[]);
      if (cached.some((name) => name.startsWith(prefix))) return true;
      for (const source of pieceSources) if (await source.has(piece, { signal })) return true;
      return false;
    },
  };
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
