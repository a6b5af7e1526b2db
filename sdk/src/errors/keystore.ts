import { ShoalError } from "./base.js";

export type KeystoreErrorType = KeystoreError & { name: "KeystoreError" };

/**
 * An encrypted JSON keystore could not be decrypted: a wrong password, or a file that is not a
 * Web3 Secret Storage v3 keystore (`reason` says which).
 *
 * @example
 * if (error instanceof KeystoreError && error.reason === "wrong password") askAgain();
 */
export class KeystoreError extends ShoalError {
  /** Why it failed: "wrong password", or what is wrong with the file. */
  readonly reason: string;

  constructor(reason: string) {
    super(`Cannot decrypt the keystore: ${reason}.`, {
      metaMessages: ["Use a version 3 JSON keystore (geth, ethers, MetaMask, cast wallet) and its password."],
      name: "KeystoreError",
    });
    this.reason = reason;
  }
}
