// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILocalityVerifier} from "../interfaces/ILocalityVerifier.sol";

/// @title IPdpLocality
/// @notice Locality adapter for PDP data sets (PDPVerifier, Filecoin Onchain Cloud).
/// Proof: `abi.encode(uint256 dataSetId, uint256 pieceId)`.
interface IPdpLocality is ILocalityVerifier {
    /// @notice The PDPVerifier address given to the constructor has no code.
    /// @param verifier The address given.
    error PdpLocalityVerifierNotContract(address verifier);
    /// @notice The proof is not `abi.encode(uint256 dataSetId, uint256 pieceId)`.
    /// @param length The proof's length in bytes (64 expected).
    error PdpLocalityInvalidProof(uint256 length);
    /// @notice The data set does not exist or has been deleted.
    /// @param dataSetId The data set.
    error PdpLocalityDataSetNotLive(uint256 dataSetId);
    /// @notice The data set belongs to another storage provider.
    /// @param dataSetId The data set.
    /// @param storageProvider Its storage provider.
    /// @param claimant The provider that claimed it.
    error PdpLocalityNotProvider(uint256 dataSetId, address storageProvider, address claimant);
    /// @notice The piece was never added to the data set or has been removed.
    /// @param dataSetId The data set.
    /// @param pieceId The piece.
    error PdpLocalityPieceNotLive(uint256 dataSetId, uint256 pieceId);
    /// @notice The piece in the data set is not the one asked for.
    /// @param dataSetId The data set.
    /// @param pieceId The piece.
    /// @param root The stored piece's root.
    /// @param paddedSize The stored piece's padded size.
    error PdpLocalityPieceMismatch(uint256 dataSetId, uint256 pieceId, bytes32 root, uint64 paddedSize);
    /// @notice The data set has not been proven recently enough: its provider may have stopped
    /// proving (a data set stays live for a while after that, and may have lost the data).
    /// @param dataSetId The data set.
    /// @param lastProvenEpoch The epoch of its last accepted proof (0: never proven).
    /// @param maxProofAge The most epochs allowed since then.
    error PdpLocalityProofStale(uint256 dataSetId, uint256 lastProvenEpoch, uint256 maxProofAge);
    /// @notice The maximum proof age given to the constructor is zero.
    error PdpLocalityZeroProofAge();
    /// @notice A PDPVerifier getter reverted (e.g. `DataSetNotLive()`).
    /// @param getter The getter's selector.
    /// @param dataSetId The data set.
    /// @param reason The revert data.
    error PdpLocalityVerifierReverted(bytes4 getter, uint256 dataSetId, bytes reason);

    /// @notice The PDPVerifier this adapter reads.
    /// @return verifier Its address.
    function pdpVerifier() external view returns (address verifier);

    /// @notice The most epochs since a data set's last accepted proof for a claim to be accepted.
    /// @return epochs The maximum proof age, in epochs (blocks).
    function maxProofAge() external view returns (uint256 epochs);
}
