// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILocalityVerifier
/// @notice One adapter per storage system proves, on chain, that a provider stores a piece.
/// @dev Pieces are named by their canonical key (root, padded size) so that PieceCID v1 (`baga…`)
/// and v2 (`bafkzcib…`) name the same piece. Adapters are read-only and revert with their own
/// custom errors when the proof does not hold.
interface ILocalityVerifier {
    /// @notice Reverts unless `provider` stores the piece (`root`, `paddedSize`) as `proof` shows.
    /// @param provider The claimant's EVM address.
    /// @param minerId The Filecoin miner actor ID bound to `provider` in the registry (0 if none).
    /// @param root The piece's 32-byte commitment (CommP root).
    /// @param paddedSize The piece's padded size in bytes (a power of two, >= 128).
    /// @param proof Adapter-specific proof, ABI-encoded (see each adapter).
    function verifyLocality(address provider, uint64 minerId, bytes32 root, uint64 paddedSize, bytes calldata proof)
        external
        view;
}
