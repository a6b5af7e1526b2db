// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IMockActor
/// @notice What the call_actor_id emulator calls on a mock actor installed at the actor's masked address
/// (the same entry point FEVM gives EVM actors for native method calls).
interface IMockActor {
    /// @notice Runs FRC-42 method `method` with CBOR `params`, as the builtin actor would.
    /// @param method The method number.
    /// @param codec The params codec (0x51 CBOR, or 0 with empty params).
    /// @param params The params.
    /// @return exitCode 0 on success, else the actor's exit code.
    /// @return returnCodec The return codec (0x51 CBOR, or 0 when there is no return value).
    /// @return returnData The CBOR return value.
    function handle_filecoin_method(uint64 method, uint64 codec, bytes calldata params)
        external
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData);
}
