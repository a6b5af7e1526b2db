// The SDK's share of a dapp's browser bundle (viem + submitJob + waitForResult, esbuild, minified,
// gzip) is part of the suite, so CI fails when the SDK grows past the goal. It measures bytes, not
// time: the same build gives the same figure. `npm run bundle-size` prints the same measurement
// with its breakdown. It bundles the built package: `npm test` runs `tsc -b sdk agent` first.
import assert from "node:assert/strict";

import { added, GOAL_GZIP, kb, measureBundles } from "../../scripts/bundle-size.js";

describe("browser bundle size (npm run bundle-size)", function () {
  it(`the SDK adds at most ${GOAL_GZIP / 1024} KiB gzip to viem + submitJob + waitForResult, and no Node built-in`, async function () {
    const measured = await measureBundles();
    const breakdown = added(measured).slice(0, 6).map(([p, n]) => `${p} ${kb(n)}`).join(", ");
    assert.ok(measured.sdk.sdkModules > 0, "the bundle holds no SDK module: the measurement is broken");
    assert.ok(
      measured.shareGzip <= GOAL_GZIP,
      `the SDK adds ${kb(measured.shareGzip)} gzip, above the goal of ${kb(GOAL_GZIP)}; largest additions before gzip: ${breakdown}`,
    );
    assert.deepEqual(measured.sdk.nodeBuiltins, [], "move Node-only code to @shoal/sdk/node");
  });
});
