// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title GasProbeTarget
/// @notice Test double: records the gas left at the very start of each call it receives
/// (through the fallback, so no ABI decoding runs first), to show what a callback is given.
contract GasProbeTarget {
    /// @notice Gas left at the entry of the last call.
    uint256 public gasAtEntry;
    /// @notice Number of calls received.
    uint256 public calls;

    /// @notice Records `gasleft()` at entry, whatever the function called.
    fallback() external {
        uint256 g = gasleft();
        gasAtEntry = g;
        ++calls;
    }
}
