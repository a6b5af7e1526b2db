// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title MockCbor
/// @notice The few canonical CBOR encodings the mock actors need, written independently of
/// filecoin-solidity's decoders (which they exercise), as fvm_ipld_encoding (serde_cbor) produces them.
library MockCbor {
    /// @notice Canonical header: major type and argument in the shortest form.
    function header(uint8 major, uint64 value) internal pure returns (bytes memory) {
        uint8 m = major << 5;
        if (value < 24) return abi.encodePacked(m | uint8(value));
        if (value <= type(uint8).max) return abi.encodePacked(m | 24, uint8(value));
        if (value <= type(uint16).max) return abi.encodePacked(m | 25, uint16(value));
        if (value <= type(uint32).max) return abi.encodePacked(m | 26, uint32(value));
        return abi.encodePacked(m | 27, value);
    }

    /// @notice An unsigned integer (major 0).
    function uint64Item(uint64 value) internal pure returns (bytes memory) {
        return header(0, value);
    }

    /// @notice A signed integer: major 0 if >= 0, else major 1 with -1 - value.
    function int64Item(int64 value) internal pure returns (bytes memory) {
        if (value >= 0) return header(0, uint64(value));
        return header(1, uint64(-1 - value));
    }

    /// @notice A byte string (major 2).
    function bytesItem(bytes memory value) internal pure returns (bytes memory) {
        return bytes.concat(header(2, uint64(value.length)), value);
    }

    /// @notice A dag-cbor link: tag 42 over a byte string of 0x00 (multibase identity) then the CID.
    function cidItem(bytes memory cid) internal pure returns (bytes memory) {
        return bytes.concat(hex"d82a", bytesItem(bytes.concat(hex"00", cid)));
    }

    /// @notice true (0xf5) or false (0xf4).
    function boolItem(bool value) internal pure returns (bytes memory) {
        return value ? bytes(hex"f5") : bytes(hex"f4");
    }

    /// @notice null (0xf6).
    function nullItem() internal pure returns (bytes memory) {
        return hex"f6";
    }

    /// @notice A fixed-length array header (major 4).
    function arrayHeader(uint64 length) internal pure returns (bytes memory) {
        return header(4, length);
    }

    /// @notice A Filecoin BigInt (fvm_shared bigint_ser): empty for zero, else 0x00 (sign) then big-endian magnitude.
    function bigIntItem(uint256 value) internal pure returns (bytes memory) {
        if (value == 0) return bytesItem("");
        uint256 length = 32;
        while (uint8(bytes32(value)[32 - length]) == 0) --length;
        bytes memory magnitude = new bytes(length);
        for (uint256 i; i < length; ++i) {
            magnitude[i] = bytes32(value)[32 - length + i];
        }
        return bytesItem(bytes.concat(hex"00", magnitude));
    }

    /// @notice Decodes `data` as exactly one canonical unsigned integer (a transparent u64 param).
    /// @return ok False if `data` is anything else.
    function decodeUint64(bytes calldata data) internal pure returns (bool ok, uint64 value) {
        if (data.length == 0 || uint8(data[0]) >> 5 != 0) return (false, 0);
        uint8 info = uint8(data[0]) & 31;
        if (info < 24) return (data.length == 1, info);
        if (info > 27) return (false, 0);
        uint256 size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
        if (data.length != 1 + size) return (false, 0);
        for (uint256 i; i < size; ++i) {
            value = (value << 8) | uint8(data[1 + i]);
        }
        // Canonical form only: the value must not fit the next shorter encoding (size / 2 bytes).
        ok = info == 24 ? value >= 24 : uint256(value) >= (uint256(1) << (4 * size));
    }

    /// @notice Decodes `data` as exactly one byte string (a transparent Address param).
    /// @return ok False if `data` is anything else.
    function decodeBytes(bytes calldata data) internal pure returns (bool ok, bytes memory value) {
        if (data.length == 0 || uint8(data[0]) >> 5 != 2) return (false, value);
        uint8 info = uint8(data[0]) & 31;
        uint256 length;
        uint256 offset = 1;
        if (info < 24) {
            length = info;
        } else if (info == 24 && data.length >= 2) {
            length = uint8(data[1]);
            offset = 2;
        } else {
            return (false, value);
        }
        if (data.length != offset + length) return (false, value);
        return (true, data[offset:]);
    }
}
