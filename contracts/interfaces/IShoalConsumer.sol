// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IShoalConsumer
/// @notice Implemented by contracts that receive a Shoal job's result in a callback.
interface IShoalConsumer {
    /// @notice Called by the job market when job `jobId` settles with `resultCid`.
    /// @dev Runs with exactly the gas limit the job asked for; its failure never blocks settlement.
    /// @param jobId The job's ID.
    /// @param resultCid The binary CIDv1 of the result (sha2-256 multihash).
    function onShoalResult(uint256 jobId, bytes calldata resultCid) external;
}
