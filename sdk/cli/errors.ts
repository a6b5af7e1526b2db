import { BaseError as ViemBaseError } from "viem";
import {
  InvalidSpecError,
  JobExpiredError,
  ResultFetchError,
  ShoalError,
  ShoalNotDeployedError,
  SpecTooLargeError,
} from "../src/index.js";
import { EXIT, redact } from "./io.js";

export { EXIT };

/** A failure the CLI explains itself, in one line that says what to do. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** The command line, a file it names, or the environment is wrong (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "UsageError";
  }
}

/** The first line of `text`, trimmed. */
export function firstLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find(Boolean) ?? "";
}

/** Which meta line of an SDK error says what to do next (default: the first). */
function hintOf(error: ShoalError): string | undefined {
  if (error instanceof ShoalNotDeployedError) return "Pass --market <address> or set SHOAL_MARKET.";
  if (error instanceof JobExpiredError) return error.metaMessages?.find((l) => /withdraw/.test(l));
  if (error instanceof ResultFetchError) return error.metaMessages?.[0]?.replace(/^- /, "First try: ");
  return error.metaMessages?.[0];
}

/** A file system error code in words. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory" };
  return (code && words[code]) ?? code ?? "unreadable";
}

/** The exit code for `error`. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof InvalidSpecError || error instanceof SpecTooLargeError) return EXIT.usage;
  return EXIT.failure;
}

/**
 * `error` as one line (no stack, no newline), without any registered secret: an SDK error's
 * short message plus the line that says what to do; a viem error's short message and details;
 * otherwise the first line of the message.
 */
export function errorLine(error: unknown): string {
  let line: string;
  if (error instanceof CliError) line = error.message;
  else if ((error instanceof InvalidSpecError || error instanceof SpecTooLargeError) && error.docsPath) {
    line = `${error.shortMessage} (see ${error.docsPath})`;
  } else if (error instanceof ShoalError) {
    const hint = hintOf(error);
    line = hint ? `${error.shortMessage} ${hint}` : error.shortMessage;
  } else if (error instanceof ViemBaseError) {
    const details = firstLine(error.details ?? "");
    line = details && details.length < 200 && !error.shortMessage.includes(details) ? `${error.shortMessage} (${details})` : error.shortMessage;
  } else if (error instanceof Error) line = firstLine(error.message) || error.name;
  else line = String(error);
  return redact(line.replace(/\s*\n\s*/g, " ").trim() || "unknown error");
}
