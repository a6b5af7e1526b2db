// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMockActor} from "./IMockActor.sol";
import {USR_UNHANDLED_MESSAGE} from "./FevmConstants.sol";

/// @title MockInitActor
/// @notice The address book the emulated address precompiles read: which actor IDs exist, their type, and
/// their delegated (f410) address. TEST ONLY. Installed at the init actor's masked address (ID 1), the
/// actor that keeps this table on Filecoin.
contract MockInitActor is IMockActor {
    mapping(uint64 id => uint8 nativeType) private _types;
    mapping(uint64 id => bytes delegated) private _delegated;
    mapping(bytes32 addressHash => uint64 id) private _ids;

    /// @notice Registers actor `id` of `nativeType`, optionally with a delegated (f4) address.
    /// @param id The actor ID.
    /// @param nativeType The FEVM NativeType (1 system, 3 account, 4 storage provider, 5 EVM contract, …).
    /// @param delegated Its f4 address bytes (e.g. 0x040a ‖ EVM address), or empty.
    function setActor(uint64 id, uint8 nativeType, bytes calldata delegated) external {
        _types[id] = nativeType;
        if (delegated.length != 0) {
            _delegated[id] = delegated;
            _ids[keccak256(delegated)] = id;
        }
    }

    /// @notice Resolves a Filecoin address to an actor ID, as the runtime does.
    /// @param filAddress The address bytes (protocol byte first).
    /// @return found Whether it resolves.
    /// @return id The actor ID.
    function resolve(bytes calldata filAddress) external view returns (bool found, uint64 id) {
        if (filAddress.length > 1 && filAddress[0] == 0x00) {
            // An ID address resolves to itself whether or not the actor exists (ref-fvm behaviour).
            return _leb128(filAddress[1:]);
        }
        id = _ids[keccak256(filAddress)];
        found = id != 0;
    }

    /// @notice The delegated (f4) address of actor `id`, empty if none.
    /// @param id The actor ID.
    /// @return delegated The address bytes.
    function delegatedOf(uint64 id) external view returns (bytes memory delegated) {
        return _delegated[id];
    }

    /// @notice The NativeType of actor `id` (0 if it does not exist).
    /// @param id The actor ID.
    /// @return nativeType The type.
    function actorType(uint64 id) external view returns (uint8 nativeType) {
        return _types[id];
    }

    /// @notice The init actor's exported methods are not emulated.
    function handle_filecoin_method(uint64, uint64, bytes calldata)
        external
        pure
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        return (USR_UNHANDLED_MESSAGE, 0, "");
    }

    function _leb128(bytes calldata data) private pure returns (bool ok, uint64 value) {
        for (uint256 i; i < data.length && i < 10; ++i) {
            value |= uint64(uint8(data[i]) & 0x7f) << uint64(7 * i);
            if (uint8(data[i]) < 0x80) return (i + 1 == data.length, value);
        }
        return (false, 0);
    }
}
