// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketAPI} from "filecoin-solidity-api/contracts/v0.8/MarketAPI.sol";
import {MarketTypes} from "filecoin-solidity-api/contracts/v0.8/types/MarketTypes.sol";
import {CommonTypes} from "filecoin-solidity-api/contracts/v0.8/types/CommonTypes.sol";

import {PieceKey} from "../libraries/PieceKey.sol";
import {IDealLocality} from "./IDealLocality.sol";

/// @title DealLocality
/// @notice Proves that a provider stores a piece through an active f05 market deal of its bound miner.
/// @dev Read-only; every check is a read-only call to the market actor (ID 5) via filecoin-solidity's
/// MarketAPI, i.e. a DELEGATECALL to the call_actor_id precompile. The miner ID comes from the provider
/// registry, and the deal's provider ID comes from the market actor itself, so an EVM contract posing as a
/// miner cannot forge a deal. Errors raised inside filecoin-solidity (e.g. `Actor.FailToCallActor()` when
/// the precompile fails) bubble up unchanged.
contract DealLocality is IDealLocality {
    /// @dev builtin-actors market: FIRST_ACTOR_SPECIFIC_EXIT_CODE (32) + 1; the deal is no longer in state.
    int256 private constant EX_DEAL_EXPIRED = 33;

    /// @notice Reverts unless `proof` names an active deal of miner `minerId` for the piece (`root`, `paddedSize`).
    /// @param provider The claimant (used in diagnostics).
    /// @param minerId The claimant's bound miner actor ID; must be the deal's provider.
    /// @param root The piece root.
    /// @param paddedSize The piece's padded size.
    /// @param proof `abi.encode(uint64 dealId)`.
    function verifyLocality(address provider, uint64 minerId, bytes32 root, uint64 paddedSize, bytes calldata proof)
        external
        view
    {
        if (minerId == 0) revert DealLocalityNoMiner(provider);
        uint64 dealId = _decodeProof(proof);
        _checkProvider(dealId, minerId);
        _checkPiece(dealId, root, paddedSize);
        _checkActivation(dealId);
        _checkTerm(dealId);
    }

    function _decodeProof(bytes calldata proof) private pure returns (uint64) {
        if (proof.length != 32) revert DealLocalityInvalidProof(proof);
        uint256 dealId = abi.decode(proof, (uint256));
        if (dealId > type(uint64).max) revert DealLocalityInvalidProof(proof);
        return uint64(dealId);
    }

    function _checkProvider(uint64 dealId, uint64 minerId) private view {
        (int256 exitCode, uint64 dealProvider) = MarketAPI.getDealProvider(dealId);
        _checkExit(dealId, MarketTypes.GetDealProviderMethodNum, exitCode);
        if (dealProvider != minerId) revert DealLocalityWrongProvider(dealId, dealProvider, minerId);
    }

    function _checkPiece(uint64 dealId, bytes32 root, uint64 paddedSize) private view {
        (int256 exitCode, MarketTypes.GetDealDataCommitmentReturn memory commitment) =
            MarketAPI.getDealDataCommitment(dealId);
        _checkExit(dealId, MarketTypes.GetDealDataCommitmentMethodNum, exitCode);
        // The market actor returns the CID inside a dag-cbor link: with the leading 0x00 byte.
        bytes32 dealRoot = PieceKey.fromV1(commitment.data);
        if (dealRoot != root || commitment.size != paddedSize) {
            revert DealLocalityPieceMismatch(dealId, dealRoot, commitment.size);
        }
    }

    function _checkActivation(uint64 dealId) private view {
        (int256 exitCode, MarketTypes.GetDealActivationReturn memory activation) = MarketAPI.getDealActivation(dealId);
        _checkExit(dealId, MarketTypes.GetDealActivationMethodNum, exitCode);
        // filecoin-solidity's CborDecode.readInt64 drops the sign: the actor's -1 ("never") reads as 0.
        int64 activated = CommonTypes.ChainEpoch.unwrap(activation.activated);
        if (activated <= 0 || uint256(int256(activated)) > block.number) {
            revert DealLocalityNotActivated(dealId, activated);
        }
        int64 terminated = CommonTypes.ChainEpoch.unwrap(activation.terminated);
        if (terminated > 0) revert DealLocalityTerminated(dealId, terminated);
    }

    function _checkTerm(uint64 dealId) private view {
        (int256 exitCode, MarketTypes.GetDealTermReturn memory term) = MarketAPI.getDealTerm(dealId);
        _checkExit(dealId, MarketTypes.GetDealTermMethodNum, exitCode);
        // The term is (start, duration); the deal ends at start + duration, exclusive. int256 cannot overflow.
        int256 endEpoch =
            int256(CommonTypes.ChainEpoch.unwrap(term.start)) + int256(CommonTypes.ChainEpoch.unwrap(term.duration));
        if (int256(block.number) >= endEpoch) revert DealLocalityExpired(dealId, endEpoch);
    }

    function _checkExit(uint64 dealId, uint256 method, int256 exitCode) private pure {
        if (exitCode == 0) return;
        if (exitCode == EX_DEAL_EXPIRED) revert DealLocalityDealGone(dealId, method);
        revert DealLocalityMarketCallFailed(dealId, method, exitCode);
    }
}
