// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PieceKey} from "../libraries/PieceKey.sol";
import {IPDPVerifierReader} from "./IPDPVerifierReader.sol";
import {IPdpLocality} from "./IPdpLocality.sol";

/// @title PdpLocality
/// @notice Proves that a provider stores a piece through a live piece in its own live PDP data set.
/// @dev Read-only. The PDPVerifier is fixed at deployment (use its proxy address). PDP stores
/// PieceCID v2, which carries the padded size, so both halves of the key are checked.
contract PdpLocality is IPdpLocality {
    IPDPVerifierReader private immutable _verifier;

    /// @param verifier The PDPVerifier (proxy) to read.
    constructor(IPDPVerifierReader verifier) {
        if (address(verifier).code.length == 0) revert PdpLocalityVerifierNotContract(address(verifier));
        _verifier = verifier;
    }

    /// @inheritdoc IPdpLocality
    function pdpVerifier() external view returns (address verifier) {
        return address(_verifier);
    }

    /// @notice Reverts unless `proof` names a live piece (`root`, `paddedSize`) in a live data set of `provider`.
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
