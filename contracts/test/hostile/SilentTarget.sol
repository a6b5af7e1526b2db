// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SilentTarget
/// @notice Test double: a callback target that accepts the result and does nothing (a baseline
/// for gas comparisons).
contract SilentTarget {
    /// @notice Returns at once.
    function onShoalResult(uint256, bytes calldata) external pure {}
}
