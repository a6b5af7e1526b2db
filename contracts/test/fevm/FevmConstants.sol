// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test double constants: FEVM precompile addresses, masked actor addresses, codecs, exit codes,
// FRC-42 method numbers and NativeType values (builtin-actors actors/evm/src/interpreter/precompiles).

address constant RESOLVE_ADDRESS_PRECOMPILE = 0xFE00000000000000000000000000000000000001;
address constant LOOKUP_DELEGATED_ADDRESS_PRECOMPILE = 0xfE00000000000000000000000000000000000002;
address constant GET_ACTOR_TYPE_PRECOMPILE = 0xFe00000000000000000000000000000000000004;
address constant CALL_ACTOR_ID_PRECOMPILE = 0xfe00000000000000000000000000000000000005;

uint64 constant INIT_ACTOR_ID = 1;
uint64 constant POWER_ACTOR_ID = 4;
uint64 constant MARKET_ACTOR_ID = 5;

uint64 constant NONE_CODEC = 0;
uint64 constant CBOR_CODEC = 0x51;
uint64 constant READ_ONLY_FLAG = 1;
uint64 constant EVM_MAX_RESERVED_METHOD = 1023;

uint32 constant SYS_INVALID_RECEIVER = 5;
uint32 constant USR_ILLEGAL_ARGUMENT = 16;
uint32 constant USR_NOT_FOUND = 17;
uint32 constant USR_SERIALIZATION = 21;
uint32 constant USR_UNHANDLED_MESSAGE = 22;
uint32 constant EX_DEAL_EXPIRED = 33;

uint256 constant MINER_GET_OWNER = 3275365574;
uint256 constant MINER_IS_CONTROLLING_ADDRESS = 348244887;
uint256 constant MARKET_GET_DEAL_DATA_COMMITMENT = 1157985802;
uint256 constant MARKET_GET_DEAL_PROVIDER = 935081690;
uint256 constant MARKET_GET_DEAL_TERM = 163777312;
uint256 constant MARKET_GET_DEAL_ACTIVATION = 2567238399;
uint256 constant POWER_MINER_RAW_POWER = 3753401894;

uint8 constant NATIVE_TYPE_NON_EXISTENT = 0;
uint8 constant NATIVE_TYPE_SYSTEM = 1;
uint8 constant NATIVE_TYPE_ACCOUNT = 3;
uint8 constant NATIVE_TYPE_STORAGE_PROVIDER = 4;
uint8 constant NATIVE_TYPE_EVM_CONTRACT = 5;

/// @notice The masked EVM address of actor `id`: 0xff, eleven zero bytes, then the ID as 8 bytes.
function maskedIdAddress(uint64 id) pure returns (address) {
    return address(uint160(0xff) << 152 | uint160(id));
}
