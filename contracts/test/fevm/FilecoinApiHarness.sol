// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MarketAPI} from "filecoin-solidity-api/contracts/v0.8/MarketAPI.sol";
import {MinerAPI} from "filecoin-solidity-api/contracts/v0.8/MinerAPI.sol";
import {PowerAPI} from "filecoin-solidity-api/contracts/v0.8/PowerAPI.sol";
import {PrecompilesAPI} from "filecoin-solidity-api/contracts/v0.8/PrecompilesAPI.sol";
import {CommonTypes} from "filecoin-solidity-api/contracts/v0.8/types/CommonTypes.sol";
import {MarketTypes} from "filecoin-solidity-api/contracts/v0.8/types/MarketTypes.sol";
import {MinerTypes} from "filecoin-solidity-api/contracts/v0.8/types/MinerTypes.sol";
import {PowerTypes} from "filecoin-solidity-api/contracts/v0.8/types/PowerTypes.sol";
import {FilAddresses} from "filecoin-solidity-api/contracts/v0.8/utils/FilAddresses.sol";

import {GET_ACTOR_TYPE_PRECOMPILE} from "./FevmConstants.sol";

/// @title FilecoinApiHarness
/// @notice Calls filecoin-solidity the way product contracts do, so tests check that its decoders accept
/// what the emulated actors answer. TEST ONLY.
contract FilecoinApiHarness {
    /// @notice MinerAPI.isControllingAddress(minerId, f410(addr)).
    function isControllingAddress(uint64 minerId, address addr) external view returns (int256, bool) {
        return MinerAPI.isControllingAddress(CommonTypes.FilActorId.wrap(minerId), FilAddresses.fromEthAddress(addr));
    }

    /// @notice MinerAPI.getOwner(minerId): exit code, owner and proposed address bytes.
    function getOwner(uint64 minerId) external view returns (int256, bytes memory, bytes memory) {
        (int256 exitCode, MinerTypes.GetOwnerReturn memory ret) = MinerAPI.getOwner(CommonTypes.FilActorId.wrap(minerId));
        return (exitCode, ret.owner.data, ret.proposed.data);
    }

    /// @notice PowerAPI.minerRawPower(minerId): exit code, raw power magnitude bytes and sign, consensus flag.
    function minerRawPower(uint64 minerId) external view returns (int256, bytes memory, bool, bool) {
        (int256 exitCode, PowerTypes.MinerRawPowerReturn memory ret) = PowerAPI.minerRawPower(minerId);
        return (exitCode, ret.raw_byte_power.val, ret.raw_byte_power.neg, ret.meets_consensus_minimum);
    }

    /// @notice MarketAPI.getDealDataCommitment(dealId).
    function getDealDataCommitment(uint64 dealId) external view returns (int256, bytes memory, uint64) {
        (int256 exitCode, MarketTypes.GetDealDataCommitmentReturn memory ret) = MarketAPI.getDealDataCommitment(dealId);
        return (exitCode, ret.data, ret.size);
    }

    /// @notice MarketAPI.getDealProvider(dealId).
    function getDealProvider(uint64 dealId) external view returns (int256, uint64) {
        return MarketAPI.getDealProvider(dealId);
    }

    /// @notice MarketAPI.getDealTerm(dealId): exit code, start, duration.
    function getDealTerm(uint64 dealId) external view returns (int256, int64, int64) {
        (int256 exitCode, MarketTypes.GetDealTermReturn memory ret) = MarketAPI.getDealTerm(dealId);
        return (exitCode, CommonTypes.ChainEpoch.unwrap(ret.start), CommonTypes.ChainEpoch.unwrap(ret.duration));
    }

    /// @notice MarketAPI.getDealActivation(dealId): exit code, activated, terminated (sign dropped by the library).
    function getDealActivation(uint64 dealId) external view returns (int256, int64, int64) {
        (int256 exitCode, MarketTypes.GetDealActivationReturn memory ret) = MarketAPI.getDealActivation(dealId);
        return (exitCode, CommonTypes.ChainEpoch.unwrap(ret.activated), CommonTypes.ChainEpoch.unwrap(ret.terminated));
    }

    /// @notice PrecompilesAPI.resolveEthAddress(addr) (reverts if it does not resolve: empty answer).
    function resolveEthAddress(address addr) external view returns (uint64) {
        return PrecompilesAPI.resolveEthAddress(addr);
    }

    /// @notice PrecompilesAPI.lookupDelegatedAddress(id).
    function lookupDelegatedAddress(uint64 id) external view returns (bytes memory) {
        return PrecompilesAPI.lookupDelegatedAddress(id);
    }

    /// @notice The get_actor_type precompile's answer for `id`.
    function actorType(uint64 id) external view returns (uint256) {
        (bool ok, bytes memory ret) = GET_ACTOR_TYPE_PRECOMPILE.staticcall(abi.encode(uint256(id)));
        require(ok, "get_actor_type failed");
        return abi.decode(ret, (uint256));
    }
}
