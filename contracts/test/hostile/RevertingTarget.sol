// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RevertingTarget
/// @notice Test double: a callback target that always reverts.
contract RevertingTarget {
    /// @notice Raised on every callback.
    /// @param jobId The job whose result arrived.
    error RevertingTargetRefused(uint256 jobId);

    /// @notice Reverts.
    /// @param jobId The job.
    function onShoalResult(uint256 jobId, bytes calldata) external pure {
        revert RevertingTargetRefused(jobId);
    }
}
