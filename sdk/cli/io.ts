// What the CLI writes, and what it must never write. No heavy imports: `--help` and usage errors
// stay fast because main.ts loads only this, the parsers and commander up front.

/** Exit codes: 1 when something failed at run time, 2 when the command line or its inputs are wrong. */
export const EXIT = { failure: 1, usage: 2, interrupted: 130 } as const;

const secrets = new Set<string>();

/** Registers a value (a private key, a password) that must never reach stdout or stderr. */
export function addSecret(value: string): void {
  if (value.length < 6) return;
  secrets.add(value);
  if (/^0x[0-9a-fA-F]+$/.test(value)) secrets.add(value.slice(2));
}

/** Replaces every registered secret in `text` (case-insensitively) with `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    out = out.replace(new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), "[redacted]");
  }
  return out;
}

/** Writes one line to stdout (the command's answer). */
export function out(line: string): void {
  process.stdout.write(`${redact(line)}\n`);
}

/** Writes one line to stderr (progress; never the answer). */
export function note(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

/** Prints `value` as one JSON object on stdout, bigints as decimal strings. */
export function outJson(value: unknown): void {
  out(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
