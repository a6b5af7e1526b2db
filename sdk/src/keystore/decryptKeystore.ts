import { createDecipheriv, pbkdf2Sync, scrypt as scryptCallback, type ScryptOptions } from "node:crypto";
import { bytesToHex, concatBytes, type Hex, hexToBytes, keccak256 } from "viem";

import { KeystoreError } from "../errors/keystore.js";

export type DecryptKeystoreParameters = {
  /** The keystore file's text (Web3 Secret Storage v3, as written by geth, ethers, MetaMask, Foundry's `cast wallet`). */
  json: string;
  password: string;
};
export type DecryptKeystoreReturnType = Hex;
export type DecryptKeystoreErrorType = KeystoreError;

type V3 = {
  version?: number;
  crypto?: V3Crypto;
  Crypto?: V3Crypto;
};
type V3Crypto = {
  cipher: string;
  ciphertext: string;
  cipherparams: { iv: string };
  kdf: string;
  kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
  mac: string;
};

const MAX_SCRYPT_N = 2 ** 20;

/**
 * Decrypts an encrypted JSON keystore (Web3 Secret Storage v3: scrypt or pbkdf2-sha256, then
 * aes-128-ctr, checked by its keccak-256 MAC) into its private key, with Node's own crypto.
 *
 * @example
 * import { readFile } from "node:fs/promises";
 * import { decryptKeystore } from "@shoal/sdk/node";
 * import { privateKeyToAccount } from "viem/accounts";
 * const key = await decryptKeystore({ json: await readFile("key.json", "utf8"), password: process.env.SHOAL_KEYSTORE_PASSWORD! });
 * const account = privateKeyToAccount(key);
 */
export async function decryptKeystore({ json, password }: DecryptKeystoreParameters): Promise<DecryptKeystoreReturnType> {
  let parsed: V3;
  try {
    parsed = JSON.parse(json) as V3;
  } catch {
    throw new KeystoreError("not an encrypted JSON keystore (not JSON)");
  }
  const c = parsed.crypto ?? parsed.Crypto;
  if (parsed.version !== 3 || !c?.kdfparams || !c.cipherparams) throw new KeystoreError("not an encrypted JSON keystore (version 3 expected)");
  if (c.cipher !== "aes-128-ctr") throw new KeystoreError(`unsupported keystore cipher ${c.cipher} (aes-128-ctr expected)`);
  const k = c.kdfparams;
  const salt = unhex(k.salt);
  let derived: Uint8Array;
  if (c.kdf === "scrypt") {
    const { n = 0, r = 0, p = 0 } = k;
    if (!(n > 1 && n <= MAX_SCRYPT_N && (n & (n - 1)) === 0 && r > 0 && p > 0)) throw new KeystoreError("keystore scrypt parameters out of range");
    derived = await scrypt(password, salt, k.dklen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  } else if (c.kdf === "pbkdf2") {
    if (k.prf !== "hmac-sha256" || !k.c || k.c < 1) throw new KeystoreError("unsupported keystore pbkdf2 parameters (hmac-sha256 expected)");
    derived = new Uint8Array(pbkdf2Sync(password, salt, k.c, k.dklen, "sha256"));
  } else {
    throw new KeystoreError(`unsupported keystore kdf ${c.kdf} (scrypt or pbkdf2 expected)`);
  }
  const ciphertext = unhex(c.ciphertext);
  const mac = keccak256(concatBytes([derived.slice(16, 32), ciphertext]));
  if (mac.slice(2).toLowerCase() !== c.mac.replace(/^0x/, "").toLowerCase()) throw new KeystoreError("wrong password");
  const decipher = createDecipheriv("aes-128-ctr", derived.slice(0, 16), unhex(c.cipherparams.iv));
  const key = concatBytes([decipher.update(ciphertext), decipher.final()]);
  if (key.length !== 32) throw new KeystoreError("the keystore does not hold a 32-byte private key");
  return bytesToHex(key);
}

function unhex(value: string): Uint8Array {
  const hex = value.startsWith("0x") ? value : `0x${value}`;
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new KeystoreError("not an encrypted JSON keystore (bad hex field)");
  return hexToBytes(hex as Hex);
}

function scrypt(password: string, salt: Uint8Array, keylen: number, options: ScryptOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize("NFKC"), salt, keylen, options, (error, key) => (error ? reject(new KeystoreError(error.message)) : resolve(new Uint8Array(key)))),
  );
}
