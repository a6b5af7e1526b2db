// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SelfDestructTarget
/// @notice Test double: a callback target that self-destructs when called (since Cancun, this
/// only sends its balance away unless it was created in the same transaction).
contract SelfDestructTarget {
    /// @notice Number of callbacks received before the self-destruct.
    uint256 public calls;

    /// @notice Counts the call, then self-destructs, sending any balance to the caller.
    function onShoalResult(uint256, bytes calldata) external {
        ++calls;
        selfdestruct(payable(msg.sender));
    }
}
