import assert from "node:assert/strict";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { decryptKeystore, KeystoreError } from "../../sdk/src/node.js";

// decryptKeystore replaces ethers in the CLIs (Node's scrypt, pbkdf2 and aes-128-ctr): it must
// read what ethers (and geth, MetaMask, cast) write, and refuse the rest with a reason.

describe("decryptKeystore", function () {
  const wallet = Wallet.createRandom();
  const account = { address: wallet.address, privateKey: wallet.privateKey };

  it("decrypts an ethers-written scrypt keystore to the same private key", async function () {
    const json = encryptKeystoreJsonSync(account, "correct horse", { scrypt: { N: 1024 } });
    assert.equal(await decryptKeystore({ json, password: "correct horse" }), wallet.privateKey);
  });

  it("decrypts a pbkdf2 keystore (geth's other kdf)", async function () {
    // ethers writes scrypt only: re-derive the same file with pbkdf2 by hand (Web3 Secret Storage v3).
    const { createCipheriv, pbkdf2Sync, randomBytes } = await import("node:crypto");
    const { keccak256, concatBytes, hexToBytes } = await import("viem");
    const salt = randomBytes(32);
    const iv = randomBytes(16);
    const derived = pbkdf2Sync("pw", salt, 1000, 32, "sha256");
    const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([cipher.update(hexToBytes(wallet.privateKey as `0x${string}`)), cipher.final()]);
    const mac = keccak256(concatBytes([derived.subarray(16, 32), ciphertext])).slice(2);
    const json = JSON.stringify({
      version: 3,
      crypto: {
        cipher: "aes-128-ctr", ciphertext: ciphertext.toString("hex"), cipherparams: { iv: iv.toString("hex") },
        kdf: "pbkdf2", kdfparams: { c: 1000, dklen: 32, prf: "hmac-sha256", salt: salt.toString("hex") }, mac,
      },
    });
    assert.equal(await decryptKeystore({ json, password: "pw" }), wallet.privateKey);
  });

  it("refuses a wrong password, a non-keystore and an unsupported cipher with a KeystoreError that says which", async function () {
    const json = encryptKeystoreJsonSync(account, "pw", { scrypt: { N: 1024 } });
    const reasonOf = async (text: string, password = "pw") => {
      const error = await decryptKeystore({ json: text, password }).catch((e: unknown) => e);
      assert.ok(error instanceof KeystoreError, String(error));
      return error.reason;
    };
    assert.equal(await reasonOf(json, "wrong"), "wrong password");
    assert.match(await reasonOf("{not json"), /not JSON/);
    assert.match(await reasonOf(JSON.stringify({ version: 1 })), /version 3/);
    const other = JSON.parse(json);
    other.Crypto.cipher = "aes-256-gcm";
    assert.match(await reasonOf(JSON.stringify(other)), /unsupported keystore cipher aes-256-gcm/);
    other.Crypto.cipher = "aes-128-ctr";
    other.Crypto.kdfparams.n = 3;
    assert.match(await reasonOf(JSON.stringify(other)), /scrypt parameters out of range/);
  });
});
