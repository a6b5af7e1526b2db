/** Multicodec of PieceCID v1: fil-commitment-unsealed. */
export const FIL_COMMITMENT_UNSEALED = 0xf101;
/** Multihash of PieceCID v1: sha2-256-trunc254-padded (32-byte root, no size). */
export const SHA2_256_TRUNC254_PADDED = 0x1012;
/** Multihash of PieceCID v2 (FRC-0069): fr32-sha2-256-trunc254-padded-binary-tree. */
export const FR32_SHA256_TRUNC254_PADBINTREE = 0x1011;
/** Multicodec raw, the codec of PieceCID v2. */
export const RAW_CODEC = 0x55;
/** The smallest piece: 128 bytes padded (height 2). */
export const MIN_PIECE_HEIGHT = 2;
/** The largest piece whose padded size fits a uint64, as the JobMarket contract stores it (2^63 bytes). */
export const MAX_PIECE_HEIGHT = 58;
/** The smallest payload a piece commitment is computed over (it must fill more than a 64-byte piece). */
export const MIN_PIECE_PAYLOAD_SIZE = 65;
