import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import fc from "fast-check";
import { CID } from "multiformats/cid";
import { base58btc } from "multiformats/bases/base58";
import { sha256 } from "multiformats/hashes/sha2";
import { keccak256, toHex } from "viem";

import { InvalidSpecError, ShoalError, SpecTooLargeError } from "../../sdk/src/errors/index.js";
import { pieceCid } from "../../sdk/src/piece/index.js";
import {
  MAX_SPEC_SIZE,
  type SpecInput,
  buildSpec,
  decodeSpec,
  encodeSpec,
  hashSpec,
  toCanonicalJson,
} from "../../sdk/src/spec/index.js";
import { payloadOf } from "../helpers/piece.js";

const MODULE = CID.create(1, 0x55, await sha256.digest(new TextEncoder().encode("(module)"))).toString();
const PIECE = pieceCid(payloadOf("x1000", 1000)); // height 5: 1024-byte piece
const DATA_CID = CID.create(1, 0x70, await sha256.digest(new TextEncoder().encode("data"))).toString();
const IMAGE = `ghcr.io/shoal/runner:1.2@sha256:${"ab".repeat(32)}`;

const WASM = { version: 1, engine: { type: "wasm", module: MODULE } } as const satisfies SpecInput;

const FULL_WASM = {
  version: 1,
  engine: {
    type: "wasm",
    module: MODULE,
    sources: ["https://example.org/mod.wasm", "http://10.0.0.1:8080/ipfs/mod"],
    entrypoint: "main",
    args: ["--rounds", "10", "naïve ✓"],
    env: { RUST_LOG: "info", _X: "" },
  },
  inputs: [
    { piece: PIECE.v2, mount: "/inputs/a", locality: true },
    { piece: PIECE.v1, size: 1024, mount: "/inputs/b" },
    { cid: DATA_CID, mount: "/inputs/c/d" },
  ],
  outputs: { path: "/out" },
  resources: { cpu: 4, memoryMb: 4096, gpu: 0, timeoutSec: 86_400, maxOutputBytes: 1_073_741_824 },
  network: "none",
  deterministic: true,
} as const satisfies SpecInput;

const DOCKER = {
  version: 1,
  engine: { type: "docker", image: IMAGE, command: ["python", "-m", "job"], args: ["x"], env: { A: "1" } },
  inputs: [{ piece: PIECE.v2, mount: "/inputs", locality: true }],
  resources: { cpu: 64, memoryMb: 65_536, gpu: 8, timeoutSec: 1, maxOutputBytes: 1 },
} as const satisfies SpecInput;

/** A deep copy of `value` with every object's keys in the order `order` picks. */
function reorder(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reorder(item, order));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(order(Object.keys(record)).map((key) => [key, reorder(record[key], order)]));
}

/** A deep copy of `spec` with `mutate` applied (mutate may edit the copy in place). */
function variant(base: object, mutate: (spec: any) => void): unknown {
  const copy = structuredClone(base) as any;
  mutate(copy);
  return copy;
}

function rejects(input: unknown, path: string, rule: string | RegExp): void {
  assert.throws(
    () => buildSpec(input as SpecInput),
    (error: unknown) => {
      assert.ok(error instanceof InvalidSpecError, `expected InvalidSpecError, got ${error}`);
      const issue = error.issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}; got ${JSON.stringify(error.issues)}`);
      if (typeof rule === "string") assert.ok(issue.rule.includes(rule), `${path}: "${issue.rule}" lacks "${rule}"`);
      else assert.match(issue.rule, rule);
      assert.ok(error.shortMessage.startsWith("Invalid job spec: "));
      return true;
    },
  );
}

describe("job spec v1", () => {
  describe("buildSpec", () => {
    it("fills in every default of a minimal wasm spec", () => {
      assert.deepEqual(buildSpec(WASM), {
        version: 1,
        engine: { type: "wasm", module: MODULE, entrypoint: "_start", args: [], env: {} },
        inputs: [],
        outputs: { path: "/outputs" },
        resources: { cpu: 1, memoryMb: 512, gpu: 0, timeoutSec: 600, maxOutputBytes: 104_857_600 },
        network: "none",
        deterministic: true,
      });
    });

    it("defaults deterministic to false for docker and keeps it when given", () => {
      assert.equal(buildSpec(DOCKER).deterministic, false);
      assert.equal(buildSpec({ ...DOCKER, deterministic: true }).deterministic, true);
      assert.equal(buildSpec({ ...WASM, deterministic: false }).deterministic, false);
    });

    it("keeps a full wasm spec and a docker spec at the limits as given", () => {
      const wasm = buildSpec(FULL_WASM);
      assert.deepEqual(wasm.engine, FULL_WASM.engine);
      assert.deepEqual(wasm.inputs, [
        { piece: PIECE.v2, mount: "/inputs/a", locality: true },
        { piece: PIECE.v1, size: 1024, mount: "/inputs/b", locality: false },
        { cid: DATA_CID, mount: "/inputs/c/d", locality: false },
      ]);
      assert.deepEqual(wasm.resources, FULL_WASM.resources);
      const docker = buildSpec(DOCKER);
      assert.equal(docker.engine.type, "docker");
      assert.deepEqual(docker.resources, DOCKER.resources);
    });

    it("normalizes CIDs to CIDv1 base32", async () => {
      const v0 = CID.createV0(await sha256.digest(new TextEncoder().encode("data"))).toString(); // Qm…
      const spec = buildSpec({
        version: 1,
        engine: { type: "wasm", module: CID.parse(MODULE).toString(base58btc) },
        inputs: [{ cid: v0, mount: "/inputs/x" }],
      });
      assert.equal(spec.engine.type === "wasm" && spec.engine.module, MODULE);
      assert.equal(spec.inputs[0].cid, DATA_CID);
    });

    it("returns plain data without undefined members", () => {
      const spec = buildSpec({ ...DOCKER, engine: { ...DOCKER.engine, command: undefined }, deterministic: undefined });
      assert.ok(!("command" in spec.engine));
      assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
    });

    it("reports every broken rule, one per field, in a ShoalError", () => {
      try {
        buildSpec({ version: 2, engine: { type: "docker", image: "ubuntu" }, resources: { cpu: 0 }, extra: 1 } as never);
        assert.fail("accepted");
      } catch (error) {
        assert.ok(error instanceof ShoalError && error instanceof InvalidSpecError);
        assert.equal(error.name, "InvalidSpecError");
        assert.deepEqual(
          error.issues.map((i) => i.path),
          ["version", "engine.image", "resources.cpu", "extra"],
        );
        assert.equal(error.shortMessage, "Invalid job spec: version: must be 1 (this SDK reads job spec v1) (and 3 more)");
        assert.match(error.message, /- engine\.image: must be pinned by digest \(name@sha256:<64 hex>\)/);
        assert.equal(error.docsPath, "docs/job-spec.md#version");
        // buildSpec validates without zod (sdk/src/spec/validate.ts): the issues are the whole story
        assert.equal(error.cause, undefined);
      }
    });
  });

  describe("rejects every rule violation, naming the field", () => {
    const big = "a".repeat(200);
    const cases: [string, unknown, string, string | RegExp][] = [
      ["a non-object spec", [], "spec", "must be an object"],
      ["null", null, "spec", "must be an object"],
      ["version 2", { ...WASM, version: 2 }, "version", "must be 1"],
      ["a missing version", { engine: WASM.engine }, "version", "must be 1"],
      ["an unknown top-level field", { ...WASM, priority: 1 }, "priority", "unknown field"],
      ["a missing engine", { version: 1 }, "engine", "is required"],
      ["an unknown engine type", { version: 1, engine: { type: "vm" } }, "engine.type", 'must be "wasm" or "docker"'],
      ["an engine without type", { version: 1, engine: { module: MODULE } }, "engine.type", 'must be "wasm" or "docker"'],
      ["a module that is not a CID", variant(WASM, (s) => (s.engine.module = "hello")), "engine.module", "sha2-256 CID"],
      [
        "a dag-cbor module",
        variant(WASM, (s) => (s.engine.module = CID.create(1, 0x71, CID.parse(MODULE).multihash).toString())),
        "engine.module",
        "codec raw or dag-pb",
      ],
      ["a missing module", { version: 1, engine: { type: "wasm" } }, "engine.module", "is required"],
      ["an ftp source", variant(WASM, (s) => (s.engine.sources = ["ftp://x/y"])), "engine.sources[0]", "http(s) URL"],
      ["a source that is no URL", variant(WASM, (s) => (s.engine.sources = ["mod.wasm"])), "engine.sources[0]", "http(s) URL"],
      [
        "a source with credentials",
        variant(WASM, (s) => (s.engine.sources = ["https://u:p@x.org/m"])),
        "engine.sources[0]",
        "credentials",
      ],
      [
        "repeated sources",
        variant(WASM, (s) => (s.engine.sources = ["https://x.org/m", "https://x.org/m"])),
        "engine.sources",
        "must not repeat",
      ],
      [
        "nine sources",
        variant(WASM, (s) => (s.engine.sources = Array.from({ length: 9 }, (_, i) => `https://x.org/${i}`))),
        "engine.sources",
        "at most 8 items",
      ],
      ["an empty entrypoint", variant(WASM, (s) => (s.engine.entrypoint = "")), "engine.entrypoint", "at least 1 character"],
      ["a long entrypoint", variant(WASM, (s) => (s.engine.entrypoint = big)), "engine.entrypoint", "at most 128"],
      ["args that are a string", variant(WASM, (s) => (s.engine.args = "a b")), "engine.args", "must be an array"],
      ["a numeric arg", variant(WASM, (s) => (s.engine.args = ["a", 1])), "engine.args[1]", "must be a string"],
      ["an arg with NUL", variant(WASM, (s) => (s.engine.args = ["a\0b"])), "engine.args[0]", "NUL"],
      ["an arg with a lone surrogate", variant(WASM, (s) => (s.engine.args = ["\ud800"])), "engine.args[0]", "well-formed"],
      ["257 args", variant(WASM, (s) => (s.engine.args = Array(257).fill("a"))), "engine.args", "at most 256 items"],
      ["a lowercase env key", variant(WASM, (s) => (s.engine.env = { path: "x" })), "engine.env.path", "[A-Z_][A-Z0-9_]*"],
      ["an env key with a dash", variant(WASM, (s) => (s.engine.env = { "A-B": "x" })), 'engine.env["A-B"]', "keys must match"],
      ["an env key with a digit first", variant(WASM, (s) => (s.engine.env = { "1A": "x" })), 'engine.env["1A"]', "keys must match"],
      ["a numeric env value", variant(WASM, (s) => (s.engine.env = { A: 1 })), "engine.env.A", "must be a string"],
      ["an env value with NUL", variant(WASM, (s) => (s.engine.env = { A: "\0" })), "engine.env.A", "NUL"],
      ["env as an array", variant(WASM, (s) => (s.engine.env = ["A=1"])), "engine.env", "must be an object"],
      ["an image field on wasm", variant(WASM, (s) => (s.engine.image = IMAGE)), "engine.image", "unknown field"],
      ["a tag-only image", variant(DOCKER, (s) => (s.engine.image = "ubuntu:22.04")), "engine.image", "pinned by digest"],
      [
        "a short digest",
        variant(DOCKER, (s) => (s.engine.image = `ubuntu@sha256:${"a".repeat(63)}`)),
        "engine.image",
        "pinned by digest (name@sha256:<64 hex>)",
      ],
      [
        "an uppercase digest",
        variant(DOCKER, (s) => (s.engine.image = `ubuntu@sha256:${"A".repeat(64)}`)),
        "engine.image",
        "pinned by digest",
      ],
      [
        "a sha512 digest",
        variant(DOCKER, (s) => (s.engine.image = `ubuntu@sha512:${"a".repeat(128)}`)),
        "engine.image",
        "pinned by digest",
      ],
      [
        "an uppercase image name",
        variant(DOCKER, (s) => (s.engine.image = `Ubuntu@sha256:${"a".repeat(64)}`)),
        "engine.image",
        "valid image reference",
      ],
      [
        "an image name with a space",
        variant(DOCKER, (s) => (s.engine.image = `my image@sha256:${"a".repeat(64)}`)),
        "engine.image",
        "valid image reference",
      ],
      ["a missing image", variant(DOCKER, (s) => delete s.engine.image), "engine.image", "is required"],
      ["an empty command", variant(DOCKER, (s) => (s.engine.command = [])), "engine.command", "at least 1 item"],
      ["an entrypoint on docker", variant(DOCKER, (s) => (s.engine.entrypoint = "x")), "engine.entrypoint", "unknown field"],
      ["inputs as an object", { ...WASM, inputs: {} }, "inputs", "must be an array"],
      [
        "17 inputs",
        { ...WASM, inputs: Array.from({ length: 17 }, (_, i) => ({ cid: DATA_CID, mount: `/inputs/${i}` })) },
        "inputs",
        "at most 16 items",
      ],
      [
        "both piece and cid",
        { ...WASM, inputs: [{ piece: PIECE.v2, cid: DATA_CID, mount: "/inputs/a" }] },
        "inputs[0].piece",
        "exactly one of piece, cid or job",
      ],
      ["neither piece nor cid", { ...WASM, inputs: [{ mount: "/inputs/a" }] }, "inputs[0].piece", "exactly one of piece, cid or job"],
      [
        "locality on a CID input",
        { ...WASM, inputs: [{ cid: DATA_CID, mount: "/inputs/a", locality: true }] },
        "inputs[0].locality",
        "requires a piece",
      ],
      ["a non-boolean locality", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a", locality: 1 }] }, "inputs[0].locality", "true or false"],
      ["a missing mount", { ...WASM, inputs: [{ piece: PIECE.v2 }] }, "inputs[0].mount", "is required"],
      ["a relative mount", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "inputs/a" }] }, "inputs[0].mount", "absolute path"],
      ["a mount with ..", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/../etc" }] }, "inputs[0].mount", "'..'"],
      ["a mount outside /inputs", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/data" }] }, "inputs[0].mount", "under /inputs"],
      ["a mount like /inputsx", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputsx" }] }, "inputs[0].mount", "under /inputs"],
      ["a mount with a trailing slash", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a/" }] }, "inputs[0].mount", "normalized"],
      ["a mount with //", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs//a" }] }, "inputs[0].mount", "normalized"],
      ["a mount with .", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/./a" }] }, "inputs[0].mount", "normalized"],
      ["a mount with a space", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a b" }] }, "inputs[0].mount", "may only use"],
      ["a mount with a colon", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a:ro" }] }, "inputs[0].mount", "may only use"],
      ["a long mount", { ...WASM, inputs: [{ piece: PIECE.v2, mount: `/inputs/${"a".repeat(250)}` }] }, "inputs[0].mount", "at most 256"],
      [
        "a repeated mount",
        { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a" }, { cid: DATA_CID, mount: "/inputs/a" }] },
        "inputs[1].mount",
        "must be unique (inputs[0] uses it)",
      ],
      [
        "nested mounts",
        { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a/b" }, { cid: DATA_CID, mount: "/inputs/a" }] },
        "inputs[1].mount",
        "must not nest with inputs[0].mount",
      ],
      ["a piece that is no CID", { ...WASM, inputs: [{ piece: "baga-nope", mount: "/inputs/a" }] }, "inputs[0].piece", "must be a piece CID"],
      ["a plain CID as piece", { ...WASM, inputs: [{ piece: DATA_CID, mount: "/inputs/a" }] }, "inputs[0].piece", "must be a piece CID"],
      ["a piece CID as cid", { ...WASM, inputs: [{ cid: PIECE.v2, mount: "/inputs/a" }] }, "inputs[0].cid", "put it in `piece`"],
      ["a v1 piece CID as cid", { ...WASM, inputs: [{ cid: PIECE.v1, mount: "/inputs/a" }] }, "inputs[0].cid", "put it in `piece`"],
      ["a cid that is no CID", { ...WASM, inputs: [{ cid: "Qm123", mount: "/inputs/a" }] }, "inputs[0].cid", "must be a CID"],
      ["a v1 piece without size", { ...WASM, inputs: [{ piece: PIECE.v1, mount: "/inputs/a" }] }, "inputs[0].size", "required for a v1 piece"],
      ["a v1 size of 1000", { ...WASM, inputs: [{ piece: PIECE.v1, size: 1000, mount: "/inputs/a" }] }, "inputs[0].size", "power of two"],
      ["a v1 size of 64", { ...WASM, inputs: [{ piece: PIECE.v1, size: 64, mount: "/inputs/a" }] }, "inputs[0].size", "from 128"],
      ["a v1 size of 2^53", { ...WASM, inputs: [{ piece: PIECE.v1, size: 2 ** 53, mount: "/inputs/a" }] }, "inputs[0].size", /at most|power of two/],
      ["a float size", { ...WASM, inputs: [{ piece: PIECE.v1, size: 1024.5, mount: "/inputs/a" }] }, "inputs[0].size", "must be an integer"],
      ["a size on a v2 piece", { ...WASM, inputs: [{ piece: PIECE.v2, size: 1024, mount: "/inputs/a" }] }, "inputs[0].size", "must be omitted for a v2"],
      ["a size on a CID input", { ...WASM, inputs: [{ cid: DATA_CID, size: 1024, mount: "/inputs/a" }] }, "inputs[0].size", "only allowed with a piece"],
      ["an unknown input field", { ...WASM, inputs: [{ piece: PIECE.v2, mount: "/inputs/a", path: "/x" }] }, "inputs[0].path", "unknown field"],
      ["a relative outputs path", { ...WASM, outputs: { path: "out" } }, "outputs.path", "absolute path"],
      ["outputs at /", { ...WASM, outputs: { path: "/" } }, "outputs.path", "root directory"],
      ["outputs under /inputs", { ...WASM, outputs: { path: "/inputs/out" } }, "outputs.path", "must not be /inputs"],
      ["outputs at /inputs", { ...WASM, outputs: { path: "/inputs" } }, "outputs.path", "must not be /inputs"],
      ["outputs with ..", { ...WASM, outputs: { path: "/out/../etc" } }, "outputs.path", "'..'"],
      ["an unknown outputs field", { ...WASM, outputs: { path: "/out", mode: 1 } }, "outputs.mode", "unknown field"],
      ["outputs as a string", { ...WASM, outputs: "/out" }, "outputs", "must be an object"],
      ["cpu 0", { ...WASM, resources: { cpu: 0 } }, "resources.cpu", "must be at least 1"],
      ["cpu 65", { ...WASM, resources: { cpu: 65 } }, "resources.cpu", "must be at most 64"],
      ["fractional cpu", { ...WASM, resources: { cpu: 1.5 } }, "resources.cpu", "must be an integer"],
      ["cpu as a string", { ...WASM, resources: { cpu: "2" } }, "resources.cpu", "must be an integer"],
      ["cpu NaN", { ...WASM, resources: { cpu: Number.NaN } }, "resources.cpu", "must be an integer"],
      ["cpu 2^60", { ...WASM, resources: { cpu: 2 ** 60 } }, "resources.cpu", "must be at most"],
      ["memoryMb 0", { ...WASM, resources: { memoryMb: 0 } }, "resources.memoryMb", "must be at least 1"],
      ["memoryMb 65537", { ...DOCKER, resources: { memoryMb: 65_537 } }, "resources.memoryMb", "must be at most 65536"],
      ["gpu -1", { ...DOCKER, resources: { gpu: -1 } }, "resources.gpu", "must be at least 0"],
      ["gpu 9", { ...DOCKER, resources: { gpu: 9 } }, "resources.gpu", "must be at most 8"],
      ["timeoutSec 0", { ...WASM, resources: { timeoutSec: 0 } }, "resources.timeoutSec", "must be at least 1"],
      ["timeoutSec 86401", { ...WASM, resources: { timeoutSec: 86_401 } }, "resources.timeoutSec", "must be at most 86400"],
      ["maxOutputBytes 0", { ...WASM, resources: { maxOutputBytes: 0 } }, "resources.maxOutputBytes", "must be at least 1"],
      [
        "maxOutputBytes above 1 GiB",
        { ...WASM, resources: { maxOutputBytes: 2 ** 30 + 1 } },
        "resources.maxOutputBytes",
        "must be at most 1073741824",
      ],
      ["an unknown resource", { ...WASM, resources: { disk: 1 } }, "resources.disk", "unknown field"],
      ["a gpu for wasm", { ...WASM, resources: { gpu: 1 } }, "resources.gpu", "must be 0 for a wasm engine"],
      ["wasm memory above 4 GiB", { ...WASM, resources: { memoryMb: 4097 } }, "resources.memoryMb", "wasm32 memory limit"],
      ["network host", { ...WASM, network: "host" }, "network", 'must be "none"'],
      ["deterministic as a string", { ...WASM, deterministic: "yes" }, "deterministic", "true or false"],
    ];
    for (const [name, input, path, rule] of cases) {
      it(`${name} → ${path}`, () => rejects(input, path, rule));
    }
  });

  describe("canonical encoding", () => {
    it("is sorted compact JSON with defaults filled in (golden vector)", () => {
      const json = new TextDecoder().decode(encodeSpec(WASM));
      assert.equal(
        json,
        `{"deterministic":true,"engine":{"args":[],"entrypoint":"_start","env":{},"module":"${MODULE}","type":"wasm"},` +
          `"inputs":[],"network":"none","outputs":{"path":"/outputs"},` +
          `"resources":{"cpu":1,"gpu":0,"maxOutputBytes":104857600,"memoryMb":512,"timeoutSec":600},"version":1}`,
      );
      assert.equal(hashSpec(WASM), keccak256(new TextEncoder().encode(json)));
    });

    it("gives identical bytes and hash whatever the key order (property)", () => {
      for (const spec of [WASM, FULL_WASM, DOCKER]) {
        const bytes = encodeSpec(spec);
        const hash = hashSpec(spec);
        fc.assert(
          fc.property(fc.integer(), (seed) => {
            let state = seed;
            const random = () => ((state = (state * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
            const shuffled = reorder(spec, (keys) => [...keys].sort(() => random() - 0.5)) as SpecInput;
            assert.deepEqual(encodeSpec(shuffled), bytes);
            assert.equal(hashSpec(shuffled), hash);
          }),
          { numRuns: 50 },
        );
        assert.deepEqual(encodeSpec(reorder(spec, (keys) => [...keys].reverse()) as SpecInput), bytes);
      }
    });

    it("gives identical bytes whether defaults are spelled out or left out", () => {
      assert.deepEqual(encodeSpec(buildSpec(WASM)), encodeSpec(WASM));
      assert.deepEqual(encodeSpec(buildSpec(DOCKER)), encodeSpec(DOCKER));
    });

    it("gives different bytes for different specs", () => {
      const other = variant(WASM, (s) => (s.engine.args = ["1"])) as SpecInput;
      assert.notEqual(hashSpec(other), hashSpec(WASM));
    });

    it("round-trips through decodeSpec, from bytes and from hex", () => {
      for (const spec of [WASM, FULL_WASM, DOCKER]) {
        const bytes = encodeSpec(spec);
        assert.deepEqual(decodeSpec(bytes), buildSpec(spec));
        assert.deepEqual(decodeSpec(toHex(bytes)), buildSpec(spec));
        assert.equal(hashSpec(bytes), hashSpec(spec));
      }
    });

    it("accepts a spec of exactly 16,384 bytes and refuses one byte more", () => {
      const base = encodeSpec(variant(WASM, (s) => (s.engine.args = [""])) as SpecInput).length;
      const fill = (n: number) => variant(WASM, (s) => (s.engine.args = ["a".repeat(n)])) as SpecInput;
      assert.equal(encodeSpec(fill(MAX_SPEC_SIZE - base)).length, MAX_SPEC_SIZE);
      assert.throws(
        () => encodeSpec(fill(MAX_SPEC_SIZE - base + 1)),
        (error: unknown) =>
          error instanceof SpecTooLargeError && error.size === MAX_SPEC_SIZE + 1 && error.maxSize === 16_384,
      );
      assert.throws(() => decodeSpec(new Uint8Array(MAX_SPEC_SIZE + 1)), SpecTooLargeError);
    });

    it("counts UTF-8 bytes, not characters, against the cap", () => {
      const spec = variant(WASM, (s) => (s.engine.args = ["é".repeat(MAX_SPEC_SIZE / 2)])) as SpecInput;
      assert.throws(() => encodeSpec(spec), SpecTooLargeError);
    });
  });

  describe("decodeSpec refuses", () => {
    const canonical = new TextDecoder().decode(encodeSpec(WASM));
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const cases: [string, Uint8Array | `0x${string}`, string][] = [
      ["empty bytes", new Uint8Array(), "must not be empty"],
      ["bytes that are not UTF-8", Uint8Array.from([0x7b, 0xff, 0x7d]), "must be UTF-8"],
      ["text that is not JSON", utf8("{version: 1}"), "must be JSON"],
      ["a JSON array", utf8("[]"), "must be a JSON object"],
      ["a JSON string", utf8('"x"'), "must be a JSON object"],
      ["pretty-printed JSON", utf8(JSON.stringify(JSON.parse(canonical), null, 2)), "canonical"],
      ["unsorted keys", utf8(JSON.stringify(buildSpec(WASM))), "canonical"],
      ["a spec without its defaults", utf8(JSON.stringify(WASM)), "canonical"],
      ["a float spelling of an integer", utf8(canonical.replace('"version":1', '"version":1.0')), "canonical"],
      ["an exponent spelling", utf8(canonical.replace('"cpu":1', '"cpu":1e0')), "canonical"],
      ["a duplicate key", utf8(canonical.replace('{"deterministic":true,', '{"deterministic":false,"deterministic":true,')), "canonical"],
      ["a byte order mark", utf8(`\ufeff${canonical}`), "must be JSON"],
      ["odd hex", "0x123", "must be bytes or 0x-prefixed hex"],
    ];
    for (const [name, bytes, rule] of cases) {
      it(name, () => {
        assert.throws(
          () => decodeSpec(bytes),
          (error: unknown) =>
            error instanceof InvalidSpecError && error.issues[0].path === "spec" && error.issues[0].rule.includes(rule),
        );
      });
    }

    it("a canonical document that breaks a rule, naming the field", () => {
      const bad = canonical.replace('"cpu":1', '"cpu":99');
      assert.throws(
        () => decodeSpec(utf8(bad)),
        (error: unknown) => error instanceof InvalidSpecError && error.issues[0].path === "resources.cpu",
      );
    });
  });

  describe("toCanonicalJson", () => {
    it("sorts keys at every depth and drops undefined members", () => {
      assert.equal(toCanonicalJson({ b: { d: 1, c: [true, "x"] }, a: undefined, A: 0 }), '{"A":0,"b":{"c":[true,"x"],"d":1}}');
    });

    it("escapes strings as JSON.stringify does", () => {
      assert.equal(toCanonicalJson({ s: 'a"\\\n\u0001é😀' }), `{"s":${JSON.stringify('a"\\\n\u0001é😀')}}`);
    });

    for (const [name, value, path] of [
      ["a float", { a: [1.5] }, "a[0]"],
      ["NaN", { a: Number.NaN }, "a"],
      ["Infinity", { a: Number.POSITIVE_INFINITY }, "a"],
      ["an unsafe integer", { a: 2 ** 53 }, "a"],
      ["null", { a: null }, "a"],
      ["undefined in an array", { a: [undefined] }, "a[0]"],
      ["a bigint", { a: 1n }, "a"],
      ["a Date", { a: new Date(0) }, "a"],
      ["a lone surrogate", { a: "\udc00" }, "a"],
    ] as const) {
      it(`refuses ${name} at ${path}`, () => {
        assert.throws(
          () => toCanonicalJson(value),
          (error: unknown) => error instanceof InvalidSpecError && error.issues[0].path === path,
        );
      });
    }

    it("is stable under key order and parses back to the value (property)", () => {
      const leaf = fc.oneof(fc.string(), fc.boolean(), fc.maxSafeInteger());
      const { tree } = fc.letrec((tie) => ({
        tree: fc.oneof(
          { depthSize: "small" },
          leaf,
          fc.array(tie("tree"), { maxLength: 4 }),
          fc.dictionary(fc.string(), tie("tree"), { maxKeys: 4, noNullPrototype: true }),
        ),
      }));
      fc.assert(
        fc.property(tree, (value) => {
          const json = toCanonicalJson(value);
          assert.equal(toCanonicalJson(reorder(value, (keys) => [...keys].reverse())), json);
          assert.deepEqual(JSON.parse(json), value);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe("docs/job-spec.md", () => {
    it("has examples that build, and the canonical encoding it shows", async () => {
      const doc = await readFile(new URL("../../docs/job-spec.md", import.meta.url), "utf8");
      // Blocks marked <!-- check: invalid-spec … --> are meant to fail (test/docs/blocks.test.ts checks them).
      const examples = [...doc.matchAll(/(?<!invalid-spec [^\n]*-->\n)```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
      assert.equal(examples.length, 3);
      assert.deepEqual(
        examples.map((e) => buildSpec(e).engine.type),
        ["wasm", "docker", "wasm"],
      );
      assert.equal(buildSpec(examples[2]).inputs[0]?.job, "42"); // the pipeline example
      const shown = doc.match(/```text\n(.*)\n```/)?.[1];
      const cid = MODULE;
      assert.equal(shown?.replace("<cid>", cid), new TextDecoder().decode(encodeSpec(WASM)));
    });
  });

  it("exports exactly this public API (spec and errors)", async () => {
    assert.deepEqual(Object.keys(await import("../../sdk/src/spec/index.js")).sort(), [
      "MAX_INPUTS", "MAX_OUTPUT_BYTES", "MAX_SPEC_SIZE", "MAX_WASM_MEMORY_MB", "SPEC_DEFAULTS", "SPEC_VERSION",
      "buildSpec", "decodeSpec", "encodeSpec", "hashSpec", "specSchema", "toCanonicalJson",
    ]);
    assert.deepEqual(Object.keys(await import("../../sdk/src/errors/index.js")).sort(), [
      "BlockVerificationError", "DestinationNotEmptyError", "InvalidCarError", "InvalidEntryNameError",
      "InvalidFr32LengthError", "InvalidPieceCidError", "InvalidPieceSizeError", "InvalidPipelineError", "InvalidResultCidError", "InvalidSpecError",
      "InvalidSpecTemplateError",
      "MissingBlockError", "PayloadTooSmallError", "PipelineStepFailedError", "PipelineSubmitError", "ResultDownloadInterruptedError", "ResultRootMismatchError", "ResultTooLargeError", "ShoalError", "SpecTooLargeError",
      "UnexpectedBlockError", "UnsupportedEntryError",
    ]);
  });
});
