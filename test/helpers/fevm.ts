// FEVM actor emulator for tests on a plain EVM (EDR): installs the precompile emulators and the mock
// builtin actors from contracts/test/fevm with `hardhat_setCode`, and returns typed helpers to set up
// miners, power claims and market deals. filecoin-solidity (MinerAPI, PowerAPI, MarketAPI) then works
// unchanged against them.
//
//   const { viem } = await network.create();
//   const fevm = await installFevm(viem);
//   await fevm.addMiner(1234n, { owner: provider, controllers: [provider], rawPower: 32n << 30n });
//   await fevm.addDeal(77n, { provider: 1234n, pieceCid: piece.v1, size: piece.paddedSize });
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { type Address, type Hex, bytesToHex, concat, getAddress, toHex } from "viem";

import { varint } from "./piece.js";

export { pieceCidV1, pieceCidV2, pieceFromBytes, payloadOf, type PieceInfo } from "./piece.js";

/** Precompile addresses (builtin-actors evm precompiles). */
export const PRECOMPILE = {
  RESOLVE_ADDRESS: "0xFE00000000000000000000000000000000000001",
  LOOKUP_DELEGATED_ADDRESS: "0xfE00000000000000000000000000000000000002",
  GET_ACTOR_TYPE: "0xFe00000000000000000000000000000000000004",
  CALL_ACTOR_ID: "0xfe00000000000000000000000000000000000005",
} as const satisfies Record<string, Address>;

/** Singleton actor IDs. */
export const ACTOR_ID = { INIT: 1n, POWER: 4n, MARKET: 5n } as const;

/** Exit codes the mocks answer with (fvm_shared ExitCode; 33 is the market's EX_DEAL_EXPIRED). */
export const EXIT_CODE = {
  SYS_INVALID_RECEIVER: 5n,
  USR_ILLEGAL_ARGUMENT: 16n,
  USR_NOT_FOUND: 17n,
  USR_SERIALIZATION: 21n,
  USR_UNHANDLED_MESSAGE: 22n,
  EX_DEAL_EXPIRED: 33n,
} as const;

/** FEVM get_actor_type answers. */
export const NATIVE_TYPE = { NON_EXISTENT: 0, SYSTEM: 1, PLACEHOLDER: 2, ACCOUNT: 3, STORAGE_PROVIDER: 4, EVM_CONTRACT: 5, OTHER: 6 } as const;

/** FRC-42 method numbers the mocks implement. */
export const METHOD = {
  MINER_GET_OWNER: 3275365574n,
  MINER_IS_CONTROLLING_ADDRESS: 348244887n,
  MARKET_GET_DEAL_DATA_COMMITMENT: 1157985802n,
  MARKET_GET_DEAL_PROVIDER: 935081690n,
  MARKET_GET_DEAL_TERM: 163777312n,
  MARKET_GET_DEAL_ACTIVATION: 2567238399n,
  POWER_MINER_RAW_POWER: 3753401894n,
} as const;

/** 180 days of 30-second epochs. */
export const DEFAULT_DEAL_DURATION = 518_400n;

/** The masked EVM address of actor `id` (0xff, eleven zero bytes, the ID as 8 bytes). */
export function maskedIdAddress(id: bigint): Address {
  return getAddress(concat(["0xff", toHex(0n, { size: 11 }), toHex(id, { size: 8 })]));
}

/** The f410 (delegated, EAM namespace 10) Filecoin address bytes of an EVM address: 0x04 0x0a ‖ address. */
export function f410Address(evm: Address): Hex {
  return concat(["0x040a", evm]);
}

/** The ID (f0) Filecoin address bytes of actor `id`: 0x00 ‖ LEB128(id). */
export function idAddress(id: bigint): Hex {
  return concat(["0x00", bytesToHex(varint(id))]);
}

/** A miner to install. Addresses are EVM addresses; each gets an actor ID (see {@link Fevm.bindAddress}). */
export interface MinerSpec {
  /** Owner; GetOwner returns its ID address, as the real actor does. */
  owner: Address;
  /** Worker (defaults to the owner). */
  worker?: Address;
  /** Control addresses (IsControllingAddress is true for these, the owner and the worker). */
  controllers?: Address[];
  /** Raw byte power in the power actor's claim (default 32 GiB). */
  rawPower?: bigint;
  /** Whether the claim meets the consensus minimum (default true). */
  meetsConsensusMinimum?: boolean;
  /** false: no power claim at all, so MinerRawPower exits 16 as for an unknown miner (default true). */
  inPowerTable?: boolean;
}

/** A market deal to publish. Epochs are block numbers (FEVM epoch = block.number). */
export interface DealSpec {
  /** Provider (miner) actor ID. */
  provider: bigint;
  /** PieceCID v1 bytes (39 bytes, `baga…`; e.g. PieceInfo.v1), without the 0x00 multibase byte. */
  pieceCid: Hex;
  /** Padded piece size. */
  size: bigint;
  /** Start epoch (default: the current block). */
  start?: bigint;
  /** Duration in epochs (default 180 days); the deal ends at start + duration, exclusive. */
  duration?: bigint;
  /** Activation epoch, -1n for never (default: the current block). */
  activated?: bigint;
  /** Termination epoch, -1n for not terminated (default -1n). */
  terminated?: bigint;
}

type Viem = HardhatViemHelpers;
type Mock<Name extends "MockMinerActor" | "MockMarketActor" | "MockPowerActor" | "MockInitActor"> = Awaited<
  ReturnType<typeof getMock<Name>>
>;

async function getMock<Name extends "MockMinerActor" | "MockMarketActor" | "MockPowerActor" | "MockInitActor">(
  viem: Viem,
  name: Name,
  address: Address,
) {
  return viem.getContractAt(name, address);
}

/** Helpers returned by {@link installFevm}. */
export interface Fevm {
  /** The mock init actor (address book behind resolve_address, lookup_delegated_address, get_actor_type). */
  init: Mock<"MockInitActor">;
  /** The mock market actor at f05's masked address. */
  market: Mock<"MockMarketActor">;
  /** The mock power actor at f04's masked address. */
  power: Mock<"MockPowerActor">;
  /** Gives EVM address `evm` an actor ID (`id`, or the next free one from 1000), resolvable both ways. */
  bindAddress(evm: Address, id?: bigint): Promise<bigint>;
  /** The actor ID bound to `evm`, if any. */
  actorIdOf(evm: Address): bigint | undefined;
  /** Installs miner `id`: its actor (owner, worker, controllers), its type, and its power claim. */
  addMiner(id: bigint, spec: MinerSpec): Promise<Mock<"MockMinerActor">>;
  /** Replaces miner `id`'s power claim. */
  setRawPower(id: bigint, rawPower: bigint, meetsConsensusMinimum?: boolean): Promise<void>;
  /** Deletes miner `id`'s power claim (MinerRawPower then exits 16). */
  removeFromPowerTable(id: bigint): Promise<void>;
  /** Publishes deal `id` (see {@link DealSpec} for defaults). */
  addDeal(id: bigint, spec: DealSpec): Promise<void>;
  /** Sets deal `id`'s activation and termination epochs (-1n for never). */
  setDealActivation(id: bigint, activated: bigint, terminated?: bigint): Promise<void>;
  /** Removes deal `id` from market state: its getters then exit 33 (EX_DEAL_EXPIRED). */
  removeDeal(id: bigint): Promise<void>;
}

/**
 * Installs the FEVM emulator on the connected simulated chain (once per `network.create()` connection).
 * Deploys the emulator and mock actor contracts and copies their runtime code, with `hardhat_setCode`, to
 * the precompile addresses and the actors' masked ID addresses.
 */
export async function installFevm(viem: Viem): Promise<Fevm> {
  const testClient = await viem.getTestClient();
  const publicClient = await viem.getPublicClient();

  const codeOf = async (name: Parameters<Viem["deployContract"]>[0]): Promise<Hex> => {
    const template = await viem.deployContract(name);
    const code = await publicClient.getCode({ address: template.address });
    if (code === undefined || code === "0x") throw new Error(`no runtime code for ${name}`);
    return code;
  };
  const install = (address: Address, bytecode: Hex) => testClient.setCode({ address, bytecode });

  const minerCode = await codeOf("MockMinerActor");
  await install(PRECOMPILE.CALL_ACTOR_ID, await codeOf("FevmCallActorById"));
  await install(PRECOMPILE.RESOLVE_ADDRESS, await codeOf("FevmResolveAddress"));
  await install(PRECOMPILE.LOOKUP_DELEGATED_ADDRESS, await codeOf("FevmLookupDelegatedAddress"));
  await install(PRECOMPILE.GET_ACTOR_TYPE, await codeOf("FevmGetActorType"));
  await install(maskedIdAddress(ACTOR_ID.INIT), await codeOf("MockInitActor"));
  await install(maskedIdAddress(ACTOR_ID.POWER), await codeOf("MockPowerActor"));
  await install(maskedIdAddress(ACTOR_ID.MARKET), await codeOf("MockMarketActor"));

  const init = await getMock(viem, "MockInitActor", maskedIdAddress(ACTOR_ID.INIT));
  const power = await getMock(viem, "MockPowerActor", maskedIdAddress(ACTOR_ID.POWER));
  const market = await getMock(viem, "MockMarketActor", maskedIdAddress(ACTOR_ID.MARKET));

  const mined = async (hash: Promise<Hex>) => {
    await publicClient.waitForTransactionReceipt({ hash: await hash });
  };
  for (const id of [ACTOR_ID.INIT, ACTOR_ID.POWER, ACTOR_ID.MARKET]) {
    await mined(init.write.setActor([id, NATIVE_TYPE.SYSTEM, "0x"]));
  }

  const ids = new Map<Address, bigint>();
  let nextId = 1000n;

  const bindAddress = async (evm: Address, id?: bigint): Promise<bigint> => {
    const key = getAddress(evm);
    const existing = ids.get(key);
    if (existing !== undefined && (id === undefined || id === existing)) return existing;
    const actorId = id ?? nextId++;
    const code = await publicClient.getCode({ address: key });
    const type = code === undefined || code === "0x" ? NATIVE_TYPE.ACCOUNT : NATIVE_TYPE.EVM_CONTRACT;
    await mined(init.write.setActor([actorId, type, f410Address(key)]));
    ids.set(key, actorId);
    return actorId;
  };

  const setRawPower = async (id: bigint, rawPower: bigint, meetsConsensusMinimum = true) => {
    await mined(power.write.setClaim([id, rawPower, meetsConsensusMinimum]));
  };

  return {
    init,
    market,
    power,
    bindAddress,
    actorIdOf: (evm) => ids.get(getAddress(evm)),
    async addMiner(id, spec) {
      const address = maskedIdAddress(id);
      await install(address, minerCode);
      const owner = await bindAddress(spec.owner);
      const worker = spec.worker === undefined ? owner : await bindAddress(spec.worker);
      const controls: bigint[] = [];
      for (const controller of spec.controllers ?? []) controls.push(await bindAddress(controller));
      const miner = await getMock(viem, "MockMinerActor", address);
      await mined(miner.write.configure([owner, worker, controls]));
      await mined(init.write.setActor([id, NATIVE_TYPE.STORAGE_PROVIDER, "0x"]));
      if (spec.inPowerTable ?? true) {
        await setRawPower(id, spec.rawPower ?? 32n << 30n, spec.meetsConsensusMinimum ?? true);
      }
      return miner;
    },
    setRawPower,
    async removeFromPowerTable(id) {
      await mined(power.write.removeClaim([id]));
    },
    async addDeal(id, spec) {
      const now = await publicClient.getBlockNumber();
      await mined(
        market.write.setDeal([
          id,
          {
            provider: spec.provider,
            pieceCid: spec.pieceCid,
            pieceSize: spec.size,
            start: spec.start ?? now,
            duration: spec.duration ?? DEFAULT_DEAL_DURATION,
            activated: spec.activated ?? now,
            terminated: spec.terminated ?? -1n,
          },
        ]),
      );
    },
    async setDealActivation(id, activated, terminated = -1n) {
      await mined(market.write.setActivation([id, activated, terminated]));
    },
    async removeDeal(id) {
      await mined(market.write.removeDeal([id]));
    },
  };
}
