// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CALL_ACTOR_ID_PRECOMPILE, READ_ONLY_FLAG} from "./FevmConstants.sol";

/// @title FevmProbe
/// @notice Calls the call_actor_id precompile the way filecoin-solidity does and returns its raw answer,
/// so tests can compare the emulated actors' CBOR byte for byte. TEST ONLY.
contract FevmProbe {
    /// @notice DELEGATECALLs call_actor_id read-only.
    /// @param actorId The actor.
    /// @param method The FRC-42 method number.
    /// @param codec The params codec.
    /// @param params The CBOR params.
    /// @return exitCode The exit code.
    /// @return returnCodec The return codec.
    /// @return returnData The CBOR return value.
    function callActor(uint64 actorId, uint64 method, uint64 codec, bytes calldata params)
        external
        returns (int256 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        (bool ok, bytes memory ret) = CALL_ACTOR_ID_PRECOMPILE.delegatecall(
            abi.encode(method, uint256(0), READ_ONLY_FLAG, codec, params, actorId)
        );
        require(ok, "FevmProbe: precompile failed");
        return abi.decode(ret, (int256, uint64, bytes));
    }
}
