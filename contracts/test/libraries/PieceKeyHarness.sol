// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PieceKey} from "../../libraries/PieceKey.sol";

/// @title PieceKeyHarness
/// @notice Exposes the PieceKey library to tests. TEST ONLY.
contract PieceKeyHarness {
    /// @notice See {PieceKey.fromV2}.
    /// @param cid The CID bytes.
    /// @return root The root.
    /// @return paddedSize The padded size.
    function fromV2(bytes memory cid) external pure returns (bytes32 root, uint64 paddedSize) {
        return PieceKey.fromV2(cid);
    }

    /// @notice See {PieceKey.fromV1}.
    /// @param cid The CID bytes.
    /// @return root The root.
    function fromV1(bytes memory cid) external pure returns (bytes32 root) {
        return PieceKey.fromV1(cid);
    }
}
