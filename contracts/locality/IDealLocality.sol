// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILocalityVerifier} from "../interfaces/ILocalityVerifier.sol";

/// @title IDealLocality
/// @notice Locality adapter for f05 storage market deals (builtin market actor through filecoin-solidity).
/// Proof: `abi.encode(uint64 dealId)`.
interface IDealLocality is ILocalityVerifier {
    /// @notice The provider has no Filecoin miner bound in the registry.
    /// @param provider The claimant.
    error DealLocalityNoMiner(address provider);
    /// @notice The proof is not `abi.encode(uint64 dealId)`.
    /// @param proof The proof given.
    error DealLocalityInvalidProof(bytes proof);
    /// @notice The market actor answered a getter with a non-zero exit code (e.g. 17 USR_NOT_FOUND: no such deal).
    /// @param dealId The deal.
    /// @param method The FRC-42 method number called.
    /// @param exitCode The exit code.
    error DealLocalityMarketCallFailed(uint64 dealId, uint256 method, int256 exitCode);
    /// @notice The market actor no longer holds the deal (exit code 33 EX_DEAL_EXPIRED: expired, or terminated).
    /// @param dealId The deal.
    /// @param method The FRC-42 method number that reported it.
    error DealLocalityDealGone(uint64 dealId, uint256 method);
    /// @notice The deal belongs to another miner.
    /// @param dealId The deal.
    /// @param dealProvider The deal's provider actor ID.
    /// @param minerId The claimant's bound miner.
    error DealLocalityWrongProvider(uint64 dealId, uint64 dealProvider, uint64 minerId);
    /// @notice The deal stores another piece (root or padded size differ).
    /// @param dealId The deal.
    /// @param root The deal's piece root.
    /// @param paddedSize The deal's padded piece size.
    error DealLocalityPieceMismatch(uint64 dealId, bytes32 root, uint64 paddedSize);
    /// @notice The deal has not been activated (activation epoch -1, read as 0 by filecoin-solidity, or in the future).
    /// @param dealId The deal.
    /// @param activated The activation epoch read.
    error DealLocalityNotActivated(uint64 dealId, int64 activated);
    /// @notice The deal was terminated early.
    /// @param dealId The deal.
    /// @param terminated The termination epoch.
    error DealLocalityTerminated(uint64 dealId, int64 terminated);
    /// @notice The deal's term has ended.
    /// @param dealId The deal.
    /// @param endEpoch Its end epoch (start + duration, exclusive).
    error DealLocalityExpired(uint64 dealId, int256 endEpoch);
}
