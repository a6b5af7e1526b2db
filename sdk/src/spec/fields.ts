import { CID } from "multiformats/cid";
import * as z from "zod/v4/mini";

import { InvalidPieceCidError } from "../errors/piece.js";
import { parsePieceCid } from "../piece/parsePieceCid.js";

// Field schemas of job spec v1. Each rule's message says what the field must be; the field path
// is added by `toInvalidSpecError`. Written with zod's functional API (zod/v4/mini), which a
// browser bundle tree-shakes down to the parts used here (`npm run bundle-size`).

const SHA2_256 = 0x12;
const RAW = 0x55;
const DAG_PB = 0x70;

/** Lone UTF-16 surrogates cannot be encoded as UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A string that can appear in a spec: well-formed Unicode, no NUL (argv and env cannot hold one). */
export const text = z.string().check(
  z.refine((s) => !LONE_SURROGATE.test(s), { error: "must be well-formed Unicode (no lone surrogates)" }),
  z.refine((s) => !s.includes("\0"), { error: "must not contain NUL characters" }),
);

/** An environment variable name. */
export const envKey = z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/, { error: "keys must match [A-Z_][A-Z0-9_]*" }));

/** Any CID, normalized to CIDv1 base32. Piece CIDs belong in `piece`. */
export const cidString = z.pipe(
  z.string(),
  z.transform((source: string, ctx) => {
    const cid = parseCid(source);
    if (!cid) {
      ctx.issues.push({ code: "custom", input: source, message: "must be a CID" });
      return z.NEVER;
    }
    if (isPieceCid(cid)) {
      ctx.issues.push({ code: "custom", input: source, message: "is a piece CID: put it in `piece` instead" });
      return z.NEVER;
    }
    return CID.decode(cid.toV1().bytes).toString();
  }),
);

/**
 * A job of the same market whose settled result is an input (a pipeline step): its ID as a
 * decimal string (JSON integers stop at 2^53; job IDs are uint256), without sign or leading zeros.
 */
export const jobId = z.string().check(
  rules((source: string, ctx) => {
    if (!/^[1-9][0-9]*$/.test(source)) ctx.addIssue({ code: "custom", message: 'must be a job ID as a decimal string, e.g. "42"' });
    else if (source.length > 78 || BigInt(source) >= 2n ** 256n) ctx.addIssue({ code: "custom", message: "must be below 2^256" });
  }),
);

/** A WASM module CID: sha2-256, raw (the module's bytes) or dag-pb (a UnixFS file), normalized to CIDv1 base32. */
export const moduleCid = z.pipe(
  z.string(),
  z.transform((source: string, ctx) => {
    const cid = parseCid(source);
    if (!cid || cid.multihash.code !== SHA2_256 || (cid.code !== RAW && cid.code !== DAG_PB)) {
      ctx.issues.push({ code: "custom", input: source, message: "must be a sha2-256 CID with codec raw or dag-pb" });
      return z.NEVER;
    }
    return CID.decode(cid.toV1().bytes).toString();
  }),
);

/** A Filecoin piece CID (v1 `baga…` or v2 `bafkzcib…`), normalized to base32. */
export const pieceString = z.pipe(
  z.string(),
  z.transform((source: string, ctx) => {
    try {
      return parsePieceCid(source).cid;
    } catch (error) {
      const reason = error instanceof InvalidPieceCidError ? `: ${error.reason}` : "";
      ctx.issues.push({ code: "custom", input: source, message: `must be a piece CID, v1 (baga…) or v2 (bafkzcib…)${reason}` });
      return z.NEVER;
    }
  }),
);

/** An http(s) URL without credentials. */
export const sourceUrl = z.string().check(
  rules((source: string, ctx) => {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
    else if (url.username || url.password) ctx.addIssue({ code: "custom", message: "must not contain credentials" });
    else if (source.length > 2048) ctx.addIssue({ code: "custom", message: "must be at most 2048 characters" });
  }),
);

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

/** A normalized absolute container path. */
export const containerPath = z.string().check(
  rules((path: string, ctx) => {
    const rule = pathRule(path);
    if (rule) ctx.addIssue({ code: "custom", message: rule });
  }),
);

const DIGEST = /@sha256:[a-f0-9]{64}$/;
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE = new RegExp(
  `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$`,
);

/** A Docker image reference pinned by digest: `name[:tag]@sha256:<64 hex>`. */
export const dockerImage = z.string().check(
  rules((image: string, ctx) => {
    if (!DIGEST.test(image)) ctx.addIssue({ code: "custom", message: "must be pinned by digest (name@sha256:<64 hex>)" });
    else if (image.length > 512 || !IMAGE.test(image))
      ctx.addIssue({ code: "custom", message: "must be a valid image reference (lowercase name[:tag]@sha256:<64 hex>)" });
  }),
);

/** A check that may report several issues, each with its own message and path (zod's superRefine). */
export function rules<T>(
  fn: (value: T, ctx: { addIssue(issue: { code: "custom"; message: string; path?: PropertyKey[] }): void }) => void,
): z.core.$ZodCheck<T> {
  return z.check<T>((payload) => {
    fn(payload.value, { addIssue: (issue) => payload.issues.push({ ...issue, input: payload.value, continue: true }) });
  });
}

function parseCid(source: string): CID | undefined {
  try {
    return CID.parse(source);
  } catch {
    return undefined;
  }
}

function isPieceCid(cid: CID): boolean {
  return cid.code === 0xf101 || (cid.code === RAW && cid.multihash.code === 0x1011);
}
