// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title HugeReturnTarget
/// @notice Test double: a callback target that expands its memory to `size` bytes and then, by
/// mode, returns all of it, reverts with all of it, or reverts with nothing. The three cost the
/// callee the same; a caller that copies return data would pay for the first two.
contract HugeReturnTarget {
    /// @notice What the callback does with its memory.
    enum Mode {
        ReturnHuge,
        RevertHuge,
        RevertEmpty
    }

    /// @notice The current mode.
    Mode public mode;
    /// @notice Bytes of memory touched (and returned, by mode).
    uint256 public size = 1 << 20;

    /// @notice Sets the mode and size.
    /// @param mode_ The mode.
    /// @param size_ Bytes of memory touched.
    function configure(Mode mode_, uint256 size_) external {
        mode = mode_;
        size = size_;
    }

    /// @notice Touches `size` bytes of memory, then returns or reverts by mode.
    function onShoalResult(uint256, bytes calldata) external view {
        Mode m = mode;
        uint256 n = size;
        assembly {
            // Touch the last word: pays the memory expansion up to `n` bytes.
            mstore(sub(n, 0x20), 1)
            switch m
            case 0 { return(0, n) }
            case 1 { revert(0, n) }
            default { revert(0, 0) }
        }
    }
}
