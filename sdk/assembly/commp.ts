// commp: the hashing core of Filecoin piece commitments (CommP), compiled by AssemblyScript
// into sdk/assembly/commp.wasm (npm run build:commp) and embedded in the SDK as base64.
//
// A piece is a binary Merkle tree over 32-byte leaves. Each node is SHA-256 of its two
// children (a 64-byte message) with the top two bits of the last byte cleared ("trunc254").
// The payload becomes leaves by Fr32 expansion: every 127 bytes (a quad) spread into four
// 254-bit field elements of 32 bytes each. This module expands one segment of up to 8192
// quads (1 MiB of leaves) and reduces it to its root; the caller merges segment roots.
//
// Speed: a 64-byte message is two compression blocks, the second being the constant padding
// block (0x80, zeros, length 512), whose message schedule is precomputed (K[t] + W[t]). The
// compression runs on four independent messages at once, one per 32-bit lane of a v128.
//
// Memory (static, no allocator): INPUT holds a segment's payload, LEAVES its leaves; a tree
// level is reduced in place (four pairs at a time: the 128 bytes written never pass the 256
// read). Lanes past the end of a level hash whatever lies there; their digests land beyond the
// level's last node and are never read.

/** Payload quads (127 bytes each) per segment: 8192 quads are 32768 leaves, 1 MiB padded. */
const SEGMENT_QUADS: i32 = 8192;
const SEGMENT_PAYLOAD: i32 = 127 * SEGMENT_QUADS;
const SEGMENT_LEAVES: i32 = 4 * SEGMENT_QUADS;
/** Zero-subtree roots kept: levels 0..63. */
const ZERO_LEVELS: i32 = 64;

// prettier-ignore
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], 16);

/** K[t] + W[t] of the padding block (filled by init). */
const KW2: usize = memory.data(64 * 4, 16);
/** The message schedule of the first block, four lanes: W[t] at W + 16 t. */
const W: usize = memory.data(64 * 16, 16);
/** Root of an all-zero subtree of each level (level 0: a zero leaf). */
const ZERO: usize = memory.data(ZERO_LEVELS * 32, 16);
/** hashPair's four messages (only the first counts) and four digests. */
const PAIR: usize = memory.data(256 + 128, 16);
/** A segment's payload, plus slack for the expansion's one-byte over-read. */
const INPUT: usize = memory.data(SEGMENT_PAYLOAD + 64, 16);
/** A segment's leaves, plus slack for the lanes past a level's end. */
const LEAVES: usize = memory.data(SEGMENT_LEAVES * 32 + 256, 16);

// ---- 4-lane SHA-256 ---------------------------------------------------------------------------

@inline function add(a: v128, b: v128): v128 {
  return i32x4.add(a, b);
}
@inline function xor3(a: v128, b: v128, c: v128): v128 {
  return v128.xor(v128.xor(a, b), c);
}
@inline function rotr4(x: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
}
@inline function bigSigma0(a: v128): v128 {
  return xor3(rotr4(a, 2), rotr4(a, 13), rotr4(a, 22));
}
@inline function bigSigma1(e: v128): v128 {
  return xor3(rotr4(e, 6), rotr4(e, 11), rotr4(e, 25));
}
@inline function sigma0(x: v128): v128 {
  return xor3(rotr4(x, 7), rotr4(x, 18), i32x4.shr_u(x, 3));
}
@inline function sigma1(x: v128): v128 {
  return xor3(rotr4(x, 17), rotr4(x, 19), i32x4.shr_u(x, 10));
}
/** (e & f) | (~e & g) */
@inline function ch(e: v128, f: v128, g: v128): v128 {
  return v128.bitselect(f, g, e);
}
/** The majority of a, b, c: a where a equals c, otherwise b. */
@inline function maj(a: v128, b: v128, c: v128): v128 {
  return v128.bitselect(b, a, v128.xor(a, c));
}
/** Big-endian 32-bit words of each lane to native order and back. */
@inline function bswap(x: v128): v128 {
  return v128.shuffle<u8>(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
}

/**
 * Hashes the four 64-byte messages at src (consecutive) into four 32-byte trunc254 digests at
 * dst (consecutive). dst may equal src: every input is read before the first store.
 */
function hash4(src: usize, dst: usize): void {
  // Load and transpose: W[t] lane j = big-endian word t of message j.
  for (let off: usize = 0; off < 64; off += 16) {
    const r0 = bswap(v128.load(src + off));
    const r1 = bswap(v128.load(src + 64 + off));
    const r2 = bswap(v128.load(src + 128 + off));
    const r3 = bswap(v128.load(src + 192 + off));
    const t0 = v128.shuffle<u32>(r0, r1, 0, 4, 1, 5);
    const t1 = v128.shuffle<u32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<u32>(r2, r3, 0, 4, 1, 5);
    const t3 = v128.shuffle<u32>(r2, r3, 2, 6, 3, 7);
    const w = W + off * 4;
    v128.store(w, v128.shuffle<u32>(t0, t2, 0, 1, 4, 5));
    v128.store(w, v128.shuffle<u32>(t0, t2, 2, 3, 6, 7), 16);
    v128.store(w, v128.shuffle<u32>(t1, t3, 0, 1, 4, 5), 32);
    v128.store(w, v128.shuffle<u32>(t1, t3, 2, 3, 6, 7), 48);
  }
  for (let w: usize = W + 16 * 16; w < W + 64 * 16; w += 16) {
    const s1 = sigma1(v128.load(w - 2 * 16));
    const s0 = sigma0(v128.load(w - 15 * 16));
    v128.store(w, add(add(s1, v128.load(w - 7 * 16)), add(s0, v128.load(w - 16 * 16))));
  }

  // First block, from the initial hash value.
  let a = i32x4.splat(0x6a09e667);
  let b = i32x4.splat(0xbb67ae85);
  let c = i32x4.splat(0x3c6ef372);
  let d = i32x4.splat(0xa54ff53a);
  let e = i32x4.splat(0x510e527f);
  let f = i32x4.splat(0x9b05688c);
  let g = i32x4.splat(0x1f83d9ab);
  let h = i32x4.splat(0x5be0cd19);
  // Round t: T1 = h + Σ1(e) + ch(e, f, g) + K[t] + W[t]; d += T1; h = T1 + Σ0(a) + maj(a, b, c),
  // then the names rotate (eight rounds per pass, so nothing moves). Σ1(e) is added last, to
  // both T1 and d, so the chain from e to the next e is Σ1 and one add (3% faster than T1 first).
  let t1: v128;
  let x: v128;
  let s: v128;
  for (let t: usize = 0; t < 64; t += 8) {
    const w = W + t * 16;
    const k = K + t * 4;
    x = add(add(h, add(v128.load(w), v128.load32_splat(k))), ch(e, f, g));
    s = bigSigma1(e);
    t1 = add(x, s);
    d = add(add(d, x), s);
    h = add(t1, add(bigSigma0(a), maj(a, b, c)));
    x = add(add(g, add(v128.load(w, 16), v128.load32_splat(k, 4))), ch(d, e, f));
    s = bigSigma1(d);
    t1 = add(x, s);
    c = add(add(c, x), s);
    g = add(t1, add(bigSigma0(h), maj(h, a, b)));
    x = add(add(f, add(v128.load(w, 32), v128.load32_splat(k, 8))), ch(c, d, e));
    s = bigSigma1(c);
    t1 = add(x, s);
    b = add(add(b, x), s);
    f = add(t1, add(bigSigma0(g), maj(g, h, a)));
    x = add(add(e, add(v128.load(w, 48), v128.load32_splat(k, 12))), ch(b, c, d));
    s = bigSigma1(b);
    t1 = add(x, s);
    a = add(add(a, x), s);
    e = add(t1, add(bigSigma0(f), maj(f, g, h)));
    x = add(add(d, add(v128.load(w, 64), v128.load32_splat(k, 16))), ch(a, b, c));
    s = bigSigma1(a);
    t1 = add(x, s);
    h = add(add(h, x), s);
    d = add(t1, add(bigSigma0(e), maj(e, f, g)));
    x = add(add(c, add(v128.load(w, 80), v128.load32_splat(k, 20))), ch(h, a, b));
    s = bigSigma1(h);
    t1 = add(x, s);
    g = add(add(g, x), s);
    c = add(t1, add(bigSigma0(d), maj(d, e, f)));
    x = add(add(b, add(v128.load(w, 96), v128.load32_splat(k, 24))), ch(g, h, a));
    s = bigSigma1(g);
    t1 = add(x, s);
    f = add(add(f, x), s);
    b = add(t1, add(bigSigma0(c), maj(c, d, e)));
    x = add(add(a, add(v128.load(w, 112), v128.load32_splat(k, 28))), ch(f, g, h));
    s = bigSigma1(f);
    t1 = add(x, s);
    e = add(add(e, x), s);
    a = add(t1, add(bigSigma0(b), maj(b, c, d)));
  }
  const a1 = add(a, i32x4.splat(0x6a09e667));
  const b1 = add(b, i32x4.splat(0xbb67ae85));
  const c1 = add(c, i32x4.splat(0x3c6ef372));
  const d1 = add(d, i32x4.splat(0xa54ff53a));
  const e1 = add(e, i32x4.splat(0x510e527f));
  const f1 = add(f, i32x4.splat(0x9b05688c));
  const g1 = add(g, i32x4.splat(0x1f83d9ab));
  const h1 = add(h, i32x4.splat(0x5be0cd19));

  // Second block: the constant padding block, its K[t] + W[t] precomputed.
  a = a1; b = b1; c = c1; d = d1; e = e1; f = f1; g = g1; h = h1;
  for (let k: usize = KW2; k < KW2 + 256; k += 32) {
    x = add(add(h, v128.load32_splat(k)), ch(e, f, g));
    s = bigSigma1(e);
    t1 = add(x, s);
    d = add(add(d, x), s);
    h = add(t1, add(bigSigma0(a), maj(a, b, c)));
    x = add(add(g, v128.load32_splat(k, 4)), ch(d, e, f));
    s = bigSigma1(d);
    t1 = add(x, s);
    c = add(add(c, x), s);
    g = add(t1, add(bigSigma0(h), maj(h, a, b)));
    x = add(add(f, v128.load32_splat(k, 8)), ch(c, d, e));
    s = bigSigma1(c);
    t1 = add(x, s);
    b = add(add(b, x), s);
    f = add(t1, add(bigSigma0(g), maj(g, h, a)));
    x = add(add(e, v128.load32_splat(k, 12)), ch(b, c, d));
    s = bigSigma1(b);
    t1 = add(x, s);
    a = add(add(a, x), s);
    e = add(t1, add(bigSigma0(f), maj(f, g, h)));
    x = add(add(d, v128.load32_splat(k, 16)), ch(a, b, c));
    s = bigSigma1(a);
    t1 = add(x, s);
    h = add(add(h, x), s);
    d = add(t1, add(bigSigma0(e), maj(e, f, g)));
    x = add(add(c, v128.load32_splat(k, 20)), ch(h, a, b));
    s = bigSigma1(h);
    t1 = add(x, s);
    g = add(add(g, x), s);
    c = add(t1, add(bigSigma0(d), maj(d, e, f)));
    x = add(add(b, v128.load32_splat(k, 24)), ch(g, h, a));
    s = bigSigma1(g);
    t1 = add(x, s);
    f = add(add(f, x), s);
    b = add(t1, add(bigSigma0(c), maj(c, d, e)));
    x = add(add(a, v128.load32_splat(k, 28)), ch(f, g, h));
    s = bigSigma1(f);
    t1 = add(x, s);
    e = add(add(e, x), s);
    a = add(t1, add(bigSigma0(b), maj(b, c, d)));
  }
  a = add(a, a1); b = add(b, b1); c = add(c, c1); d = add(d, d1);
  e = add(e, e1); f = add(f, f1); g = add(g, g1); h = add(h, h1);

  // Transpose back to one digest per lane, big-endian, top two bits of byte 31 cleared.
  const mask = v128(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x3f);
  let t0 = v128.shuffle<u32>(a, b, 0, 4, 1, 5);
  let t1b = v128.shuffle<u32>(a, b, 2, 6, 3, 7);
  let t2 = v128.shuffle<u32>(c, d, 0, 4, 1, 5);
  let t3 = v128.shuffle<u32>(c, d, 2, 6, 3, 7);
  const lo0 = bswap(v128.shuffle<u32>(t0, t2, 0, 1, 4, 5));
  const lo1 = bswap(v128.shuffle<u32>(t0, t2, 2, 3, 6, 7));
  const lo2 = bswap(v128.shuffle<u32>(t1b, t3, 0, 1, 4, 5));
  const lo3 = bswap(v128.shuffle<u32>(t1b, t3, 2, 3, 6, 7));
  t0 = v128.shuffle<u32>(e, f, 0, 4, 1, 5);
  t1b = v128.shuffle<u32>(e, f, 2, 6, 3, 7);
  t2 = v128.shuffle<u32>(g, h, 0, 4, 1, 5);
  t3 = v128.shuffle<u32>(g, h, 2, 6, 3, 7);
  v128.store(dst, lo0);
  v128.store(dst, v128.and(bswap(v128.shuffle<u32>(t0, t2, 0, 1, 4, 5)), mask), 16);
  v128.store(dst, lo1, 32);
  v128.store(dst, v128.and(bswap(v128.shuffle<u32>(t0, t2, 2, 3, 6, 7)), mask), 48);
  v128.store(dst, lo2, 64);
  v128.store(dst, v128.and(bswap(v128.shuffle<u32>(t1b, t3, 0, 1, 4, 5)), mask), 80);
  v128.store(dst, lo3, 96);
  v128.store(dst, v128.and(bswap(v128.shuffle<u32>(t1b, t3, 2, 3, 6, 7)), mask), 112);
}

// ---- Fr32 expansion and tree reduction --------------------------------------------------------

/**
 * 32 bytes of leaf from the bits of `src` starting `shift` bits into byte 0 (shift 2, 4 or 6),
 * top two bits cleared: each 64-bit lane shifted right, its top bits taken from one byte on.
 */
@inline function shiftedLeaf(src: usize, shift: i32, dst: usize, mask: v128): void {
  const lo = v128.or(i64x2.shr_u(v128.load(src), shift), i64x2.shl(v128.load(src, 1), 8 - shift));
  const hi = v128.or(i64x2.shr_u(v128.load(src, 16), shift), i64x2.shl(v128.load(src, 17), 8 - shift));
  v128.store(dst, lo);
  v128.store(dst, v128.and(hi, mask), 16);
}

/** Fr32-expands `quads` quads of INPUT into LEAVES: 127 bytes into four 254-bit leaves. */
function expand(quads: i32): void {
  const mask = v128(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x3f);
  let src = INPUT;
  let dst = LEAVES;
  for (let q = 0; q < quads; q++) {
    // Leaf k starts 254 k bits in: byte 0, byte 31 + 6 bits, byte 63 + 4 bits, byte 95 + 2 bits.
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.and(v128.load(src, 16), mask), 16);
    shiftedLeaf(src + 31, 6, dst + 32, mask);
    shiftedLeaf(src + 63, 4, dst + 64, mask);
    shiftedLeaf(src + 95, 2, dst + 96, mask);
    src += 127;
    dst += 128;
  }
}

/**
 * Reduces `count` leaves at LEAVES to their root (at LEAVES), pairing an odd node at the end
 * of a level with the zero subtree of that level. Returns the height.
 */
function reduce(count: i32): i32 {
  let level = 0;
  while (count > 1) {
    if (count & 1) {
      memory.copy(LEAVES + (<usize>count << 5), ZERO + (<usize>level << 5), 32);
      count++;
    }
    const pairs = count >> 1;
    for (let p = 0; p < pairs; p += 4) hash4(LEAVES + (<usize>p << 6), LEAVES + (<usize>p << 5));
    count = pairs;
    level++;
  }
  return level;
}

// ---- Exports ----------------------------------------------------------------------------------

/** Where a segment's payload goes (SEGMENT_PAYLOAD bytes). */
export function inputOffset(): usize {
  return INPUT;
}
/** Where a segment's Fr32 leaves go (1 MiB); the root lands at its start. */
export function leafOffset(): usize {
  return LEAVES;
}
/** hashPair's message (64 bytes: left, right); the node is written 256 bytes on. */
export function pairOffset(): usize {
  return PAIR;
}
/** The root of an all-zero subtree of `level` (0..63). */
export function zeroOffset(level: i32): usize {
  return ZERO + (<usize>level << 5);
}
/** Payload bytes per segment. */
export function segmentPayload(): i32 {
  return SEGMENT_PAYLOAD;
}

/**
 * The root of `length` payload bytes at INPUT (1..SEGMENT_PAYLOAD), zero-padded to whole quads
 * and then to a power-of-two number of leaves. The root is written at LEAVES; returns the height.
 */
export function payloadRoot(length: i32): i32 {
  const quads = (length + 126) / 127;
  memory.fill(INPUT + <usize>length, 0, <usize>(quads * 127 - length));
  expand(quads);
  return reduce(quads * 4);
}

/** The root of `count` leaves at LEAVES (1..32768), as payloadRoot does after expansion. */
export function leafRoot(count: i32): i32 {
  return reduce(count);
}

/** The node over PAIR's 64 bytes (left || right), written at PAIR + 256. */
export function hashPair(): void {
  hash4(PAIR, PAIR + 256);
}

// ---- Start: constant tables -------------------------------------------------------------------

function init(): void {
  // The padding block of a 64-byte message: W[0] = 0x80000000, W[15] = 512 bits.
  const w = memory.data(64 * 4, 16);
  store<u32>(w, 0x80000000);
  store<u32>(w + 15 * 4, 512);
  for (let t: usize = 16; t < 64; t++) {
    const x15 = load<u32>(w + (t - 15) * 4);
    const x2 = load<u32>(w + (t - 2) * 4);
    const s0 = rotr<u32>(x15, 7) ^ rotr<u32>(x15, 18) ^ (x15 >>> 3);
    const s1 = rotr<u32>(x2, 17) ^ rotr<u32>(x2, 19) ^ (x2 >>> 10);
    store<u32>(w + t * 4, s1 + load<u32>(w + (t - 7) * 4) + s0 + load<u32>(w + (t - 16) * 4));
  }
  for (let t: usize = 0; t < 64; t++) store<u32>(KW2 + t * 4, load<u32>(K + t * 4) + load<u32>(w + t * 4));
  // Zero subtrees: level l + 1 is the node over two of level l (level 0 is zeros already).
  for (let level = 1; level < ZERO_LEVELS; level++) {
    const below = ZERO + (<usize>(level - 1) << 5);
    memory.copy(PAIR, below, 32);
    memory.copy(PAIR + 32, below, 32);
    hashPair();
    memory.copy(ZERO + (<usize>level << 5), PAIR + 256, 32);
  }
}
init();
