// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPDPVerifierReader} from "../../locality/IPDPVerifierReader.sol";

/// @title PDPVerifierStandIn
/// @notice Stands in for FilOzone's PDPVerifier in tests: the same read functions, with setters. TEST ONLY.
/// @dev Like the real contract, `dataSetLive`/`pieceLive` answer false for dead sets while the other getters
/// revert with `DataSetNotLive()`; a piece is live only in a live set.
contract PDPVerifierStandIn is IPDPVerifierReader {
    /// @notice The real PDPVerifier's error for getters on a dead or unknown data set.
    error DataSetNotLive();

    struct DataSet {
        bool live;
        address storageProvider;
        address proposedStorageProvider;
        uint256 lastProvenEpoch;
    }

    struct Piece {
        bool live;
        bytes cid;
    }

    mapping(uint256 setId => DataSet) private _dataSets;
    mapping(uint256 setId => mapping(uint256 pieceId => Piece)) private _pieces;
    bool private _gettersRevert;

    /// @notice Fault injection: make the reverting getters revert with `DataSetNotLive()` even for live sets
    /// (as a verifier upgraded or raced between two calls might).
    /// @param revertGetters Whether they revert.
    function setGettersRevert(bool revertGetters) external {
        _gettersRevert = revertGetters;
    }

    /// @notice Creates or updates data set `setId`.
    /// @param setId The data set ID.
    /// @param storageProvider Its storage provider.
    /// @param live Whether it is live.
    /// @dev Marks the set as proven at this block, as a provider that proves on schedule would be.
    function setDataSet(uint256 setId, address storageProvider, bool live) external {
        DataSet storage set = _dataSets[setId];
        set.storageProvider = storageProvider;
        set.live = live;
        set.lastProvenEpoch = block.number;
    }

    /// @notice Sets the epoch of data set `setId`'s last accepted proof (0: never proven).
    /// @param setId The data set ID.
    /// @param epoch The epoch.
    function setLastProvenEpoch(uint256 setId, uint256 epoch) external {
        _dataSets[setId].lastProvenEpoch = epoch;
    }

    /// @notice Sets data set `setId`'s proposed storage provider.
    /// @param setId The data set ID.
    /// @param proposed The proposed storage provider (zero for none).
    function setProposedStorageProvider(uint256 setId, address proposed) external {
        _dataSets[setId].proposedStorageProvider = proposed;
    }

    /// @notice Creates or updates piece `pieceId` of data set `setId`.
    /// @param setId The data set ID.
    /// @param pieceId The piece ID.
    /// @param cid Its PieceCID v2 bytes.
    /// @param live Whether it is live.
    function setPiece(uint256 setId, uint256 pieceId, bytes calldata cid, bool live) external {
        _pieces[setId][pieceId] = Piece(live, cid);
    }

    /// @inheritdoc IPDPVerifierReader
    function getDataSetStorageProvider(uint256 setId) external view returns (address, address) {
        DataSet storage set = _liveSet(setId);
        return (set.storageProvider, set.proposedStorageProvider);
    }

    /// @inheritdoc IPDPVerifierReader
    function dataSetLive(uint256 setId) public view returns (bool) {
        return _dataSets[setId].live;
    }

    /// @inheritdoc IPDPVerifierReader
    function pieceLive(uint256 setId, uint256 pieceId) external view returns (bool) {
        return dataSetLive(setId) && _pieces[setId][pieceId].live;
    }

    /// @inheritdoc IPDPVerifierReader
    function getPieceCid(uint256 setId, uint256 pieceId) external view returns (Cid memory) {
        _liveSet(setId);
        return Cid(_pieces[setId][pieceId].cid);
    }

    /// @inheritdoc IPDPVerifierReader
    function getDataSetLastProvenEpoch(uint256 setId) external view returns (uint256) {
        return _liveSet(setId).lastProvenEpoch;
    }

    function _liveSet(uint256 setId) private view returns (DataSet storage set) {
        set = _dataSets[setId];
        if (!set.live || _gettersRevert) revert DataSetNotLive();
    }
}
