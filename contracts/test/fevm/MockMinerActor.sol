// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMockActor} from "./IMockActor.sol";
import {MockCbor} from "./MockCbor.sol";
import {
    CBOR_CODEC,
    MINER_GET_OWNER,
    MINER_IS_CONTROLLING_ADDRESS,
    NONE_CODEC,
    RESOLVE_ADDRESS_PRECOMPILE,
    USR_SERIALIZATION,
    USR_UNHANDLED_MESSAGE
} from "./FevmConstants.sol";

/// @title MockMinerActor
/// @notice A storage provider (miner) actor for the FEVM emulator. TEST ONLY. Its code is installed at the
/// miner's masked address, one copy per miner, each with its own state.
/// @dev Answers like builtin-actors' miner: GetOwner returns [owner ID address, proposed or null];
/// IsControllingAddress resolves the given address to an ID (through the resolve_address precompile, as the
/// runtime does) and compares it with the owner, worker and control addresses; an address that does not
/// resolve is not controlling.
contract MockMinerActor is IMockActor {
    uint64 private _owner;
    uint64 private _worker;
    uint64 private _proposedOwner; // 0 = none
    uint64[] private _controls;

    /// @notice Sets the miner's owner, worker and control addresses (actor IDs).
    /// @param owner The owner's actor ID.
    /// @param worker The worker's actor ID.
    /// @param controls The control addresses' actor IDs.
    function configure(uint64 owner, uint64 worker, uint64[] calldata controls) external {
        _owner = owner;
        _worker = worker;
        _controls = controls;
    }

    /// @notice Sets (or clears with 0) a pending owner change.
    /// @param proposed The proposed owner's actor ID.
    function setProposedOwner(uint64 proposed) external {
        _proposedOwner = proposed;
    }

    /// @inheritdoc IMockActor
    function handle_filecoin_method(uint64 method, uint64 codec, bytes calldata params)
        external
        view
        returns (uint32 exitCode, uint64 returnCodec, bytes memory returnData)
    {
        if (method == MINER_GET_OWNER) return _getOwner(codec, params);
        if (method == MINER_IS_CONTROLLING_ADDRESS) return _isControlling(codec, params);
        return (USR_UNHANDLED_MESSAGE, NONE_CODEC, "");
    }

    function _getOwner(uint64 codec, bytes calldata params) private view returns (uint32, uint64, bytes memory) {
        if (codec != NONE_CODEC || params.length != 0) return (USR_SERIALIZATION, NONE_CODEC, "");
        bytes memory proposed = _proposedOwner == 0 ? MockCbor.nullItem() : MockCbor.bytesItem(_idAddress(_proposedOwner));
        return (0, CBOR_CODEC, bytes.concat(MockCbor.arrayHeader(2), MockCbor.bytesItem(_idAddress(_owner)), proposed));
    }

    function _isControlling(uint64 codec, bytes calldata params) private view returns (uint32, uint64, bytes memory) {
        (bool ok, bytes memory filAddress) = MockCbor.decodeBytes(params);
        if (codec != CBOR_CODEC || !ok) return (USR_SERIALIZATION, NONE_CODEC, "");
        (bool resolved, bytes memory word) = RESOLVE_ADDRESS_PRECOMPILE.staticcall(filAddress);
        bool controlling;
        if (resolved && word.length == 32) {
            uint64 id = uint64(uint256(bytes32(word)));
            controlling = id == _owner || id == _worker;
            for (uint256 i; i < _controls.length && !controlling; ++i) {
                controlling = _controls[i] == id;
            }
        }
        return (0, CBOR_CODEC, MockCbor.boolItem(controlling));
    }

    /// @dev An ID address: protocol 0 then the ID as unsigned LEB128.
    function _idAddress(uint64 id) private pure returns (bytes memory out) {
        out = hex"00";
        do {
            uint8 b = uint8(id & 0x7f);
            id >>= 7;
            out = bytes.concat(out, bytes1(id == 0 ? b : b | 0x80));
        } while (id != 0);
    }
}
