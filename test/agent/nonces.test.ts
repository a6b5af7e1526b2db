import assert from "node:assert/strict";
import { createNonces } from "../../agent/src/chain/nonces.js";

/** A node's pending count, under the test's control, and a clock the test moves. */
function fakeNode(count = 5) {
  const node = { count, clock: 0 };
  const nonces = createNonces(async () => node.count, () => node.clock);
  return { node, nonces };
}

describe("agent nonces (count read beside the estimate)", function () {
  it("hands out the node's count when nothing of ours is in flight", async function () {
    const { nonces } = fakeNode(7);
    const n = await nonces.read().take();
    assert.equal(n.nonce, 7);
  });

  it("never hands out one nonce twice to transactions sent together, whatever their counts said", async function () {
    const { node, nonces } = fakeNode(3);
    const reads = [nonces.read(), nonces.read(), nonces.read()];
    const taken = await Promise.all(reads.map((r) => r.take()));
    assert.deepEqual(taken.map((t) => t.nonce).sort(), [3, 4, 5]);
    // The node took all three, but a count read while they were in flight still says 3.
    node.clock = 10;
    const racing = nonces.read();
    for (const t of taken) t.answered(true);
    assert.equal((await racing.take()).nonce, 6);
  });

  it("trusts a count read after every earlier send was answered (another process used the key)", async function () {
    const { node, nonces } = fakeNode(3);
    const first = await nonces.read().take();
    node.clock = 1;
    first.answered(true);
    node.clock = 2;
    node.count = 9; // six more sent by someone else with the same key
    assert.equal((await nonces.read().take()).nonce, 9);
  });

  it("gives back the nonce of a send the node refused, and a later read fills the gap", async function () {
    const { node, nonces } = fakeNode(3);
    const a = await nonces.read().take();
    const b = await nonces.read().take();
    assert.deepEqual([a.nonce, b.nonce], [3, 4]);
    node.clock = 1;
    a.answered(false); // refused: 3 is free again
    b.answered(true); // 4 waits in the pool behind the gap
    node.clock = 2;
    // The node's count stays 3 while 4 cannot be mined: the count read now is the node's word.
    assert.equal((await nonces.read().take()).nonce, 3);
  });

  it("a count read before a send was answered does not hand out that send's nonce", async function () {
    const { node, nonces } = fakeNode(3);
    const early = nonces.read(); // read at clock 0
    const sent = await nonces.read().take();
    node.clock = 5;
    sent.answered(true); // answered after the early read began
    assert.equal((await early.take()).nonce, 4);
  });

  it("forgets answered nonces after ten minutes, so memory stays flat; a count read that long ago is not fresh", async function () {
    const { node, nonces } = fakeNode(0);
    const early = nonces.read();
    assert.equal(early.fresh(), true);
    for (let i = 0; i < 50; i++) {
      const n = await nonces.read().take();
      n.answered(true);
      node.count++;
      node.clock += 20_000;
    }
    assert.ok(nonces.size() <= 31, `remembered ${nonces.size()}`);
    assert.equal(early.fresh(), false, "a count read 1,000 s ago is read again, not taken");
  });

  it("a failed count read fails take, not read", async function () {
    const nonces = createNonces(async () => {
      throw new Error("RPC down");
    });
    const pending = nonces.read();
    await assert.rejects(pending.take(), /RPC down/);
    assert.equal(nonces.size(), 0);
  });
});
