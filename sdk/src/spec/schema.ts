import * as z from "zod/v4/mini";

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
  rules,
  sourceUrl,
  text,
} from "./fields.js";

// Job spec v1. The reference is docs/job-spec.md; keep the two in step. Written with zod's
// functional API (zod/v4/mini) so a browser bundle keeps only what is used here.

/** An integer from `min` to `max`, `fallback` when left out. */
const int = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);

const env = z._default(
  z.record(envKey, text).check(z.refine((record) => Object.keys(record).length <= 128, { error: "must have at most 128 variables" })),
  {},
);
const args = z._default(z.array(text).check(z.maxLength(256)), []);

const wasmEngine = z.strictObject({
  type: z.literal("wasm"),
  module: moduleCid,
  sources: z.optional(
    z.array(sourceUrl).check(
      z.maxLength(8),
      z.refine((urls) => new Set(urls).size === urls.length, { error: "must not repeat a URL" }),
    ),
  ),
  entrypoint: z._default(text.check(z.minLength(1), z.maxLength(128)), SPEC_DEFAULTS.entrypoint),
  args,
  env,
});

const dockerEngine = z.strictObject({
  type: z.literal("docker"),
  image: dockerImage,
  command: z.optional(z.array(text).check(z.minLength(1), z.maxLength(256))),
  args,
  env,
});

const engine = z.discriminatedUnion("type", [wasmEngine, dockerEngine], {
  error: (issue) => (issue.code === "invalid_union" ? 'must be "wasm" or "docker"' : undefined),
});

const MAX_PIECE_SIZE_JSON = 2 ** 52; // the largest power of two that is a safe JSON integer

const input = z
  .strictObject({
    piece: z.optional(pieceString),
    cid: z.optional(cidString),
    job: z.optional(jobId),
    size: z.optional(z.int()),
    mount: containerPath,
    locality: z._default(z.boolean(), false),
  })
  .check(
    rules((value, ctx) => {
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
    }),
  );

const inputs = z
  ._default(z.array(input).check(z.maxLength(MAX_INPUTS)), [])
  .check(
    rules((list, ctx) => {
      for (let j = 0; j < list.length; j++) {
        for (let i = 0; i < j; i++) {
          const [a, b] = [list[i].mount, list[j].mount];
          if (a === b) ctx.addIssue({ code: "custom", path: [j, "mount"], message: `must be unique (inputs[${i}] uses it)` });
          else if (isWithin(a, b) || isWithin(b, a))
            ctx.addIssue({ code: "custom", path: [j, "mount"], message: `must not nest with inputs[${i}].mount` });
        }
      }
    }),
  );

const resources = z.prefault(
  z.strictObject({
    cpu: int(1, 64, SPEC_DEFAULTS.resources.cpu),
    memoryMb: int(1, 65_536, SPEC_DEFAULTS.resources.memoryMb),
    gpu: int(0, 8, SPEC_DEFAULTS.resources.gpu),
    timeoutSec: int(1, 86_400, SPEC_DEFAULTS.resources.timeoutSec),
    maxOutputBytes: int(1, MAX_OUTPUT_BYTES, SPEC_DEFAULTS.resources.maxOutputBytes),
  }),
  {},
);

const outputs = z.prefault(
  z.strictObject({ path: z._default(containerPath, SPEC_DEFAULTS.outputsPath) }).check(
    rules((value, ctx) => {
      if (isWithin(value.path, "/inputs")) ctx.addIssue({ code: "custom", path: ["path"], message: "must not be /inputs or under it" });
    }),
  ),
  {},
);

/** The zod schema of job spec v1 (zod/v4/mini): validates, normalizes CIDs and fills in defaults. */
export const specSchema = z.pipe(
  z
    .strictObject({
      version: z.literal(SPEC_VERSION, { error: `must be ${SPEC_VERSION} (this SDK reads job spec v1)` }),
      engine,
      inputs,
      outputs,
      resources,
      network: z._default(z.literal("none", { error: 'must be "none" (v1 jobs have no network)' }), SPEC_DEFAULTS.network),
      deterministic: z.optional(z.boolean()),
    })
    .check(
      rules((spec, ctx) => {
        if (spec.engine.type !== "wasm") return;
        if (spec.resources.gpu !== 0)
          ctx.addIssue({ code: "custom", path: ["resources", "gpu"], message: "must be 0 for a wasm engine" });
        if (spec.resources.memoryMb > MAX_WASM_MEMORY_MB)
          ctx.addIssue({
            code: "custom",
            path: ["resources", "memoryMb"],
            message: `must be at most ${MAX_WASM_MEMORY_MB} for a wasm engine (wasm32 memory limit)`,
          });
      }),
    ),
  z.transform(({ deterministic, ...spec }) => ({
    ...spec,
    // WASM runs are deterministic by construction; Docker runs only if the image is.
    deterministic: deterministic ?? spec.engine.type === "wasm",
  })),
);

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
