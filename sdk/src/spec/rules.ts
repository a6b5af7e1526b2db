import { InvalidPieceCidError } from "../errors/piece.js";
import { parseCid, toV1String } from "../internal/cid.js";
import { parsePieceCid } from "../piece/parsePieceCid.js";

// The leaf rules of job spec v1, each phrased as what the field must be. Both the validator that
// buildSpec runs (validate.ts, no dependencies) and the zod schema exported as `specSchema`
// (schema.ts, fields.ts) call these, so a rule and its message live in one place.

const SHA2_256 = 0x12;
const RAW = 0x55;
const DAG_PB = 0x70;

/** Lone UTF-16 surrogates cannot be encoded as UTF-8. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** A string value's first broken rule: well-formed Unicode, no NUL (argv and env cannot hold one). */
export function textRule(s: string): string | undefined {
  if (LONE_SURROGATE.test(s)) return "must be well-formed Unicode (no lone surrogates)";
  if (s.includes("\0")) return "must not contain NUL characters";
  return undefined;
}

/** An environment variable name. */
export const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
export const ENV_KEY_RULE = "keys must match [A-Z_][A-Z0-9_]*";

/** A rule's outcome on a value that it also normalizes. */
export type Normalized = { value: string; message?: undefined } | { message: string };

/** Any CID, normalized to CIDv1 base32. Piece CIDs belong in `piece`. */
export function cidRule(source: string): Normalized {
  const cid = tryParseCid(source);
  if (!cid) return { message: "must be a CID" };
  if (cid.code === 0xf101 || (cid.code === RAW && cid.multihashCode === 0x1011))
    return { message: "is a piece CID: put it in `piece` instead" };
  return { value: toV1String(cid) };
}

/** A WASM module CID: sha2-256, raw (the module's bytes) or dag-pb (a UnixFS file), normalized to CIDv1 base32. */
export function moduleCidRule(source: string): Normalized {
  const cid = tryParseCid(source);
  if (!cid || cid.multihashCode !== SHA2_256 || (cid.code !== RAW && cid.code !== DAG_PB))
    return { message: "must be a sha2-256 CID with codec raw or dag-pb" };
  return { value: toV1String(cid) };
}

/** A Filecoin piece CID (v1 `baga…` or v2 `bafkzcib…`), normalized to base32. */
export function pieceRule(source: string): Normalized {
  try {
    return { value: parsePieceCid(source).cid };
  } catch (error) {
    const reason = error instanceof InvalidPieceCidError ? `: ${error.reason}` : "";
    return { message: `must be a piece CID, v1 (baga…) or v2 (bafkzcib…)${reason}` };
  }
}

/**
 * A job of the same market whose settled result is an input (a pipeline step): its ID as a
 * decimal string (JSON integers stop at 2^53; job IDs are uint256), without sign or leading zeros.
 */
export function jobIdRule(source: string): string | undefined {
  if (!/^[1-9][0-9]*$/.test(source)) return 'must be a job ID as a decimal string, e.g. "42"';
  if (source.length > 78 || BigInt(source) >= 2n ** 256n) return "must be below 2^256";
  return undefined;
}

/** An http(s) URL without credentials. */
export function sourceUrlRule(source: string): string | undefined {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return "must be an http(s) URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (url.username || url.password) return "must not contain credentials";
  if (source.length > 2048) return "must be at most 2048 characters";
  return undefined;
}

const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_PATH_LENGTH = 256;

/** Why `path` is not a normalized absolute container path, or undefined when it is. */
export function pathRule(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path";
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (path === "/") return "must not be the root directory";
  const segments = path.slice(1).split("/");
  if (segments.includes("..")) return "must not contain '..'";
  if (segments.some((s) => s === "" || s === "."))
    return "must be a normalized path (no '.', empty segments or trailing '/')";
  if (!segments.every((s) => PATH_SEGMENT.test(s))) return "may only use A-Z a-z 0-9 . _ - in each segment";
  return undefined;
}

/** Whether `path` is `dir` or lies under it. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

const DIGEST = /@sha256:[a-f0-9]{64}$/;
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE = new RegExp(
  `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$`,
);

/** A Docker image reference pinned by digest: `name[:tag]@sha256:<64 hex>`. */
export function dockerImageRule(image: string): string | undefined {
  if (!DIGEST.test(image)) return "must be pinned by digest (name@sha256:<64 hex>)";
  if (image.length > 512 || !IMAGE.test(image)) return "must be a valid image reference (lowercase name[:tag]@sha256:<64 hex>)";
  return undefined;
}

/** Formats a field path: `inputs[0].mount`, `engine.env["bad-key"]`, or `spec` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "spec";
}

function tryParseCid(source: string) {
  try {
    return parseCid(source);
  } catch {
    return undefined;
  }
}
