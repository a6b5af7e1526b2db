// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {ShoalConsumer} from "../consumer/ShoalConsumer.sol";

/// @title WordCountConsumer
/// @notice Example Shoal consumer: anyone requests a word count over input pieces in one call,
/// paying the escrow in FIL, and the contract stores the result CID the market delivers.
/// Unused escrow (replicas that did not win, or the whole escrow of a job that expired or failed)
/// goes to the account that requested the job: anyone may call the base's `claimRefund(jobId)`.
contract WordCountConsumer is ShoalConsumer {
    /// @notice `requester` asked for a word count, posted as job `jobId`.
    event WordCountRequested(uint256 indexed jobId, address indexed requester);
    /// @notice The word count of job `jobId` is available at `resultCid`.
    event WordCountReceived(uint256 indexed jobId, bytes resultCid);

    /// @notice Seconds each claimant has to commit.
    uint24 public constant COMMIT_WINDOW = 1 hours;
    /// @notice Seconds the agreeing providers have to reveal.
    uint24 public constant REVEAL_WINDOW = 1 hours;
    /// @notice Gas the market gives {onShoalResult}: enough to store a 36-byte CID and emit an event.
    uint32 public constant CALLBACK_GAS = 200_000;

    /// @notice The result CID of each settled job (empty until the callback arrives).
    mapping(uint256 jobId => bytes resultCid) public resultOf;

    /// @param market The Shoal JobMarket.
    constructor(IJobMarket market) ShoalConsumer(market) {}

    /// @notice Posts a word-count job paid in FIL; send exactly the market's escrow
    /// (`replicas × price` plus the protocol fee) as `msg.value`.
    /// @param spec The job spec (Shoal job spec v1) of the word-count workload.
    /// @param inputs The input pieces to count words in.
    /// @param replicas How many providers run it (n).
    /// @param quorum How many equal results settle it (k).
    /// @param price Paid to each provider whose result is accepted, in attoFIL.
    /// @param collateral Locked by each claimant, in attoFIL.
    /// @param deadline Unix time by which the job must reach quorum (at least one hour ahead).
    /// @return jobId The job's ID.
    function requestWordCount(
        bytes calldata spec,
        IJobMarket.PieceRef[] calldata inputs,
        uint8 replicas,
        uint8 quorum,
        uint80 price,
        uint80 collateral,
        uint32 deadline
    ) external payable returns (uint256 jobId) {
        IJobMarket.JobRequest memory request = IJobMarket.JobRequest({
            spec: spec,
            inputs: inputs,
            locality: false,
            replicas: replicas,
            quorum: quorum,
            token: address(0),
            price: price,
            collateral: collateral,
            deadline: deadline,
            commitWindow: COMMIT_WINDOW,
            revealWindow: REVEAL_WINDOW,
            callback: address(this),
            callbackGas: CALLBACK_GAS,
            allowlistRoot: bytes32(0),
            distinctMiners: false
        });
        jobId = _requestJob(request, msg.value); // records msg.sender as the requester
        emit WordCountRequested(jobId, msg.sender);
    }

    function _onResult(uint256 jobId, bytes calldata resultCid) internal override {
        resultOf[jobId] = resultCid;
        emit WordCountReceived(jobId, resultCid);
    }
}
