import type * as z from "zod/v4/mini";

import { InvalidSpecError, type SpecIssue } from "../errors/spec.js";
import { formatPath } from "./rules.js";

export { formatPath };

/** Phrases zod's issues as rules: "must be at most 64", "is required", "unknown field". */
export const specErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_small":
      return `must ${bound(issue.origin, "at least", issue.minimum, issue.inclusive ?? true, 1)}`;
    case "too_big":
      return `must ${bound(issue.origin, "at most", issue.maximum, issue.inclusive ?? true, -1)}`;
    case "invalid_value":
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "unrecognized_keys":
      return "unknown field";
    default:
      return undefined;
  }
};

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "an integer",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  record: "an object",
};

function bound(origin: string, word: string, limit: number | bigint, inclusive: boolean, step: number): string {
  const n = inclusive ? limit : Number(limit) + step;
  const plural = Number(n) === 1 ? "" : "s";
  if (origin === "array") return `have ${word} ${n} item${plural}`;
  if (origin === "string") return `be ${word} ${n} character${plural} long`;
  return `be ${word} ${n}`;
}

/** Turns a zod error into an InvalidSpecError: one issue per field (its first broken rule), unknown keys each named. */
export function toInvalidSpecError(error: z.core.$ZodError): InvalidSpecError {
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  const add = (path: readonly PropertyKey[], rule: string) => {
    const formatted = formatPath(path);
    if (seen.has(formatted)) return;
    seen.add(formatted);
    issues.push({ path: formatted, rule });
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") for (const key of issue.keys) add([...issue.path, key], "unknown field");
    else if (issue.code === "invalid_key") add(issue.path, issue.issues[0]?.message ?? issue.message);
    else add(issue.path, issue.message);
  }
  return new InvalidSpecError({ issues, cause: error });
}
