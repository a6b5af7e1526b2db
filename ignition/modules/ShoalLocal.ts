/**
 * Shoal on a local `npx hardhat node`: registry and market, no locality adapters. Deployed from
 * the node's first account on a fresh node, the contracts land at the addresses the SDK records
 * for chain 31337, so the CLI and the agent need no addresses.
 *
 *   npx hardhat ignition deploy ignition/modules/ShoalLocal.ts --network localhost
 */
import { ShoalCore } from "./Shoal.js";

export default ShoalCore;
