// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title GasBurnerTarget
/// @notice Test double: a callback target that loops until it runs out of gas.
contract GasBurnerTarget {
    /// @notice Never returns: burns all the gas it is given.
    function onShoalResult(uint256, bytes calldata) external pure {
        assembly ("memory-safe") {
            for {} 1 {} {}
        }
    }
}
