// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {ShoalConsumer} from "../../consumer/ShoalConsumer.sol";

/// @title TokenConsumerHarness
/// @notice Test double: exposes {ShoalConsumer}'s internals, to test ERC-20 and FIL jobs posted by
/// a consumer contract and the forwarding of their refunds.
contract TokenConsumerHarness is ShoalConsumer {
    /// @notice The last result received, by job.
    mapping(uint256 jobId => bytes) public results;

    /// @param market The market.
    constructor(IJobMarket market) ShoalConsumer(market) {}

    /// @notice Posts `request` through {_requestJob}.
    /// @param job The job.
    /// @param value FIL to send, or the token allowance to grant.
    /// @return jobId The job.
    function requestJob(IJobMarket.JobRequest memory job, uint256 value) external payable returns (uint256 jobId) {
        return _requestJob(job, value);
    }

    /// @notice Forwards the refunds of `jobIds` to `to` through {_withdrawRefunds}.
    /// @param token The token.
    /// @param jobIds The jobs.
    /// @param to The recipient.
    /// @return The amount forwarded.
    function withdrawTo(address token, uint256[] calldata jobIds, address to) external returns (uint256) {
        return _withdrawRefunds(token, jobIds, to);
    }

    function _onResult(uint256 jobId, bytes calldata resultCid) internal override {
        results[jobId] = resultCid;
    }
}
