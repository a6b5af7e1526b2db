// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ResultCid
/// @notice Result CIDs are binary CIDv1 with a sha2-256 multihash and a one-byte codec
/// (0x55 raw, 0x70 dag-pb, 0x71 dag-cbor): `0x01 <codec> 0x12 0x20 <32-byte digest>`.
/// The market stores only the codec and the digest and rebuilds the bytes on demand.
library ResultCid {
    uint256 internal constant LENGTH = 36;

    /// @notice Splits `cid` into codec and digest; `ok` is false when it is not of the supported form.
    /// @param cid The binary CID.
    /// @return ok Whether the CID is supported.
    /// @return codec The multicodec (< 0x80).
    /// @return digest The sha2-256 digest.
    function parse(bytes calldata cid) internal pure returns (bool ok, uint8 codec, bytes32 digest) {
        if (cid.length != LENGTH || cid[0] != 0x01 || uint8(cid[1]) >= 0x80 || cid[2] != 0x12 || cid[3] != 0x20) {
            return (false, 0, 0);
        }
        codec = uint8(cid[1]);
        digest = bytes32(cid[4:36]);
        ok = codec != 0;
    }

    /// @notice Rebuilds the binary CID from its codec and digest.
    /// @param codec The multicodec.
    /// @param digest The sha2-256 digest.
    /// @return The 36-byte CID.
    function encode(uint8 codec, bytes32 digest) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(0x01), codec, uint8(0x12), uint8(0x20), digest);
    }
}
