// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IJobMarket} from "../../interfaces/IJobMarket.sol";

/// @title ReentrantClient
/// @notice Test double: a client contract that posts a job with itself as the callback target and,
/// from the callback, tries to re-enter the market's `finalize`, `withdraw` (its own refund) and
/// `claim`. It records, for each, whether the re-entry reverted and the revert's selector.
contract ReentrantClient {
    /// @notice The market attacked.
    IJobMarket public immutable market;
    /// @notice Callbacks received.
    uint256 public calls;
    /// @notice Whether re-entering `finalize` reverted.
    bool public finalizeReverted;
    /// @notice Whether re-entering `withdraw` reverted.
    bool public withdrawReverted;
    /// @notice Whether re-entering `claim` reverted.
    bool public claimReverted;
    /// @notice The selector `finalize` reverted with (zero if it did not revert).
    bytes4 public finalizeError;
    /// @notice The selector `withdraw` reverted with (zero if it did not revert).
    bytes4 public withdrawError;
    /// @notice The selector `claim` reverted with (zero if it did not revert).
    bytes4 public claimError;

    /// @param market_ The market.
    constructor(IJobMarket market_) {
        market = market_;
    }

    /// @notice Accepts refunds.
    receive() external payable {}

    /// @notice Posts `request` with this contract as client and callback target.
    /// @param request The job (its callback is overwritten).
    /// @return jobId The job.
    function submit(IJobMarket.JobRequest memory request) external payable returns (uint256 jobId) {
        request.callback = address(this);
        return market.submit{value: msg.value}(request);
    }

    /// @notice Withdraws the refunds of `jobIds` (outside any callback).
    /// @param jobIds The jobs.
    function withdraw(uint256[] calldata jobIds) external {
        market.withdraw(address(0), jobIds);
    }

    /// @notice Tries to re-enter finalize, withdraw and claim, recording how each one fails.
    /// @param jobId The job that settled.
    function onShoalResult(uint256 jobId, bytes calldata) external {
        ++calls;
        try market.finalize(jobId) {}
        catch (bytes memory reason) {
            finalizeReverted = true;
            finalizeError = bytes4(reason);
        }
        uint256[] memory ids = new uint256[](1);
        ids[0] = jobId;
        try market.withdraw(address(0), ids) {}
        catch (bytes memory reason) {
            withdrawReverted = true;
            withdrawError = bytes4(reason);
        }
        try market.claim(jobId, 0, new IJobMarket.PieceRef[](0), new IJobMarket.LocalityProof[](0), new bytes32[](0)) {}
        catch (bytes memory reason) {
            claimReverted = true;
            claimError = bytes4(reason);
        }
    }
}
