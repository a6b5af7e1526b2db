// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PieceKey
/// @notice Turns Filecoin piece CIDs into the canonical piece key (root, padded size), so that
/// PieceCID v1 (`baga…`) and v2 (`bafkzcib…`) name the same piece.
/// @dev Byte layouts (multiformats varints are unsigned LEB128, minimal, at most 9 bytes):
///
///   v1 (39 bytes):  01 | 81 e2 03 | 92 20 | 20 | root[32]
///                   CIDv1, fil-commitment-unsealed (0xf101), sha2-256-trunc254-padded (0x1012), length 32
///                   (the f05 market actor returns it with one extra leading 0x00, the dag-cbor multibase byte)
///   v2 (FRC-0069):  01 | 55 | 91 20 | varint mhLen | varint padding | height | root[32]
///                   CIDv1, raw, fr32-sha256-trunc254-padbintree (0x1011); mhLen = len(varint padding) + 33;
///                   padded size = 32 << height
///
/// Every root is a SHA-256 output truncated to 254 bits: the top two bits of its last byte are zero.
library PieceKey {
    /// @notice The CID has the wrong length for its version.
    /// @param expected The length its header implies (or the only valid one).
    /// @param actual Its length.
    error PieceKeyInvalidLength(uint256 expected, uint256 actual);
    /// @notice A header byte is not the one the CID version requires.
    /// @param offset Where, in the CID bytes.
    /// @param found The byte found there.
    error PieceKeyInvalidByte(uint256 offset, bytes1 found);
    /// @notice A varint is truncated, longer than 9 bytes, or not minimally encoded.
    /// @param offset Where it starts, in the CID bytes.
    error PieceKeyInvalidVarint(uint256 offset);
    /// @notice The multihash digest length disagrees with the digest it announces.
    /// @param declared The declared digest length.
    /// @param expected The digest length implied by the padding varint.
    error PieceKeyInvalidDigestLength(uint256 declared, uint256 expected);
    /// @notice The tree height gives a padded size below 128 bytes or above 2^63.
    /// @param height The height found.
    error PieceKeyInvalidHeight(uint8 height);
    /// @notice The padding is at least the piece's capacity (FRC-0069 excessive padding).
    /// @param padding The padding found, in unpadded bytes.
    /// @param height The tree height.
    error PieceKeyExcessivePadding(uint256 padding, uint8 height);
    /// @notice The root is not a 254-bit truncated digest (top bits of its last byte set).
    /// @param root The root found.
    error PieceKeyInvalidRoot(bytes32 root);

    /// @dev 01 55 91 20: CIDv1, raw, fr32-sha256-trunc254-padbintree.
    bytes4 private constant V2_PREFIX = 0x01559120;
    /// @dev 01 81e203 9220 20: CIDv1, fil-commitment-unsealed, sha2-256-trunc254-padded, 32-byte digest.
    bytes7 private constant V1_PREFIX = 0x0181e203922020;
    uint256 private constant V1_LENGTH = 39;
    uint256 private constant V2_MIN_LENGTH = 39; // prefix 4 + mhLen 1 + padding 1 + height 1 + root 32
    uint8 private constant MIN_HEIGHT = 2; // 128 bytes, the smallest piece
    uint8 private constant MAX_HEIGHT = 58; // 2^63 bytes, the largest that fits a uint64
    uint256 private constant MAX_VARINT_BYTES = 9;

    /// @notice Parses a PieceCID v2 (FRC-0069).
    /// @param cid The CID bytes (binary, not multibase text).
    /// @return root The piece root.
    /// @return paddedSize The padded piece size in bytes (32 << height).
    function fromV2(bytes memory cid) internal pure returns (bytes32 root, uint64 paddedSize) {
        if (cid.length < V2_MIN_LENGTH) revert PieceKeyInvalidLength(V2_MIN_LENGTH, cid.length);
        _expectPrefix(cid, 0, bytes32(V2_PREFIX), 4);
        (uint256 digestLength, uint256 paddingAt) = _readVarint(cid, 4);
        (uint256 padding, uint256 heightAt) = _readVarint(cid, paddingAt);
        // Both varints sit within the first 22 bytes and the CID has at least 39, so they are in bounds.
        uint256 expectedDigest = heightAt - paddingAt + 33;
        if (digestLength != expectedDigest) revert PieceKeyInvalidDigestLength(digestLength, expectedDigest);
        if (cid.length != paddingAt + digestLength) revert PieceKeyInvalidLength(paddingAt + digestLength, cid.length);

        uint8 height = uint8(cid[heightAt]);
        if (height < MIN_HEIGHT || height > MAX_HEIGHT) revert PieceKeyInvalidHeight(height);
        // 128 * padding cannot overflow: padding < 2^63 (a 9-byte varint).
        if ((128 * padding) / 127 >= uint256(32) << height) revert PieceKeyExcessivePadding(padding, height);

        root = _rootAt(cid, heightAt + 1);
        paddedSize = uint64(32) << height;
    }

    /// @notice Parses a PieceCID v1, bare (39 bytes) or with the market actor's leading 0x00 (40 bytes).
    /// @param cid The CID bytes.
    /// @return root The piece root (v1 CIDs carry no size).
    function fromV1(bytes memory cid) internal pure returns (bytes32 root) {
        uint256 start;
        if (cid.length == V1_LENGTH + 1) {
            if (cid[0] != 0x00) revert PieceKeyInvalidByte(0, cid[0]);
            start = 1;
        } else if (cid.length != V1_LENGTH) {
            revert PieceKeyInvalidLength(V1_LENGTH, cid.length);
        }
        _expectPrefix(cid, start, bytes32(V1_PREFIX), 7);
        root = _rootAt(cid, start + 7);
    }

    /// @dev Reverts with the first differing byte unless cid[offset:offset+length] equals `prefix`'s leading bytes.
    function _expectPrefix(bytes memory cid, uint256 offset, bytes32 prefix, uint256 length) private pure {
        bytes32 word;
        assembly ("memory-safe") {
            word := mload(add(add(cid, 0x20), offset))
        }
        // Keep the leading `length` bytes only (length <= 7).
        bytes32 mask = bytes32(~(type(uint256).max >> (length * 8)));
        if (word & mask == prefix) return;
        for (uint256 i; i < length; ++i) {
            if (cid[offset + i] != prefix[i]) revert PieceKeyInvalidByte(offset + i, cid[offset + i]);
        }
    }

    /// @dev Reads the 32-byte root at `offset` (the caller checked that offset + 32 == cid.length).
    function _rootAt(bytes memory cid, uint256 offset) private pure returns (bytes32 root) {
        assembly ("memory-safe") {
            root := mload(add(add(cid, 0x20), offset))
        }
        if (uint8(root[31]) & 0xc0 != 0) revert PieceKeyInvalidRoot(root);
    }

    /// @dev Reads a minimal unsigned varint of at most 9 bytes at `offset`; returns it and the next offset.
    function _readVarint(bytes memory data, uint256 offset) private pure returns (uint256 value, uint256 next) {
        for (uint256 i; i < MAX_VARINT_BYTES && offset + i < data.length; ++i) {
            uint8 b = uint8(data[offset + i]);
            value |= uint256(b & 0x7f) << (7 * i);
            if (b < 0x80) {
                // A last byte of zero after the first adds nothing: the encoding is not minimal.
                if (b == 0 && i > 0) revert PieceKeyInvalidVarint(offset);
                return (value, offset + i + 1);
            }
        }
        revert PieceKeyInvalidVarint(offset);
    }
}
