// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockInitActor} from "./MockInitActor.sol";
import {INIT_ACTOR_ID, maskedIdAddress} from "./FevmConstants.sol";

// Emulators of FEVM's address precompiles. TEST ONLY. Installed with `hardhat_setCode`; stateless, they read
// the MockInitActor at the init actor's masked address. Formats follow builtin-actors precompiles/fvm.rs.

/// @dev Reads the low 64 bits of the first (right-padded) 32-byte word; fails (reverts) above 2^64.
function readIdWord(bytes calldata input) pure returns (uint64) {
    bytes memory word = new bytes(32);
    for (uint256 i; i < 32 && i < input.length; ++i) {
        word[i] = input[i];
    }
    uint256 value = uint256(bytes32(word));
    require(value <= type(uint64).max, "FEVM precompile: invalid input");
    return uint64(value);
}

/// @title FevmResolveAddress
/// @notice resolve_address (0xfe00…01): Filecoin address bytes in; the actor ID as a 32-byte word out, or
/// nothing if it does not resolve. Fails on an address that does not parse (empty or unknown protocol).
contract FevmResolveAddress {
    fallback(bytes calldata input) external returns (bytes memory) {
        require(input.length > 1 && uint8(input[0]) <= 4, "FEVM precompile: invalid address");
        (bool found, uint64 id) = MockInitActor(maskedIdAddress(INIT_ACTOR_ID)).resolve(input);
        return found ? abi.encode(uint256(id)) : bytes("");
    }
}

/// @title FevmLookupDelegatedAddress
/// @notice lookup_delegated_address (0xfe00…02): an actor ID word in; its f4 address bytes out, or nothing.
contract FevmLookupDelegatedAddress {
    fallback(bytes calldata input) external returns (bytes memory) {
        return MockInitActor(maskedIdAddress(INIT_ACTOR_ID)).delegatedOf(readIdWord(input));
    }
}

/// @title FevmGetActorType
/// @notice get_actor_type (0xfe00…04): an actor ID word in; its NativeType as a 32-byte word out.
contract FevmGetActorType {
    fallback(bytes calldata input) external returns (bytes memory) {
        return abi.encode(uint256(MockInitActor(maskedIdAddress(INIT_ACTOR_ID)).actorType(readIdWord(input))));
    }
}
