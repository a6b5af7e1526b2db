// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IShoalConsumer} from "../interfaces/IShoalConsumer.sol";

/// @title ShoalConsumer
/// @notice Base for contracts that request Shoal jobs and receive the result CID in a callback.
/// A derived contract posts jobs with {_requestJob} and implements {_onResult}; the market is the
/// only account whose callback is accepted. The consumer is the jobs' client, so refunds of unused
/// escrow are owed to it: {_withdrawRefunds} pulls them and forwards them to an address.
/// @dev The callback runs with exactly the gas limit the job asked for, and its failure never
/// blocks settlement: keep {_onResult} small (store the CID, emit an event) and ask for enough gas.
abstract contract ShoalConsumer is IShoalConsumer {
    using SafeERC20 for IERC20;

    /// @notice Only the job market may deliver results or send FIL to this consumer.
    /// @param caller The account that called.
    error ShoalConsumerUnauthorized(address caller);
    /// @notice The market address must not be zero.
    error ShoalConsumerZeroMarket();

    /// @notice `amount` of `token` (address(0) for FIL) refunded by the market was sent to `to`.
    event ShoalRefundsWithdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice The Shoal job market this consumer posts to and accepts results from.
    IJobMarket public immutable shoalMarket;

    /// @param market The Shoal JobMarket.
    constructor(IJobMarket market) {
        if (address(market) == address(0)) revert ShoalConsumerZeroMarket();
        shoalMarket = market;
    }

    /// @notice Accepts FIL refunds from the market only (see {_withdrawRefunds}).
    receive() external payable virtual {
        if (msg.sender != address(shoalMarket)) revert ShoalConsumerUnauthorized(msg.sender);
    }

    /// @inheritdoc IShoalConsumer
    function onShoalResult(uint256 jobId, bytes calldata resultCid) external {
        if (msg.sender != address(shoalMarket)) revert ShoalConsumerUnauthorized(msg.sender);
        _onResult(jobId, resultCid);
    }

    /// @notice Handles the result of job `jobId`, delivered by the market.
    /// @param jobId The job.
    /// @param resultCid The binary CIDv1 of the result.
    function _onResult(uint256 jobId, bytes calldata resultCid) internal virtual;

    /// @notice Posts `request` with this contract as its callback target.
    /// @dev For a FIL job, `value` is the escrow sent along and must equal what the market asks
    /// (`replicas × price` plus the fee). For an ERC-20 job, `value` is the allowance granted to
    /// the market for the escrow, taken from this contract's balance; the allowance is reset after.
    /// `request.callbackGas` must be set (the market refuses a callback without gas).
    /// @param request The job; its `callback` is overwritten with this contract.
    /// @param value The escrow (FIL sent, or token allowance).
    /// @return jobId The new job's ID.
    function _requestJob(IJobMarket.JobRequest memory request, uint256 value) internal returns (uint256 jobId) {
        request.callback = address(this);
        if (request.token == address(0)) {
            jobId = shoalMarket.submit{value: value}(request);
        } else {
            IERC20 token = IERC20(request.token);
            token.forceApprove(address(shoalMarket), value);
            jobId = shoalMarket.submit(request);
            token.forceApprove(address(shoalMarket), 0);
        }
    }

    /// @notice Pulls what the terminal jobs `jobIds` owe this consumer in `token` and sends it to `to`.
    /// @dev Reverts with the market's `NothingToWithdraw` when nothing is owed. Only what the market
    /// paid during this call is forwarded, never other funds the consumer holds.
    /// @param token The jobs' token (address(0) for FIL).
    /// @param jobIds Jobs this consumer posted.
    /// @param to The recipient.
    /// @return amount The amount forwarded.
    function _withdrawRefunds(address token, uint256[] memory jobIds, address to) internal returns (uint256 amount) {
        uint256 before = token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
        shoalMarket.withdraw(token, jobIds);
        if (token == address(0)) {
            amount = address(this).balance - before;
            emit ShoalRefundsWithdrawn(token, to, amount);
            Address.sendValue(payable(to), amount);
        } else {
            amount = IERC20(token).balanceOf(address(this)) - before;
            emit ShoalRefundsWithdrawn(token, to, amount);
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
