import { z } from "zod/v4";

import { isPaddedSize } from "../piece/toPieceRef.js";
import { parsePieceCid } from "../piece/parsePieceCid.js";
import { MAX_INPUTS, MAX_OUTPUT_BYTES, MAX_WASM_MEMORY_MB, SPEC_DEFAULTS, SPEC_VERSION } from "./constants.js";
import {
  cidString,
  containerPath,
  dockerImage,
  envKey,
  isWithin,
  jobId,
  moduleCid,
  pieceString,
  sourceUrl,
  text,
} from "./fields.js";

// Job spec v1. The reference is docs/job-spec.md; keep the two in step.

const env = z
  .record(envKey, text)
  .refine((record) => Object.keys(record).length <= 128, { error: "must have at most 128 variables" })
  .default({});
const args = z.array(text).max(256).default([]);

const wasmEngine = z.strictObject({
  type: z.literal("wasm"),
  module: moduleCid,
  sources: z
    .array(sourceUrl)
    .max(8)
    .refine((urls) => new Set(urls).size === urls.length, { error: "must not repeat a URL" })
    .optional(),
  entrypoint: text.min(1).max(128).default(SPEC_DEFAULTS.entrypoint),
  args,
  env,
});

const dockerEngine = z.strictObject({
  type: z.literal("docker"),
  image: dockerImage,
  command: z.array(text).min(1).max(256).optional(),
  args,
  env,
});

const engine = z.discriminatedUnion("type", [wasmEngine, dockerEngine], {
  error: (issue) => (issue.code === "invalid_union" ? 'must be "wasm" or "docker"' : undefined),
});

const MAX_PIECE_SIZE_JSON = 2 ** 52; // the largest power of two that is a safe JSON integer

const input = z
  .strictObject({
    piece: pieceString.optional(),
    cid: cidString.optional(),
    job: jobId.optional(),
    size: z.int().optional(),
    mount: containerPath,
    locality: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    const given = [value.piece, value.cid, value.job].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: "custom", path: ["piece"], message: "exactly one of piece, cid or job is required" });
    if (value.locality && value.piece === undefined)
      ctx.addIssue({ code: "custom", path: ["locality"], message: "requires a piece input (locality is proved per piece)" });
    if (!isWithin(value.mount, "/inputs"))
      ctx.addIssue({ code: "custom", path: ["mount"], message: "must be /inputs or a path under /inputs" });
    if (value.piece === undefined) {
      if (value.size !== undefined) ctx.addIssue({ code: "custom", path: ["size"], message: "is only allowed with a piece" });
      return;
    }
    const version = parsePieceCid(value.piece).version;
    if (version === 2 && value.size !== undefined)
      ctx.addIssue({ code: "custom", path: ["size"], message: "must be omitted for a v2 piece CID (the CID carries its size)" });
    if (version === 1 && value.size === undefined)
      ctx.addIssue({ code: "custom", path: ["size"], message: "is required for a v1 piece CID (baga…): give the padded size" });
    if (version === 1 && value.size !== undefined && (value.size > MAX_PIECE_SIZE_JSON || !isPaddedSize(BigInt(value.size))))
      ctx.addIssue({ code: "custom", path: ["size"], message: "must be a padded piece size: a power of two from 128 to 2^52" });
  });

const inputs = z
  .array(input)
  .max(MAX_INPUTS)
  .default([])
  .superRefine((list, ctx) => {
    for (let j = 0; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const [a, b] = [list[i].mount, list[j].mount];
        if (a === b) ctx.addIssue({ code: "custom", path: [j, "mount"], message: `must be unique (inputs[${i}] uses it)` });
        else if (isWithin(a, b) || isWithin(b, a))
          ctx.addIssue({ code: "custom", path: [j, "mount"], message: `must not nest with inputs[${i}].mount` });
      }
    }
  });

const resources = z
  .strictObject({
    cpu: z.int().min(1).max(64).default(SPEC_DEFAULTS.resources.cpu),
    memoryMb: z.int().min(1).max(65_536).default(SPEC_DEFAULTS.resources.memoryMb),
    gpu: z.int().min(0).max(8).default(SPEC_DEFAULTS.resources.gpu),
    timeoutSec: z.int().min(1).max(86_400).default(SPEC_DEFAULTS.resources.timeoutSec),
    maxOutputBytes: z.int().min(1).max(MAX_OUTPUT_BYTES).default(SPEC_DEFAULTS.resources.maxOutputBytes),
  })
  .prefault({});

const outputs = z
  .strictObject({ path: containerPath.default(SPEC_DEFAULTS.outputsPath) })
  .superRefine((value, ctx) => {
    if (isWithin(value.path, "/inputs"))
      ctx.addIssue({ code: "custom", path: ["path"], message: "must not be /inputs or under it" });
  })
  .prefault({});

/** The zod schema of job spec v1: validates, normalizes CIDs and fills in defaults. */
export const specSchema = z
  .strictObject({
    version: z.literal(SPEC_VERSION, { error: `must be ${SPEC_VERSION} (this SDK reads job spec v1)` }),
    engine,
    inputs,
    outputs,
    resources,
    network: z.literal("none", { error: 'must be "none" (v1 jobs have no network)' }).default(SPEC_DEFAULTS.network),
    deterministic: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.engine.type !== "wasm") return;
    if (spec.resources.gpu !== 0)
      ctx.addIssue({ code: "custom", path: ["resources", "gpu"], message: "must be 0 for a wasm engine" });
    if (spec.resources.memoryMb > MAX_WASM_MEMORY_MB)
      ctx.addIssue({
        code: "custom",
        path: ["resources", "memoryMb"],
        message: `must be at most ${MAX_WASM_MEMORY_MB} for a wasm engine (wasm32 memory limit)`,
      });
  })
  .transform(({ deterministic, ...spec }) => ({
    ...spec,
    // WASM runs are deterministic by construction; Docker runs only if the image is.
    deterministic: deterministic ?? spec.engine.type === "wasm",
  }));

/** A job spec as written: optional fields may be left out. */
export type SpecInput = z.input<typeof specSchema>;
/** A built job spec: validated, normalized, every default filled in. */
export type Spec = z.output<typeof specSchema>;
/** The engine of a built spec. */
export type SpecEngine = Spec["engine"];
/** A WASM engine: a module by CID, run under WASI. */
export type WasmEngine = Extract<SpecEngine, { type: "wasm" }>;
/** A Docker engine: an image pinned by digest. */
export type DockerEngine = Extract<SpecEngine, { type: "docker" }>;
/** One input of a built spec. */
export type SpecInputEntry = Spec["inputs"][number];
/** The resources of a built spec. */
export type SpecResources = Spec["resources"];
