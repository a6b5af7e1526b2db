import { readFile } from "node:fs/promises";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { CliError, EXIT, fileProblem, UsageError } from "./errors.js";
import { addSecret } from "./io.js";
import { decryptKeystore, KeystoreError } from "../src/node.js";

export type KeyOptions = { keystore?: string | undefined };

/**
 * The signing account: from `--keystore <file>` (an encrypted JSON keystore, password from
 * SHOAL_KEYSTORE_PASSWORD or a prompt on a terminal), else from SHOAL_PRIVATE_KEY. The key and
 * the password are registered as secrets, so no output can ever show them.
 */
export async function loadAccount(options: KeyOptions, env: NodeJS.ProcessEnv = process.env): Promise<PrivateKeyAccount> {
  if (options.keystore) return fromKeystore(options.keystore, env);
  const raw = env.SHOAL_PRIVATE_KEY?.trim();
  if (!raw) {
    throw new UsageError("no key: set SHOAL_PRIVATE_KEY, or pass --keystore <file> (password in SHOAL_KEYSTORE_PASSWORD)");
  }
  addSecret(raw);
  const key = raw.startsWith("0x") ? raw : `0x${raw}`;
  addSecret(key);
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError("SHOAL_PRIVATE_KEY is not a private key: expected 32 bytes of hex");
  return privateKeyToAccount(key as `0x${string}`);
}

async function fromKeystore(file: string, env: NodeJS.ProcessEnv): Promise<PrivateKeyAccount> {
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read keystore ${file}: ${fileProblem(error)}`);
  }
  let password = env.SHOAL_KEYSTORE_PASSWORD;
  if (password === undefined) {
    if (!process.stdin.isTTY) throw new UsageError("the keystore needs a password: set SHOAL_KEYSTORE_PASSWORD (no terminal to prompt on)");
    password = await promptHidden(`password for ${file}: `);
  }
  addSecret(password);
  let privateKey: string;
  try {
    privateKey = await decryptKeystore({ json, password });
  } catch (error) {
    throw new UsageError(`cannot decrypt keystore ${file}: ${error instanceof KeystoreError ? error.reason : String(error)}`);
  }
  addSecret(privateKey);
  return privateKeyToAccount(privateKey as `0x${string}`);
}

/** Reads a line from the terminal without echoing it (the prompt goes to stderr). */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new CliError("no password given", EXIT.interrupted));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
