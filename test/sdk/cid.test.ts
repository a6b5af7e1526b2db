// The SDK reads CIDs on its client path (job specs, piece CIDs, result CIDs) with a small reader
// (sdk/src/internal/cid.ts) instead of multiformats' CID class, to keep browser bundles small.
// These properties hold it to multiformats: the same strings and bytes accepted, the same fields
// and canonical base32 form, and the same errors (class and message) for what is refused.
import assert from "node:assert/strict";

import fc from "fast-check";
import { base32 } from "multiformats/bases/base32";
import { base36 } from "multiformats/bases/base36";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { toHex } from "viem";

import { InvalidResultCidError } from "../../sdk/src/errors/index.js";
import { decodeCid, parseCid, toV1String } from "../../sdk/src/internal/cid.js";
import { resultCidFromBytes } from "../../sdk/src/result/index.js";
import { resultCidString } from "../../sdk/src/result/resultCidString.js";

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

/** What multiformats reads from a CID: the fields, the bytes and the base32 CIDv1 string the SDK uses. */
function fromMultiformats(cid: CID) {
  const v1 = outcome(() => CID.decode(cid.toV1().bytes).toString());
  return {
    version: cid.version,
    code: cid.code,
    multihashCode: cid.multihash.code,
    digest: toHex(cid.multihash.digest),
    multihash: toHex(cid.multihash.bytes),
    ...(v1.ok ? { v1: v1.value } : {}),
  };
}

function fromSdk(cid: ReturnType<typeof parseCid>, withV1: boolean) {
  return {
    version: cid.version,
    code: cid.code,
    multihashCode: cid.multihashCode,
    digest: toHex(cid.digest),
    multihash: toHex(cid.multihash),
    ...(withV1 ? { v1: toV1String(cid) } : {}),
  };
}

function assertSameParse(source: string): void {
  const expected = outcome(() => CID.parse(source));
  const actual = outcome(() => parseCid(source));
  assert.equal(actual.ok, expected.ok, `${JSON.stringify(source)}: ${JSON.stringify(expected.ok ? "accepted" : expected)} vs ${JSON.stringify(actual)}`);
  if (!expected.ok || !actual.ok) return assert.equal(actual.ok ? "" : actual.error, expected.ok ? "" : expected.error, JSON.stringify(source));
  const mf = fromMultiformats(expected.value as CID);
  assert.deepEqual(fromSdk(actual.value as ReturnType<typeof parseCid>, "v1" in mf), mf, JSON.stringify(source));
}

function assertSameDecode(bytes: Uint8Array): void {
  const expected = outcome(() => CID.decode(bytes));
  const actual = outcome(() => decodeCid(bytes));
  assert.equal(actual.ok ? "" : actual.error, expected.ok ? "" : expected.error, toHex(bytes));
  if (expected.ok && actual.ok) {
    const mf = fromMultiformats(expected.value as CID);
    assert.deepEqual(fromSdk(actual.value as ReturnType<typeof parseCid>, "v1" in mf), mf, toHex(bytes));
  }
}

const varint = (n: number) => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
};

// CID bytes as they occur (v1 with common codecs and hashes, v0) and near misses: other versions,
// long or non-minimal varints, digests shorter or longer than declared, trailing bytes.
const code = fc.oneof(fc.constantFrom(0x55, 0x70, 0x71, 0xf101, 0x12, 0x1011, 0x1012, 0), fc.integer({ min: 0, max: 2 ** 40 }));
const cidBytes = fc
  .tuple(
    fc.constantFrom(1, 1, 1, 0, 2, 18),
    code,
    code,
    fc.uint8Array({ maxLength: 40 }),
    fc.integer({ min: -2, max: 2 }),
    fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 }), { freq: 4 }),
    fc.option(fc.constantFrom([0x80, 0x00], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), { freq: 6 }),
  )
  .map(([version, codec, hash, digest, sizeDelta, trailing, oddVarint]) => {
    const multihash = [...varint(hash), ...(oddVarint ?? varint(Math.max(0, digest.length + sizeDelta))), ...digest];
    const head = version === 18 ? [] : version === 0 ? [0x12, 0x20] : [...varint(version), ...varint(codec)];
    const digest32 = version === 0 ? [...new Uint8Array(32)] : [];
    return new Uint8Array([...head, ...(version === 0 ? digest32 : multihash), ...(trailing ?? [])]);
  });
const anyBytes = fc.oneof({ weight: 3, arbitrary: cidBytes }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) });

/** A CID string in one of the bases CID.parse reads, or a near miss (other prefix, case, padding, stray characters). */
const cidString = fc
  .tuple(anyBytes, fc.constantFrom("base32", "BASE32", "base58btc", "bare", "base36", "BASE36", "other"), fc.option(fc.tuple(fc.nat(60), fc.string({ minLength: 1, maxLength: 2, unit: "binary" })), { freq: 4 }), fc.option(fc.constantFrom("=", "==", " ", "1", "0"), { freq: 6 }))
  .map(([bytes, base, edit, suffix]) => {
    let s =
      base === "base32" ? base32.encode(bytes)
      : base === "BASE32" ? `b${base32.encode(bytes).slice(1).toUpperCase()}`
      : base === "base58btc" ? base58btc.encode(bytes)
      : base === "bare" ? base58btc.encode(bytes).slice(1)
      : base === "base36" ? base36.encode(bytes)
      : base === "BASE36" ? `k${base36.encode(bytes).slice(1).toUpperCase()}`
      : `B${base32.encode(bytes).slice(1)}`;
    if (edit) s = s.slice(0, edit[0]) + edit[1] + s.slice(edit[0] + 1);
    return suffix ? (suffix === "1" || suffix === "0" ? `${s[0]}${suffix}${s.slice(1)}` : s + suffix) : s;
  });

describe("the SDK's CID reader agrees with multiformats", () => {
  it("CID.parse: the same strings accepted, the same fields and base32 CIDv1, the same errors (property)", () => {
    fc.assert(fc.property(cidString, assertSameParse), { numRuns: 4000 });
  });

  it("CID.parse on arbitrary strings (property)", () => {
    const prefixed = fc.tuple(fc.constantFrom("b", "B", "z", "Q", "k", "K", "f", ""), fc.string({ maxLength: 12, unit: "binary" })).map(([p, s]) => p + s);
    fc.assert(fc.property(prefixed, assertSameParse), { numRuns: 4000 });
  });

  it("CID.decode: the same bytes accepted, the same fields, the same errors (property)", () => {
    fc.assert(fc.property(anyBytes, assertSameDecode), { numRuns: 4000 });
  });

  it("on the CIDs the SDK meets, in every base", async () => {
    const samples = [
      "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
      "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy",
      "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
      "zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7",
      "k2jmtxw8rjh1z69c6not3wtdxb0u4lfrhqmd4oy9ofofw3nvp7ythh5y",
      "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq",
    ];
    for (const source of samples) {
      assertSameParse(source);
      for (const base of [base32, base36, base58btc]) {
        const cid = CID.parse(source);
        if (cid.version === 1) assertSameParse(cid.toString(base));
      }
    }
  });

  it("resultCidString gives resultCidFromBytes's string and its errors", () => {
    fc.assert(
      fc.property(anyBytes, fc.boolean(), (bytes, asHex) => {
        const input = asHex ? toHex(bytes) : bytes;
        const expected = outcome(() => resultCidFromBytes(input).toString());
        const actual = outcome(() => resultCidString(input));
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => resultCidString("0x123"), InvalidResultCidError);
  });
});
