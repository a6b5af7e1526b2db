// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IPDPVerifierReader
/// @notice The read functions of FilOzone's PDPVerifier that a locality check needs.
/// @dev Signatures match the deployed PDPVerifier (proxies: mainnet 0xBADd0B92C1c71d02E7d520f64c0876538fa2557F,
/// Calibration 0x85e366Cf9DD2c0aE37E963d9556F5f4718d6417C). Several getters revert with `DataSetNotLive()`
/// for a dead or unknown data set.
interface IPDPVerifierReader {
    /// @notice A piece CID as PDPVerifier stores it (`Cids.Cid`): PieceCID v2 bytes.
    struct Cid {
        bytes data;
    }

    /// @notice The data set's storage provider and the proposed new one (zero if none).
    /// @param setId The data set.
    /// @return storageProvider The current storage provider (an EVM address).
    /// @return proposedStorageProvider The proposed storage provider, or zero.
    function getDataSetStorageProvider(uint256 setId)
        external
        view
        returns (address storageProvider, address proposedStorageProvider);

    /// @notice False if the data set was never created or has been deleted.
    /// @param setId The data set.
    /// @return live Whether it is live.
    function dataSetLive(uint256 setId) external view returns (bool live);

    /// @notice False if the data set is not live or the piece was never added or has been removed.
    /// @param setId The data set.
    /// @param pieceId The piece within it.
    /// @return live Whether it is live.
    function pieceLive(uint256 setId, uint256 pieceId) external view returns (bool live);

    /// @notice The piece's CID (PieceCID v2).
    /// @param setId The data set.
    /// @param pieceId The piece within it.
    /// @return cid The CID bytes, wrapped.
    function getPieceCid(uint256 setId, uint256 pieceId) external view returns (Cid memory cid);

    /// @notice The epoch of the data set's last accepted proof (0 if it was never proven).
    /// @dev Reverts with `DataSetNotLive()` for a dead or unknown data set.
    /// @param setId The data set.
    /// @return epoch The epoch (block number on FEVM).
    function getDataSetLastProvenEpoch(uint256 setId) external view returns (uint256 epoch);
}
