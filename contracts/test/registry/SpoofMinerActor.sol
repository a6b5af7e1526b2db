// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SpoofMinerActor
/// @notice TEST ONLY. An EVM contract posing as a miner: it answers CBOR `true` to every native
/// method, so it claims that anybody controls it. The registry must refuse to bind it.
contract SpoofMinerActor {
    /// @notice Answers every FRC-42 method with CBOR `true`.
    /// @return exitCode Always 0.
    /// @return returnCodec CBOR (0x51).
    /// @return returnData CBOR `true` (0xf5).
    function handle_filecoin_method(uint64, uint64, bytes calldata)
        external
        pure
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        return (0, 0x51, hex"f5");
    }
}
