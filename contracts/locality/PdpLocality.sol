// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PieceKey} from "../libraries/PieceKey.sol";
import {IPDPVerifierReader} from "./IPDPVerifierReader.sol";
import {IPdpLocality} from "./IPdpLocality.sol";

/// @title PdpLocality
/// @notice Proves that a provider stores a piece through a live piece in its own live PDP data set
/// that was proven recently.
/// @dev Read-only. The PDPVerifier is fixed at deployment (use its proxy address). PDP stores
/// PieceCID v2, which carries the padded size, so both halves of the key are checked. A data set
/// stays live after its provider stops proving it, so liveness alone does not show the data is
/// still there: the last accepted proof must be at most `maxProofAge` epochs old (set it to a
/// small multiple of the PDP service's maximum proving period).
contract PdpLocality is IPdpLocality {
    IPDPVerifierReader private immutable _verifier;
    uint256 private immutable _maxProofAge;

    /// @param verifier The PDPVerifier (proxy) to read.
    /// @param maxProofAge_ The most epochs since a data set's last proof for its pieces to count.
    constructor(IPDPVerifierReader verifier, uint256 maxProofAge_) {
        if (address(verifier).code.length == 0) revert PdpLocalityVerifierNotContract(address(verifier));
        if (maxProofAge_ == 0) revert PdpLocalityZeroProofAge();
        _verifier = verifier;
        _maxProofAge = maxProofAge_;
    }

    /// @inheritdoc IPdpLocality
    function maxProofAge() external view returns (uint256 epochs) {
        return _maxProofAge;
    }

    /// @inheritdoc IPdpLocality
    function pdpVerifier() external view returns (address verifier) {
        return address(_verifier);
    }

    /// @notice Reverts unless `proof` names a live piece (`root`, `paddedSize`) in a live data set of
    /// `provider` whose last proof is at most `maxProofAge` epochs old.
    /// @param provider The claimant; must be the data set's storage provider.
    /// @param root The piece root.
    /// @param paddedSize The piece's padded size.
    /// @param proof `abi.encode(uint256 dataSetId, uint256 pieceId)`.
    function verifyLocality(address provider, uint64, bytes32 root, uint64 paddedSize, bytes calldata proof)
        external
        view
    {
        if (proof.length != 64) revert PdpLocalityInvalidProof(proof.length);
        (uint256 dataSetId, uint256 pieceId) = abi.decode(proof, (uint256, uint256));
        _checkDataSet(provider, dataSetId);
        _checkPiece(dataSetId, pieceId, root, paddedSize);
    }

    /// @dev The data set is live and `provider` is its storage provider.
    function _checkDataSet(address provider, uint256 dataSetId) private view {
        bool live;
        try _verifier.dataSetLive(dataSetId) returns (bool isLive) {
            live = isLive;
        } catch (bytes memory reason) {
            revert PdpLocalityVerifierReverted(IPDPVerifierReader.dataSetLive.selector, dataSetId, reason);
        }
        if (!live) revert PdpLocalityDataSetNotLive(dataSetId);

        address storageProvider;
        try _verifier.getDataSetStorageProvider(dataSetId) returns (address current, address) {
            storageProvider = current;
        } catch (bytes memory reason) {
            revert PdpLocalityVerifierReverted(
                IPDPVerifierReader.getDataSetStorageProvider.selector, dataSetId, reason
            );
        }
        if (storageProvider != provider) revert PdpLocalityNotProvider(dataSetId, storageProvider, provider);

        uint256 lastProven;
        try _verifier.getDataSetLastProvenEpoch(dataSetId) returns (uint256 epoch) {
            lastProven = epoch;
        } catch (bytes memory reason) {
            revert PdpLocalityVerifierReverted(
                IPDPVerifierReader.getDataSetLastProvenEpoch.selector, dataSetId, reason
            );
        }
        // A proof from the future cannot happen; `lastProven > block.number` would be a broken verifier.
        if (lastProven == 0 || lastProven > block.number || block.number - lastProven > _maxProofAge) {
            revert PdpLocalityProofStale(dataSetId, lastProven, _maxProofAge);
        }
    }

    /// @dev The piece is live and its CID names (root, paddedSize).
    function _checkPiece(uint256 dataSetId, uint256 pieceId, bytes32 root, uint64 paddedSize) private view {
        bool live;
        try _verifier.pieceLive(dataSetId, pieceId) returns (bool isLive) {
            live = isLive;
        } catch (bytes memory reason) {
            revert PdpLocalityVerifierReverted(IPDPVerifierReader.pieceLive.selector, dataSetId, reason);
        }
        if (!live) revert PdpLocalityPieceNotLive(dataSetId, pieceId);

        bytes memory cid;
        try _verifier.getPieceCid(dataSetId, pieceId) returns (IPDPVerifierReader.Cid memory stored) {
            cid = stored.data;
        } catch (bytes memory reason) {
            revert PdpLocalityVerifierReverted(IPDPVerifierReader.getPieceCid.selector, dataSetId, reason);
        }
        (bytes32 storedRoot, uint64 storedSize) = PieceKey.fromV2(cid);
        if (storedRoot != root || storedSize != paddedSize) {
            revert PdpLocalityPieceMismatch(dataSetId, pieceId, storedRoot, storedSize);
        }
    }
}
