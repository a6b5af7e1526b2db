// buildSpec runs a dependency-free validator (sdk/src/spec/validate.ts) so that browser bundles
// carry no schema library; `specSchema` (zod/v4/mini) stays exported. These properties run random
// valid and invalid specs through both and require the same outcome: accepted with the same built
// spec (key order included), or refused with the same issues (paths, rules and their order).
import assert from "node:assert/strict";

import fc from "fast-check";
import { base36 } from "multiformats/bases/base36";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { sha256, sha512 } from "multiformats/hashes/sha2";

import { InvalidSpecError } from "../../sdk/src/errors/index.js";
import { pieceCid } from "../../sdk/src/piece/index.js";
import { buildSpec, specSchema } from "../../sdk/src/spec/index.js";
import { specErrorMap, toInvalidSpecError } from "../../sdk/src/spec/issues.js";
import { validateSpec } from "../../sdk/src/spec/validate.js";
import { payloadOf } from "../helpers/piece.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const RAW_CID = CID.create(1, 0x55, await sha256.digest(bytes("(module)")));
const PB_CID = CID.create(1, 0x70, await sha256.digest(bytes("data")));
const V0_CID = CID.createV0(await sha256.digest(bytes("v0")));
const SHA512_CID = CID.create(1, 0x55, await sha512.digest(bytes("512")));
const CBOR_CID = CID.create(1, 0x71, await sha256.digest(bytes("cbor")));
const PIECE = pieceCid(payloadOf("x1000", 1000)); // height 5: 1024-byte piece
const DIGEST = `@sha256:${"ab".repeat(32)}`;

/** What zod says, in the form buildSpec reports: the built spec or InvalidSpecError's issues. */
function viaZod(input: unknown) {
  const result = specSchema.safeParse(input, { error: specErrorMap });
  if (!result.success) return { success: false as const, issues: toInvalidSpecError(result.error).issues };
  return { success: true as const, data: withoutUndefined(result.data) };
}

/** zod keeps explicit `undefined` for optional fields; buildSpec returned them dropped. */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = withoutUndefined(member);
  return out as T;
}

function assertSame(input: unknown): boolean {
  const expected = viaZod(input);
  const actual = validateSpec(input);
  assert.deepStrictEqual(actual, expected);
  // deepStrictEqual ignores key order; the built spec keeps zod's
  if (expected.success) assert.equal(JSON.stringify(actual), JSON.stringify(expected));
  return expected.success;
}

// Values of the wrong type, for any field.
const junk = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "", "x", [], {}, ["x"], { a: 1 }, 10n),
  fc.string({ maxLength: 4 }),
  fc.integer(),
);
/** Mostly `arb`, sometimes a value of any type. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: junk });

const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("a\0b", "x\uD800", "\uDC00", "naïve ✓", ""));
const cids = [RAW_CID.toString(), PB_CID.toString(), V0_CID.toString(), SHA512_CID.toString(), CBOR_CID.toString(),
  RAW_CID.toString(base58btc), PB_CID.toString(base36), RAW_CID.toString().toUpperCase().replace(/^B/, "b"),
  `z${V0_CID.toString()}`, V0_CID.toV1().toString(), PIECE.v1, PIECE.v2, "hello", "bafy", "b", "Qm", "k2", "", `${RAW_CID}=`];
const cid = maybe(fc.oneof(fc.constantFrom(...cids), fc.string({ maxLength: 8 }).map((s) => `b${s}`)));
const piece = maybe(fc.constantFrom(PIECE.v1, PIECE.v2, PIECE.v2.toUpperCase().replace(/^B/, "b"), RAW_CID.toString(), "baga", "nope"));
const jobId = maybe(fc.oneof(fc.constantFrom("42", "1", "042", "0", "-1", "1e3", `1${"0".repeat(77)}`, `1${"0".repeat(78)}`), fc.bigInt({ min: 1n, max: 2n ** 257n }).map(String)));
const size = maybe(fc.constantFrom(1024, 128, 64, 1000, 2 ** 52, 2 ** 53, 2 ** 60, -128, 1.5, 0));
const mount = maybe(fc.constantFrom("/inputs", "/inputs/a", "/inputs/a/b", "/inputs/b", "/inputs/a/", "/inputs/./a", "/inputs/../x", "/in", "inputs/a", "/", "/outputs", `/inputs/${"a".repeat(260)}`, "/inputs/a b"));
const path = maybe(fc.constantFrom("/outputs", "/out", "/inputs", "/inputs/x", "out", "/", "/a//b", "/x/.."));
const url = fc.constantFrom("https://example.org/m.wasm", "http://10.0.0.1/ipfs/m", "ftp://x/y", "https://u:p@x/y", "not a url", `https://x/${"a".repeat(2050)}`);
const bound = maybe(fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.constantFrom(0, 1, 8, 9, 64, 65, 4096, 4097, 65_536, 65_537, 86_400, 86_401, 1_073_741_824, 1_073_741_825, 2 ** 53, -(2 ** 53), 0.5)));

/** `model` with any subset of its keys, sometimes with an unknown key (in any position) too. */
function object<T extends Record<string, fc.Arbitrary<unknown>>>(model: T) {
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.option(fc.constantFrom("extra", "1", "bad key", "toString", "__proto__"), { freq: 5 }), fc.boolean())
    .map(([record, extra, first]) => {
      if (extra === null) return record;
      const out: Record<string, unknown> = first ? {} : { ...record };
      Object.defineProperty(out, extra, { value: 1, enumerable: true, writable: true, configurable: true });
      return first ? Object.assign(out, record) : out;
    });
}

const env = maybe(
  fc.oneof(
    { weight: 5, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom("A", "_X", "RUST_LOG", "bad-key", "a", "9A", "__proto__"), fc.string({ maxLength: 3 })), text, { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`K${i}`, "v"])), Object.create(null), new Map()) },
  ),
);
const list = <T>(arb: fc.Arbitrary<T>, max: number) =>
  maybe(fc.oneof({ weight: 5, arbitrary: fc.array(arb, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(arb, { minLength: max + 1, maxLength: max + 1 }) }));

const wasm = object({
  type: fc.constant("wasm"),
  module: cid,
  sources: list(url, 8),
  entrypoint: maybe(fc.constantFrom("main", "_start", "", "x".repeat(129), "a\0")),
  args: list(text, 256),
  env,
});
const docker = object({
  type: fc.constant("docker"),
  image: maybe(fc.constantFrom(`ghcr.io/shoal/runner:1.2${DIGEST}`, `busybox${DIGEST}`, "ubuntu", `UPPER${DIGEST}`, `${"a".repeat(520)}${DIGEST}`)),
  command: list(text, 256),
  args: list(text, 256),
  env,
});
const engine = fc.oneof({ weight: 4, arbitrary: wasm }, { weight: 3, arbitrary: docker }, { weight: 1, arbitrary: fc.constantFrom({ type: "vm" }, {}, { module: "x" }) }, { weight: 1, arbitrary: junk });
const input = maybe(object({ piece, cid, job: jobId, size, mount, locality: maybe(fc.boolean()) }));
const spec = fc.oneof(
  { weight: 12, arbitrary: object({
    version: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: junk }),
    engine,
    inputs: maybe(fc.oneof({ weight: 6, arbitrary: fc.array(input, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(input, { minLength: 17, maxLength: 17 }) })),
    outputs: maybe(object({ path })),
    resources: maybe(object({ cpu: bound, memoryMb: bound, gpu: bound, timeoutSec: bound, maxOutputBytes: bound })),
    network: maybe(fc.constant("none")),
    deterministic: maybe(fc.boolean()),
  }) },
  { weight: 1, arbitrary: junk },
);

/** Specs that pass every rule, so acceptance (and the built spec) is compared as often as refusal. */
const validInput = fc.record(
  {
    piece: fc.constantFrom(PIECE.v2),
    mount: fc.constantFrom("/inputs/a", "/inputs/b/c", "/inputs/d"),
    locality: fc.boolean(),
  },
  { requiredKeys: ["piece", "mount"] },
);
const validSpec = fc.record(
  {
    version: fc.constant(1),
    engine: fc.oneof(
      fc.record({ type: fc.constant("wasm"), module: fc.constantFrom(...cids.slice(0, 3), cids[5]!, cids[6]!), args: fc.array(fc.string(), { maxLength: 3 }), env: fc.dictionary(fc.constantFrom("A", "B_1"), fc.string()) }, { requiredKeys: ["type", "module"] }),
      fc.record({ type: fc.constant("docker"), image: fc.constant(`busybox${DIGEST}`), command: fc.array(fc.string(), { minLength: 1, maxLength: 2 }) }, { requiredKeys: ["type", "image"] }),
    ),
    inputs: fc.uniqueArray(validInput, { maxLength: 3, selector: (i) => i.mount }),
    resources: fc.record({ cpu: fc.integer({ min: 1, max: 64 }), memoryMb: fc.integer({ min: 1, max: 4096 }) }, { requiredKeys: [] }),
    deterministic: fc.boolean(),
  },
  { requiredKeys: ["version", "engine"] },
);

describe("job spec validator (buildSpec) and specSchema (zod) agree", () => {
  it("on random specs, valid and invalid: same acceptance, built spec, issue paths, rules and order (property)", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(spec, validSpec), (input) => {
        if (assertSame(input)) accepted++;
        else refused++;
      }),
      { numRuns: 3000 },
    );
    // Both sides of the comparison were exercised (a generator that only made junk would pass trivially).
    assert.ok(accepted > 300 && refused > 300, `accepted ${accepted}, refused ${refused}`);
  });

  it("on every rule's edge, one field at a time", () => {
    const base = { version: 1, engine: { type: "wasm", module: cids[0] } };
    const cases: unknown[] = [
      undefined, null, [], "spec", 1,
      { ...base, engine: { type: "wasm", module: cids[0], env: { ["bad-key"]: "x", A: "\0" } } },
      { ...base, engine: { type: "wasm", module: cids[0], env: { [Symbol("s")]: "x" } } },
      { ...base, engine: { type: "wasm", module: cids[0], sources: ["https://a/x", "https://a/x"] } },
      { ...base, engine: { type: "wasm", module: cids[0], args: [1, ...Array(256).fill("x")] } },
      { ...base, inputs: [{ piece: PIECE.v1, mount: "/inputs/a" }, { piece: PIECE.v2, size: 1024, mount: "/inputs/a/b" }] },
      { ...base, inputs: [{ cid: PIECE.v2, mount: "/inputs" }, { job: "7", size: 128, locality: true, mount: "/inputs" }] },
      { ...base, inputs: [{ piece: PIECE.v1, size: 2 ** 60, mount: "/inputs/a" }] },
      { ...base, inputs: [{ piece: PIECE.v2, mount: "/inputs/a" }, { cid: cids[1], mount: "/inputs/a" }, { job: "3", mount: "/inputs/a/b" }] },
      { ...base, resources: { gpu: 1, memoryMb: 5000 } },
      { ...base, resources: { gpu: 1, memoryMb: 5000, cpu: 1.5 } },
      { ...base, resources: null, outputs: null },
      { ...base, outputs: { path: "/inputs/x" } },
      { ...base, network: "host", deterministic: "yes" },
      { ...base, engine: { type: "docker", image: "ubuntu", command: [] } },
      Object.assign(Object.create({ version: 1 }), { engine: base.engine }),
    ];
    for (const input of cases) assertSame(input);
  });

  it("buildSpec throws the validator's issues as an InvalidSpecError", () => {
    const input = { version: 1, engine: { type: "docker", image: "ubuntu" }, resources: { cpu: 0 }, extra: 1 };
    const expected = viaZod(input);
    assert.ok(!expected.success);
    assert.throws(
      () => buildSpec(input as never),
      (error: unknown) => error instanceof InvalidSpecError && assert.deepStrictEqual(error.issues, expected.issues) === undefined,
    );
  });
});
