/**
 * Hardhat Ignition modules for Shoal.
 *
 * - `ShoalCore`: ProviderRegistry, JobMarket (locality adapters as parameters, none by default)
 *   and the registry's one-time link to the market. Used on the local chain.
 * - `ShoalFilecoin` (default export): the same, plus the locality adapters for a Filecoin network —
 *   PdpLocality over the network's PDPVerifier and DealLocality over the f05 market actor:
 *
 *   npm run deploy -- --network calibration --parameters ignition/parameters/calibration.json
 *
 * After a deployment, record the addresses in sdk/src/deployments.ts: the SDK, the CLI and the
 * agent all read them from there.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const ZERO = "0x0000000000000000000000000000000000000000";

type Builder = Parameters<Parameters<typeof buildModule>[1]>[0];

function core(m: Builder, pdpLocality: unknown, dealLocality: unknown) {
  const owner = m.getParameter("owner", m.getAccount(0));
  const registry = m.contract("ProviderRegistry", [
    owner,
    m.getParameter("minStake", 10n ** 18n),
    m.getParameter("unbondingDelay", 7n * 24n * 3600n),
  ]);
  const market = m.contract("JobMarket", [
    owner,
    registry,
    pdpLocality as string,
    dealLocality as string,
    m.getParameter("treasury", m.getAccount(0)),
    m.getParameter("feeBps", 100),
    m.getParameter("minCollateral", 10n ** 17n),
    m.getParameter("maxCallbackGas", 5_000_000n),
  ]);
  m.call(registry, "setMarket", [market]);
  return { registry, market };
}

export const ShoalCore = buildModule("ShoalCore", (m) =>
  core(m, m.getParameter("pdpLocality", ZERO), m.getParameter("dealLocality", ZERO)),
);

export default buildModule("ShoalFilecoin", (m) => {
  const pdpLocality = m.contract("PdpLocality", [m.getParameter<string>("pdpVerifier"), m.getParameter("pdpMaxProofAge", 5_760n)]);
  const dealLocality = m.contract("DealLocality");
  return { ...core(m, pdpLocality, dealLocality), pdpLocality, dealLocality };
});
