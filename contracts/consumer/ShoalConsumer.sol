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
/// only account whose callback is accepted.
///
/// Refunds: the consumer is the jobs' client, so the market owes it the unused escrow of each
/// terminal job (replicas that did not win, or everything for an expired, cancelled or failed job).
/// By default that money goes to the job's requester, the account that called the function which
/// posted it: anyone may call {claimRefund} once the job is terminal, and the refund is pulled from
/// the market and paid to the requester in that call. Override {_payRefund} to do something else
/// with it (credit a balance, keep it), or post with {_requestJob}'s `requester` argument.
/// @dev Why not in the callback: the market calls {onShoalResult} from inside its non-reentrant
/// `reveal`/`finalize`, so the callback cannot call `withdraw`, and expired, cancelled and failed
/// jobs get no callback at all. The callback runs with exactly the gas limit the job asked for, and
/// its failure never blocks settlement: keep {_onResult} small (store the CID, emit an event).
abstract contract ShoalConsumer is IShoalConsumer {
    using SafeERC20 for IERC20;

    /// @notice Only the job market may deliver results or send FIL to this consumer.
    /// @param caller The account that called.
    error ShoalConsumerUnauthorized(address caller);
    /// @notice The market address must not be zero.
    error ShoalConsumerZeroMarket();
    /// @notice Job `jobId` has no requester here: it was not posted through this consumer, or was
    /// posted with no requester (its refunds are the derived contract's to handle).
    /// @param jobId The job.
    error ShoalConsumerNoRequester(uint256 jobId);

    /// @notice This consumer posted job `jobId` for `requester`, who receives its refund.
    event ShoalJobRequested(uint256 indexed jobId, address indexed requester);
    /// @notice The refund of job `jobId`, `amount` of `token` (address(0) for FIL), was pulled from
    /// the market for `requester` (and, by default, paid to it in the same call).
    event ShoalRefundClaimed(uint256 indexed jobId, address indexed requester, address token, uint256 amount);
    /// @notice `amount` of `token` (address(0) for FIL) refunded by the market was sent to `to`.
    event ShoalRefundsWithdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice The Shoal job market this consumer posts to and accepts results from.
    IJobMarket public immutable shoalMarket;

    mapping(uint256 jobId => address requester) private _requesters;

    /// @param market The Shoal JobMarket.
    constructor(IJobMarket market) {
        if (address(market) == address(0)) revert ShoalConsumerZeroMarket();
        shoalMarket = market;
    }

    /// @notice Accepts FIL refunds from the market only (see {claimRefund}).
    receive() external payable virtual {
        if (msg.sender != address(shoalMarket)) revert ShoalConsumerUnauthorized(msg.sender);
    }

    /// @inheritdoc IShoalConsumer
    function onShoalResult(uint256 jobId, bytes calldata resultCid) external {
        if (msg.sender != address(shoalMarket)) revert ShoalConsumerUnauthorized(msg.sender);
        _onResult(jobId, resultCid);
    }

    /// @notice Pulls the refund the market owes this consumer for terminal job `jobId` and, by
    /// default, pays it to the job's requester. Anyone may call: the money only ever goes where
    /// {_payRefund} sends it. Reverts with the market's `NothingToWithdraw` while the job is not
    /// terminal, when it owes nothing (an n = k job that settled), or once the refund was claimed.
    /// @param jobId A job this consumer posted.
    /// @return amount The refund, in the job's token (address(0) for FIL).
    function claimRefund(uint256 jobId) external returns (uint256 amount) {
        address requester = _requesters[jobId];
        if (requester == address(0)) revert ShoalConsumerNoRequester(jobId);
        address token = shoalMarket.getJob(jobId).token;
        uint256[] memory jobIds = new uint256[](1);
        jobIds[0] = jobId;
        // Checks-effects-interactions: the market marks the refund collected before it pays us, so a
        // second claim (or a re-entrant one from the requester) finds nothing to withdraw.
        amount = _pullRefunds(token, jobIds);
        emit ShoalRefundClaimed(jobId, requester, token, amount);
        _payRefund(jobId, requester, token, amount);
    }

    /// @notice Who requested job `jobId` and receives its refund (address(0) if none).
    /// @param jobId The job.
    /// @return The requester.
    function requesterOf(uint256 jobId) public view returns (address) {
        return _requesters[jobId];
    }

    /// @notice Handles the result of job `jobId`, delivered by the market.
    /// @param jobId The job.
    /// @param resultCid The binary CIDv1 of the result.
    function _onResult(uint256 jobId, bytes calldata resultCid) internal virtual;

    /// @notice What {claimRefund} does with a refund pulled from the market: by default, pays it to
    /// the requester. A requester that refuses the payment only makes its own claim revert (the
    /// refund then stays owed by the market); override to credit a balance for a later pull instead.
    /// @param jobId The job.
    /// @param requester Its requester.
    /// @param token The token (address(0) for FIL).
    /// @param amount The refund.
    function _payRefund(uint256 jobId, address requester, address token, uint256 amount) internal virtual {
        jobId; // the default ignores it; overrides may use it
        _send(token, requester, amount);
    }

    /// @notice Posts `request` with this contract as its callback target, for `msg.sender` (who
    /// receives the job's refund through {claimRefund}).
    /// @dev For a FIL job, `value` is the escrow sent along and must equal what the market asks
    /// (`replicas × price` plus the fee). For an ERC-20 job, `value` is the allowance granted to
    /// the market for the escrow, taken from this contract's balance; the allowance is reset after.
    /// `request.callbackGas` must be set (the market refuses a callback without gas).
    /// @param request The job; its `callback` is overwritten with this contract.
    /// @param value The escrow (FIL sent, or token allowance).
    /// @return jobId The new job's ID.
    function _requestJob(IJobMarket.JobRequest memory request, uint256 value) internal returns (uint256 jobId) {
        return _requestJob(request, value, msg.sender);
    }

    /// @notice Posts `request` as {_requestJob} does, for `requester`: the account its refund goes
    /// to. address(0) records none: {claimRefund} then refuses the job and the derived contract
    /// handles its refund itself (see {_withdrawRefunds}).
    /// @param request The job; its `callback` is overwritten with this contract.
    /// @param value The escrow (FIL sent, or token allowance).
    /// @param requester Who receives the refund.
    /// @return jobId The new job's ID.
    function _requestJob(IJobMarket.JobRequest memory request, uint256 value, address requester)
        internal
        returns (uint256 jobId)
    {
        request.callback = address(this);
        if (request.token == address(0)) {
            jobId = shoalMarket.submit{value: value}(request);
        } else {
            IERC20 token = IERC20(request.token);
            token.forceApprove(address(shoalMarket), value);
            jobId = shoalMarket.submit(request);
            token.forceApprove(address(shoalMarket), 0);
        }
        if (requester != address(0)) {
            _requesters[jobId] = requester;
            emit ShoalJobRequested(jobId, requester);
        }
    }

    /// @notice Pulls what the terminal jobs `jobIds` owe this consumer in `token` and sends it to `to`.
    /// @dev For derived contracts that handle refunds themselves: it does not look at requesters, so
    /// a job pulled here has nothing left for {claimRefund}. Reverts with the market's
    /// `NothingToWithdraw` when nothing is owed. Only what the market paid during this call is
    /// forwarded, never other funds the consumer holds.
    /// @param token The jobs' token (address(0) for FIL).
    /// @param jobIds Jobs this consumer posted.
    /// @param to The recipient.
    /// @return amount The amount forwarded.
    function _withdrawRefunds(address token, uint256[] memory jobIds, address to) internal returns (uint256 amount) {
        amount = _pullRefunds(token, jobIds);
        emit ShoalRefundsWithdrawn(token, to, amount);
        _send(token, to, amount);
    }

    /// @dev Withdraws from the market and returns what arrived during the call.
    function _pullRefunds(address token, uint256[] memory jobIds) private returns (uint256) {
        uint256 before = _balance(token);
        shoalMarket.withdraw(token, jobIds);
        return _balance(token) - before;
    }

    function _balance(address token) private view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }
}
