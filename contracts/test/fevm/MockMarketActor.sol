// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMockActor} from "./IMockActor.sol";
import {MockCbor} from "./MockCbor.sol";
import {
    CBOR_CODEC,
    EX_DEAL_EXPIRED,
    MARKET_GET_DEAL_ACTIVATION,
    MARKET_GET_DEAL_DATA_COMMITMENT,
    MARKET_GET_DEAL_PROVIDER,
    MARKET_GET_DEAL_TERM,
    NONE_CODEC,
    USR_NOT_FOUND,
    USR_SERIALIZATION,
    USR_UNHANDLED_MESSAGE
} from "./FevmConstants.sol";

/// @title MockMarketActor
/// @notice The storage market actor (f05) for the FEVM emulator: the deal getters. TEST ONLY.
/// @dev Encodings follow builtin-actors' market types (params: the transparent deal ID):
///   GetDealDataCommitment -> [piece CID as a dag-cbor link, padded size]
///   GetDealProvider       -> provider actor ID
///   GetDealTerm           -> [start epoch, duration]
///   GetDealActivation     -> [activated epoch or -1, terminated epoch or -1]
/// An unknown deal exits with USR_NOT_FOUND (17); a removed one (expired and cleaned up, or terminated —
/// current actors answer GetDealActivation for a terminated deal this way) with EX_DEAL_EXPIRED (33).
contract MockMarketActor is IMockActor {
    /// @notice A published deal, as the market actor keeps it.
    struct Deal {
        uint64 provider;
        bytes pieceCid; // PieceCID v1 bytes, without the 0x00 multibase byte
        uint64 pieceSize; // padded
        int64 start;
        int64 duration;
        int64 activated; // -1 if never
        int64 terminated; // -1 if not
    }

    enum Status {
        Unknown,
        Published,
        Removed
    }

    mapping(uint64 dealId => Deal) private _deals;
    mapping(uint64 dealId => Status) private _status;

    /// @notice Publishes (or replaces) deal `dealId`.
    /// @param dealId The deal ID.
    /// @param deal The deal.
    function setDeal(uint64 dealId, Deal calldata deal) external {
        _deals[dealId] = deal;
        _status[dealId] = Status.Published;
    }

    /// @notice Sets deal `dealId`'s activation and termination epochs (-1 for never).
    /// @param dealId The deal ID.
    /// @param activated The activation epoch.
    /// @param terminated The termination epoch.
    function setActivation(uint64 dealId, int64 activated, int64 terminated) external {
        _deals[dealId].activated = activated;
        _deals[dealId].terminated = terminated;
    }

    /// @notice Removes deal `dealId` from state; its getters then exit with EX_DEAL_EXPIRED.
    /// @param dealId The deal ID.
    function removeDeal(uint64 dealId) external {
        delete _deals[dealId];
        _status[dealId] = Status.Removed;
    }

    /// @inheritdoc IMockActor
    function handle_filecoin_method(uint64 method, uint64 codec, bytes calldata params)
        external
        view
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        bool known = method == MARKET_GET_DEAL_DATA_COMMITMENT || method == MARKET_GET_DEAL_PROVIDER
            || method == MARKET_GET_DEAL_TERM || method == MARKET_GET_DEAL_ACTIVATION;
        if (!known) return (USR_UNHANDLED_MESSAGE, NONE_CODEC, "");
        (bool ok, uint64 dealId) = MockCbor.decodeUint64(params);
        if (codec != CBOR_CODEC || !ok) return (USR_SERIALIZATION, NONE_CODEC, "");
        Status status = _status[dealId];
        if (status == Status.Unknown) return (USR_NOT_FOUND, NONE_CODEC, "");
        if (status == Status.Removed) return (EX_DEAL_EXPIRED, NONE_CODEC, "");
        return (0, CBOR_CODEC, _answer(method, _deals[dealId]));
    }

    function _answer(uint64 method, Deal storage deal) private view returns (bytes memory) {
        if (method == MARKET_GET_DEAL_PROVIDER) return MockCbor.uint64Item(deal.provider);
        if (method == MARKET_GET_DEAL_DATA_COMMITMENT) {
            return bytes.concat(
                MockCbor.arrayHeader(2), MockCbor.cidItem(deal.pieceCid), MockCbor.uint64Item(deal.pieceSize)
            );
        }
        if (method == MARKET_GET_DEAL_TERM) {
            return bytes.concat(MockCbor.arrayHeader(2), MockCbor.int64Item(deal.start), MockCbor.int64Item(deal.duration));
        }
        return bytes.concat(
            MockCbor.arrayHeader(2), MockCbor.int64Item(deal.activated), MockCbor.int64Item(deal.terminated)
        );
    }
}
