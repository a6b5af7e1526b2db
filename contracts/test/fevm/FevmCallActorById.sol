// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMockActor} from "./IMockActor.sol";
import {
    CALL_ACTOR_ID_PRECOMPILE,
    CBOR_CODEC,
    EVM_MAX_RESERVED_METHOD,
    NONE_CODEC,
    READ_ONLY_FLAG,
    SYS_INVALID_RECEIVER,
    USR_SERIALIZATION,
    maskedIdAddress
} from "./FevmConstants.sol";

/// @title FevmCallActorById
/// @notice Emulates FEVM's call_actor_id precompile (0xfe00…05) on a plain EVM. TEST ONLY.
/// @dev Installed with `hardhat_setCode`. Callers DELEGATECALL it, so it runs in their context and keeps no
/// storage of its own: it forwards to the mock actor whose code sits at the actor's masked address
/// (0xff00…<id>), with STATICCALL when the read-only flag is set. Input and output follow the real precompile
/// (builtin-actors evm precompiles/fvm.rs): input `abi.encode(uint64 method, uint256 value, uint64 flags,
/// uint64 codec, bytes params, uint64 actorId)`, output `abi.encode(int256 exitCode, uint64 codec, bytes ret)`.
/// Like the real one it fails (reverts) unless DELEGATECALLed, and on bad flags, codecs or reserved methods.
contract FevmCallActorById {
    /// @notice The precompile was not DELEGATECALLed (PrecompileError::CallForbidden).
    error FevmCallActorByIdCallForbidden();
    /// @notice The input is one the real precompile rejects (PrecompileError::InvalidInput).
    error FevmCallActorByIdInvalidInput(uint64 method, uint64 flags, uint64 codec);

    fallback(bytes calldata input) external payable returns (bytes memory) {
        if (address(this) == CALL_ACTOR_ID_PRECOMPILE) revert FevmCallActorByIdCallForbidden();
        (uint64 method, uint256 value, uint64 flags, uint64 codec, bytes memory params, uint64 actorId) =
            abi.decode(input, (uint64, uint256, uint64, uint64, bytes, uint64));
        bool codecOk = codec == CBOR_CODEC || (codec == NONE_CODEC && params.length == 0);
        if (flags > READ_ONLY_FLAG || !codecOk || (method != 0 && method <= EVM_MAX_RESERVED_METHOD)) {
            revert FevmCallActorByIdInvalidInput(method, flags, codec);
        }

        address actor = maskedIdAddress(actorId);
        if (actor.code.length == 0) return abi.encode(int256(uint256(SYS_INVALID_RECEIVER)), NONE_CODEC, "");

        bytes memory call = abi.encodeCall(IMockActor.handle_filecoin_method, (method, codec, params));
        (bool ok, bytes memory ret) = flags == READ_ONLY_FLAG ? actor.staticcall(call) : actor.call{value: value}(call);
        // A mock actor only reverts on params it cannot decode; the real actor exits with USR_SERIALIZATION.
        if (!ok) return abi.encode(int256(uint256(USR_SERIALIZATION)), NONE_CODEC, "");
        (uint32 exitCode, uint64 returnCodec, bytes memory returnData) = abi.decode(ret, (uint32, uint64, bytes));
        return abi.encode(int256(uint256(exitCode)), returnCodec, returnData);
    }
}
