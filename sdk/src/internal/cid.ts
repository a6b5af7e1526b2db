// A small CID reader for the client path (job specs, piece CIDs, result CIDs), so a browser
// bundle does not carry multiformats' CID class and its codec tables. It accepts and refuses
// exactly what multiformats' `CID.parse` (base32, base36, base58btc and bare CIDv0 strings) and
// `CID.decode` do, with the same error messages; test/sdk/cid.test.ts checks both on random input.

/** A decoded CID: its version, codec and multihash. */
export type ParsedCid = {
  version: 0 | 1;
  /** Multicodec of the content (dag-pb for CIDv0). */
  code: number;
  multihashCode: number;
  digest: Uint8Array;
  /** The multihash: code, digest length and digest. */
  multihash: Uint8Array;
};

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
const BASE58BTC = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Reads a CID string as multiformats' `CID.parse(source)` does (no custom base). */
export function parseCid(source: string): ParsedCid {
  let bytes: Uint8Array;
  switch (source[0]) {
    case "Q":
    case "z":
      bytes = decodeBaseX(source[0] === "Q" ? source : source.slice(1), BASE58BTC, "base58btc", false);
      break;
    case "b":
      bytes = decodeBase32(source.slice(1));
      break;
    case "k":
      bytes = decodeBaseX(source.slice(1), BASE36, "base36", true);
      break;
    default:
      throw new Error("To parse non base32, base36 or base58btc encoded CID multibase decoder must be provided");
  }
  const cid = decodeCid(bytes);
  if (cid.version === 0 && source[0] !== "Q") throw new Error("Version 0 CID string must not include multibase prefix");
  return cid;
}

/** Reads a binary CID as multiformats' `CID.decode(bytes)` does. */
export function decodeCid(bytes: Uint8Array): ParsedCid {
  let offset = 0;
  const next = () => {
    const [value, length] = readVarint(bytes, offset);
    offset += length;
    return value;
  };
  let version = next();
  let code = 0x70;
  if (version === 18) {
    version = 0; // CIDv0: the bytes are a sha2-256 multihash
    offset = 0;
  } else code = next();
  if (version !== 0 && version !== 1) throw new RangeError(`Invalid CID version ${version}`);
  const prefixSize = offset;
  const multihashCode = next();
  const digestSize = next();
  const size = offset + digestSize;
  const multihash = bytes.subarray(prefixSize, size);
  if (multihash.byteLength !== size - prefixSize) throw new Error("Incorrect length");
  if (bytes.length !== size) throw new Error("Incorrect length");
  // A CIDv0 is dag-pb whatever codec followed an explicit version 0, as multiformats has it
  return { version, code: version === 0 ? 0x70 : code, multihashCode, digest: multihash.subarray(multihash.length - digestSize), multihash };
}

/** The CIDv1 bytes of `cid` (a CIDv0 becomes dag-pb CIDv1 of the same multihash). */
export function cidV1Bytes(cid: ParsedCid): Uint8Array {
  const prefix = [1, ...varint(cid.code)];
  const out = new Uint8Array(prefix.length + cid.multihash.length);
  out.set(prefix);
  out.set(cid.multihash, prefix.length);
  return out;
}

/** The CIDv1 base32 string of `cid`, as multiformats' `cid.toV1().toString()` gives it. */
export function toV1String(cid: ParsedCid): string {
  const data = cidV1Bytes(cid);
  let out = "b";
  let bits = 0;
  let buffer = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits > 5) {
      bits -= 5;
      out += BASE32[31 & (buffer >> bits)];
    }
  }
  if (bits) out += BASE32[31 & (buffer << (5 - bits))];
  return out;
}

/** multiformats' varint reader: at most 9 bytes, minimally encoded. */
function readVarint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0;
  let shift = 0;
  let at = offset;
  let byte: number;
  do {
    if (at >= bytes.length) throw new RangeError("Could not decode varint");
    byte = bytes[at++]!;
    value += shift < 28 ? (byte & 0x7f) << shift : (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte >= 0x80);
  const length = at - offset;
  if (length > 9) throw new RangeError("Invalid varint: too long");
  if (length > 1 && bytes[at - 1] === 0) throw new RangeError("Invalid varint: not minimally encoded");
  return [value, length];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** RFC 4648 base32 without padding, either case (multiformats' `base32`, which also drops trailing '='). */
function decodeBase32(text: string): Uint8Array {
  let end = text.length;
  while (text[end - 1] === "=") end--;
  const out = new Uint8Array(((end * 5) / 8) | 0);
  let bits = 0;
  let buffer = 0;
  let written = 0;
  for (let i = 0; i < end; i++) {
    const c = text[i]!;
    const value = BASE32.indexOf(c >= "A" && c <= "Z" ? c.toLowerCase() : c);
    if (value < 0) throw new SyntaxError("Non-base32 character");
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = 0xff & (buffer >> bits);
    }
  }
  if (bits >= 5 || (0xff & (buffer << (8 - bits))) !== 0) throw new SyntaxError("Unexpected end of data");
  return out;
}

/** Base-N digits to bytes, leading zero digits kept as zero bytes (the base-x algorithm multiformats vendors). */
function decodeBaseX(text: string, alphabet: string, name: string, caseInsensitive: boolean): Uint8Array {
  const fail = () => new Error(`Non-${name} character`);
  if (text.length === 0) return new Uint8Array();
  if (text[0] === " ") throw fail();
  const base = alphabet.length;
  let psz = 0;
  let zeroes = 0;
  while (text[psz] === alphabet[0]) {
    zeroes++;
    psz++;
  }
  const size = ((text.length - psz) * (Math.log(base) / Math.log(256)) + 1) >>> 0;
  const b256 = new Uint8Array(size);
  let length = 0;
  while (text[psz]) {
    const unit = text.charCodeAt(psz);
    // As in base-x: a code unit past 255 has no entry in its byte table, so its arithmetic runs
    // on NaN (folded to 0 by >>>) instead of being refused; one up to 255 outside the alphabet is refused.
    let carry: number = unit > 255 ? Number.NaN : digitOf(text[psz]!, alphabet, caseInsensitive);
    if (carry < 0) throw fail();
    let i = 0;
    for (let at = size - 1; (carry !== 0 || i < length) && at !== -1; at--, i++) {
      carry += (base * b256[at]!) >>> 0;
      b256[at] = (carry % 256) >>> 0;
      carry = (carry / 256) >>> 0;
    }
    if (carry !== 0) throw new Error("Non-zero carry");
    length = i;
    psz++;
  }
  let start = size - length;
  while (start !== size && b256[start] === 0) start++;
  const out = new Uint8Array(zeroes + (size - start));
  out.set(b256.subarray(start), zeroes);
  return out;
}

function digitOf(c: string, alphabet: string, caseInsensitive: boolean): number {
  const at = alphabet.indexOf(c);
  if (at >= 0 || !caseInsensitive) return at;
  const lower = alphabet.indexOf(c.toLowerCase());
  return lower >= 0 ? lower : alphabet.indexOf(c.toUpperCase());
}
