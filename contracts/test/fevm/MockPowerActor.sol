// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMockActor} from "./IMockActor.sol";
import {MockCbor} from "./MockCbor.sol";
import {
    CBOR_CODEC,
    NONE_CODEC,
    POWER_MINER_RAW_POWER,
    USR_ILLEGAL_ARGUMENT,
    USR_SERIALIZATION,
    USR_UNHANDLED_MESSAGE
} from "./FevmConstants.sol";

/// @title MockPowerActor
/// @notice The storage power actor (f04) for the FEVM emulator. TEST ONLY.
/// @dev MinerRawPower takes a transparent miner ID and returns [raw byte power (BigInt), meets consensus
/// minimum]; a miner without a power claim exits with USR_ILLEGAL_ARGUMENT ("no claim for actor"), as
/// builtin-actors' power actor does.
contract MockPowerActor is IMockActor {
    struct Claim {
        bool exists;
        bool meetsConsensusMinimum;
        uint256 rawBytePower;
    }

    mapping(uint64 miner => Claim) private _claims;

    /// @notice Creates or replaces miner `miner`'s power claim.
    /// @param miner The miner's actor ID.
    /// @param rawBytePower Its raw byte power.
    /// @param meetsConsensusMinimum Whether it meets the consensus minimum.
    function setClaim(uint64 miner, uint256 rawBytePower, bool meetsConsensusMinimum) external {
        _claims[miner] = Claim(true, meetsConsensusMinimum, rawBytePower);
    }

    /// @notice Deletes miner `miner`'s claim; MinerRawPower then fails for it.
    /// @param miner The miner's actor ID.
    function removeClaim(uint64 miner) external {
        delete _claims[miner];
    }

    /// @inheritdoc IMockActor
    function handle_filecoin_method(uint64 method, uint64 codec, bytes calldata params)
        external
        view
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        if (method != POWER_MINER_RAW_POWER) return (USR_UNHANDLED_MESSAGE, NONE_CODEC, "");
        (bool ok, uint64 miner) = MockCbor.decodeUint64(params);
        if (codec != CBOR_CODEC || !ok) return (USR_SERIALIZATION, NONE_CODEC, "");
        Claim storage claim = _claims[miner];
        if (!claim.exists) return (USR_ILLEGAL_ARGUMENT, NONE_CODEC, "");
        return (
            0,
            CBOR_CODEC,
            bytes.concat(
                MockCbor.arrayHeader(2),
                MockCbor.bigIntItem(claim.rawBytePower),
                MockCbor.boolItem(claim.meetsConsensusMinimum)
            )
        );
    }
}
