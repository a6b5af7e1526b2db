import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { configVariable, defineConfig } from "hardhat/config";
import type { HardhatPlugin } from "hardhat/types/plugins";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";

const require = createRequire(import.meta.url);

/**
 * The `production` build profile (what `hardhat ignition deploy`, so `npm run deploy`, builds with)
 * leaves out the test doubles under contracts/test: a deployment neither compiles them nor prints
 * their warnings. Every other build (tests, scripts, `hardhat build`) compiles them with the rest,
 * into the one artifacts directory, typed, where the tests' `deployContract` finds them.
 */
const TEST_DOUBLES = fileURLToPath(new URL("contracts/test/", import.meta.url));
const productionLeavesOutTestDoubles: HardhatPlugin = {
  id: "shoal-production-leaves-out-test-doubles",
  hookHandlers: {
    solidity: async () => ({
      default: async () => ({
        build: async (context, rootFilePaths, options, next) =>
          next(
            context,
            options?.buildProfile === "production" ? rootFilePaths.filter((file) => !file.startsWith(TEST_DOUBLES)) : rootFilePaths,
            options,
          ),
      }),
    }),
  },
};

const SOLC = {
  version: "0.8.30",
  path: require.resolve("solc/soljson.js"),
  settings: {
    optimizer: { enabled: true, runs: 1_000 },
    viaIR: true,
    evmVersion: "cancun",
  },
};

export default defineConfig({
  plugins: [hardhatMocha, hardhatViem, hardhatNetworkHelpers, hardhatIgnitionViem, hardhatKeystore, productionLeavesOutTestDoubles],
  // solc from npm (WASM build): compiles offline. `version` must equal the installed package.
  // One compiler setup for every build profile: `production` (used by Ignition deployments) must
  // produce the same bytecode the tests and the gas report measured.
  solidity: {
    profiles: {
      default: SOLC,
      production: SOLC,
    },
  },
  paths: { tests: { mocha: "test" } },
  test: { mocha: { timeout: 120_000 } },
  networks: {
    default: { type: "edr-simulated", chainType: "l1", hardfork: "cancun" },
    // Filecoin. RPC URLs and keys come from Hardhat's keystore (`npx hardhat keystore set
    // CALIBRATION_PRIVATE_KEY`) or the environment. FEVM gas units differ from Ethereum's and change
    // between network upgrades: gas is always estimated, with 30% headroom, never hard-coded.
    calibration: {
      type: "http",
      chainType: "l1",
      chainId: 314159,
      url: configVariable("CALIBRATION_RPC_URL"),
      accounts: [configVariable("CALIBRATION_PRIVATE_KEY")],
      gas: "auto",
      gasMultiplier: 1.3,
    },
    mainnet: {
      type: "http",
      chainType: "l1",
      chainId: 314,
      url: configVariable("FILECOIN_RPC_URL"),
      accounts: [configVariable("FILECOIN_PRIVATE_KEY")],
      gas: "auto",
      gasMultiplier: 1.3,
    },
  },
});
