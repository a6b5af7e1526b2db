import type { SpecIssue } from "../errors/spec.js";
import { isPaddedSize } from "../piece/toPieceRef.js";
import { parsePieceCid } from "../piece/parsePieceCid.js";
import { MAX_INPUTS, MAX_OUTPUT_BYTES, MAX_WASM_MEMORY_MB, SPEC_DEFAULTS, SPEC_VERSION } from "./constants.js";
import {
  cidRule,
  dockerImageRule,
  ENV_KEY,
  ENV_KEY_RULE,
  formatPath,
  isWithin,
  jobIdRule,
  moduleCidRule,
  type Normalized,
  pathRule,
  pieceRule,
  sourceUrlRule,
  textRule,
} from "./rules.js";
import type { Spec } from "./schema.js";

// Job spec v1 without dependencies: what buildSpec (and so submitJob) runs, so a browser bundle
// carries no schema library. It reports the same issues, paths and messages as the zod schema
// exported as `specSchema` (schema.ts), and in the same order: test/sdk/specValidate.test.ts runs
// random valid and invalid specs through both. To stay equal it keeps zod's evaluation order:
// an object's fields in declaration order, then its unknown keys, then its cross-field rules,
// which run only when nothing below them failed to parse (a wrong type, an unknown field, a bad
// CID); rules that only narrow a value (a bound, a path rule) let the checks above them run.

/** An issue before formatting: `abort` marks the parse failures that stop the rules above them. */
type Issue = { path: PropertyKey[]; message: string; abort?: boolean };
/** What a field parses to, and what is wrong with it. */
type Result = { value: unknown; issues: Issue[] };
/** A field's parser. `optional` fields are left out of the output when undefined. */
type Field = ((value: unknown) => Result) & { optional?: true };

const ok = (value: unknown): Result => ({ value, issues: [] });
const fail = (value: unknown, message: string, abort = true): Result => ({ value, issues: [{ path: [], message, abort }] });
const aborted = (issues: readonly Issue[]) => issues.some((i) => i.abort);
/** The message zod's error map gives a value of the wrong type. */
const typeError = (value: unknown, expected: string): Result =>
  fail(value, value === undefined ? "is required" : `must be ${expected}`);
const isObject = (v: unknown): v is Record<PropertyKey, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const prefixed = (key: PropertyKey, issues: Issue[]): Issue[] => issues.map((i) => ({ ...i, path: [key, ...i.path] }));

function text(value: unknown): Result {
  if (typeof value !== "string") return typeError(value, "a string");
  const rule = textRule(value);
  return rule ? fail(value, rule, false) : ok(value);
}

/** A string rule that only reports (continues), or one that normalizes (aborts on failure, as a zod transform). */
const str = (rule: (s: string) => string | undefined) => (value: unknown) =>
  typeof value !== "string" ? typeError(value, "a string") : ((m) => (m ? fail(value, m, false) : ok(value)))(rule(value));
const normalized = (rule: (s: string) => Normalized) => (value: unknown) => {
  if (typeof value !== "string") return typeError(value, "a string");
  const r = rule(value);
  return r.message === undefined ? ok(r.value) : fail(value, r.message);
};

/** A safe integer from `min` to `max` (zod's `int()` with bounds). */
function int(value: unknown, min = -Infinity, max = Infinity): Result {
  if (typeof value !== "number" || !Number.isFinite(value) || !Number.isInteger(value)) return typeError(value, "an integer");
  if (!Number.isSafeInteger(value))
    return fail(value, value > 0 ? `must be at most ${Number.MAX_SAFE_INTEGER}` : `must be at least ${Number.MIN_SAFE_INTEGER}`, false);
  if (value < min) return fail(value, `must be at least ${min}`, false);
  if (value > max) return fail(value, `must be at most ${max}`, false);
  return ok(value);
}

const bool = (value: unknown) => (typeof value === "boolean" ? ok(value) : typeError(value, "true or false"));
const optional = (field: (value: unknown) => Result): Field =>
  Object.assign((value: unknown) => (value === undefined ? ok(undefined) : field(value)), { optional: true as const });
/** zod's `_default`: undefined gives the default without checking it. */
const withDefault = (field: (value: unknown) => Result, fallback: () => unknown) => (value: unknown) =>
  value === undefined ? ok(fallback()) : field(value);
const items = (n: number) => `${n} item${n === 1 ? "" : "s"}`;

/** An array of `element`; its length bounds are checked even when an element failed to parse (as zod does). */
function array(value: unknown, element: (v: unknown) => Result, min: number, max: number): Result {
  if (!Array.isArray(value)) return typeError(value, "an array");
  const out: Result = { value: [], issues: [] };
  value.forEach((item, i) => {
    const r = element(item);
    (out.value as unknown[]).push(r.value);
    out.issues.push(...prefixed(i, r.issues));
  });
  if (value.length < min) out.issues.push({ path: [], message: `must have at least ${items(min)}` });
  if (value.length > max) out.issues.push({ path: [], message: `must have at most ${items(max)}` });
  return out;
}

/** An object with exactly these fields, in this order; each unknown key is its own issue. */
function strict(value: unknown, shape: Record<string, Field>): Result {
  if (!isObject(value)) return typeError(value, "an object");
  const out: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const key in shape) {
    const field = shape[key]!;
    const r = field(value[key]);
    issues.push(...prefixed(key, r.issues));
    // zod leaves an optional field out of the value its rules see when it has any issue
    if (!(field.optional && (r.value === undefined || r.issues.length))) out[key] = r.value;
  }
  for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key)) issues.push({ path: [key], message: "unknown field", abort: true });
  return { value: out, issues };
}

/** Runs `rule` over a parsed object or array unless something below it failed to parse. */
function check<T>(result: Result, rule: (value: T, add: (path: PropertyKey[], message: string) => void) => void): Result {
  if (!aborted(result.issues)) rule(result.value as T, (path, message) => result.issues.push({ path, message }));
  return result;
}

function env(value: unknown): Result {
  if (value === undefined) return ok({});
  if (!isPlainObject(value)) return typeError(value, "an object");
  const out: Record<PropertyKey, unknown> = {};
  const issues: Issue[] = [];
  for (const key of Reflect.ownKeys(value)) {
    if (key === "__proto__") continue;
    if (typeof key !== "string" || !ENV_KEY.test(key)) {
      issues.push({ path: [key], message: typeof key === "string" ? ENV_KEY_RULE : "must be a string", abort: true });
      continue;
    }
    const r = text(value[key]);
    issues.push(...prefixed(key, r.issues));
    out[key] = r.value;
  }
  return check({ value: out, issues }, (record: object, add) => {
    if (Object.keys(record).length > 128) add([], "must have at most 128 variables");
  });
}

const args = withDefault((v) => array(v, text, 0, 256), () => []);

const ENGINES: Record<string, Record<string, Field>> = {
  wasm: {
    type: ok,
    module: normalized(moduleCidRule),
    sources: optional((v) =>
      check(array(v, str(sourceUrlRule), 0, 8), (urls: string[], add) => {
        if (new Set(urls).size !== urls.length) add([], "must not repeat a URL");
      }),
    ),
    entrypoint: withDefault((v) => {
      const r = text(v);
      if (r.issues.length || typeof v !== "string") return r;
      return v.length < 1 ? fail(v, "must be at least 1 character long", false) : v.length > 128 ? fail(v, "must be at most 128 characters long", false) : r;
    }, () => SPEC_DEFAULTS.entrypoint),
    args,
    env,
  },
  docker: {
    type: ok,
    image: str(dockerImageRule),
    command: optional((v) => array(v, text, 1, 256)),
    args,
    env,
  },
};

function engine(value: unknown): Result {
  if (!isObject(value)) return typeError(value, "an object");
  const type = value.type;
  const shape = type === "wasm" || type === "docker" ? ENGINES[type] : undefined;
  if (!shape)
    return { value, issues: [{ path: ["type"], message: 'must be "wasm" or "docker"', abort: true }] };
  return strict(value, shape);
}

const MAX_PIECE_SIZE_JSON = 2 ** 52; // the largest power of two that is a safe JSON integer

type ParsedInput = { piece?: string; cid?: string; job?: string; size?: number; mount: string; locality: boolean };

function input(value: unknown): Result {
  const parsed = strict(value, {
    piece: optional(normalized(pieceRule)),
    cid: optional(normalized(cidRule)),
    job: optional(str(jobIdRule)),
    size: optional((v) => int(v)),
    mount: str(pathRule),
    locality: withDefault(bool, () => false),
  });
  return check(parsed, (v: ParsedInput, add) => {
    const given = [v.piece, v.cid, v.job].filter((x) => x !== undefined).length;
    if (given !== 1) add(["piece"], "exactly one of piece, cid or job is required");
    if (v.locality && v.piece === undefined) add(["locality"], "requires a piece input (locality is proved per piece)");
    if (!isWithin(v.mount, "/inputs")) add(["mount"], "must be /inputs or a path under /inputs");
    if (v.piece === undefined) {
      if (v.size !== undefined) add(["size"], "is only allowed with a piece");
      return;
    }
    const version = parsePieceCid(v.piece).version;
    if (version === 2 && v.size !== undefined) add(["size"], "must be omitted for a v2 piece CID (the CID carries its size)");
    if (version === 1 && v.size === undefined) add(["size"], "is required for a v1 piece CID (baga…): give the padded size");
    if (version === 1 && v.size !== undefined && (v.size > MAX_PIECE_SIZE_JSON || !isPaddedSize(BigInt(v.size))))
      add(["size"], "must be a padded piece size: a power of two from 128 to 2^52");
  });
}

function inputs(value: unknown): Result {
  if (value === undefined) return ok([]);
  return check(array(value, input, 0, MAX_INPUTS), (list: ParsedInput[], add) => {
    for (let j = 0; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const [a, b] = [list[i]!.mount, list[j]!.mount];
        if (a === b) add([j, "mount"], `must be unique (inputs[${i}] uses it)`);
        else if (isWithin(a, b) || isWithin(b, a)) add([j, "mount"], `must not nest with inputs[${i}].mount`);
      }
    }
  });
}

/** zod's `prefault`: undefined parses as `{}`, so the defaults inside are filled in. */
const outputs = (value: unknown) =>
  check(strict(value === undefined ? {} : value, { path: withDefault(str(pathRule), () => SPEC_DEFAULTS.outputsPath) }), (v: { path: string }, add) => {
    if (isWithin(v.path, "/inputs")) add(["path"], "must not be /inputs or under it");
  });

const bounded = (min: number, max: number, fallback: number) => withDefault((v) => int(v, min, max), () => fallback);
const resources = (value: unknown) =>
  strict(value === undefined ? {} : value, {
    cpu: bounded(1, 64, SPEC_DEFAULTS.resources.cpu),
    memoryMb: bounded(1, 65_536, SPEC_DEFAULTS.resources.memoryMb),
    gpu: bounded(0, 8, SPEC_DEFAULTS.resources.gpu),
    timeoutSec: bounded(1, 86_400, SPEC_DEFAULTS.resources.timeoutSec),
    maxOutputBytes: bounded(1, MAX_OUTPUT_BYTES, SPEC_DEFAULTS.resources.maxOutputBytes),
  });

const literal = (expected: unknown, message: string) => (value: unknown) => (value === expected ? ok(value) : fail(value, message));

/**
 * Validates a job spec v1: the built spec (CIDs normalized, defaults filled in, plain data), or
 * every broken rule, one per field path (its first), in document order.
 */
export function validateSpec(value: unknown): { success: true; data: Spec } | { success: false; issues: SpecIssue[] } {
  const result = check(
    strict(value, {
      version: literal(SPEC_VERSION, `must be ${SPEC_VERSION} (this SDK reads job spec v1)`),
      engine,
      inputs,
      outputs,
      resources,
      network: withDefault(literal("none", 'must be "none" (v1 jobs have no network)'), () => SPEC_DEFAULTS.network),
      deterministic: optional(bool),
    }),
    (spec: Spec, add) => {
      if (spec.engine.type !== "wasm") return;
      if (spec.resources.gpu !== 0) add(["resources", "gpu"], "must be 0 for a wasm engine");
      if (spec.resources.memoryMb > MAX_WASM_MEMORY_MB)
        add(["resources", "memoryMb"], `must be at most ${MAX_WASM_MEMORY_MB} for a wasm engine (wasm32 memory limit)`);
    },
  );
  if (result.issues.length === 0) {
    const spec = result.value as Spec;
    // WASM runs are deterministic by construction; Docker runs only if the image is.
    const { deterministic, ...rest } = spec as Omit<Spec, "deterministic"> & { deterministic?: boolean };
    return { success: true, data: { ...rest, deterministic: deterministic ?? spec.engine.type === "wasm" } as Spec };
  }
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const { path, message } of result.issues) {
    const formatted = formatPath(path);
    if (!seen.has(formatted)) issues.push({ path: formatted, rule: message });
    seen.add(formatted);
  }
  return { success: false, issues };
}

/** zod's record check: an object whose constructor, if any, has an ordinary prototype. */
function isPlainObject(o: unknown): o is Record<PropertyKey, unknown> {
  if (!isObject(o)) return false;
  const ctor = o.constructor;
  if (ctor === undefined) return true;
  const prototype = (ctor as { prototype?: unknown }).prototype;
  return isObject(prototype) && Object.prototype.hasOwnProperty.call(prototype, "isPrototypeOf");
}
