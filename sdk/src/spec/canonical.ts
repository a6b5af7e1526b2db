import { InvalidSpecError } from "../errors/spec.js";
import { formatPath, LONE_SURROGATE } from "./rules.js";

/**
 * Serializes `value` as canonical JSON: object keys sorted (by UTF-16 code units, as RFC 8785
 * JCS sorts them) at every depth, no whitespace, strings escaped as `JSON.stringify` does,
 * integers only. Object properties whose value is `undefined` are left out; anything JSON
 * cannot hold exactly (floats, NaN, bigint, null, undefined in arrays, lone surrogates) is
 * refused with an InvalidSpecError naming its path.
 *
 * For the values a job spec holds this is RFC 8785 restricted to integers.
 *
 * @example
 * toCanonicalJson({ b: [2, 1], a: "x" }); // '{"a":"x","b":[2,1]}'
 */
export function toCanonicalJson(value: unknown): string {
  return encode(value, []);
}

function encode(value: unknown, path: PropertyKey[]): string {
  const fail = (rule: string): never => {
    throw new InvalidSpecError({ issues: [{ path: formatPath(path), rule }] });
  };
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value)) fail("must be well-formed Unicode (no lone surrogates)");
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isSafeInteger(value)) fail("must be an integer within ±(2^53 - 1) (no floats, NaN or Infinity)");
      return Object.is(value, -0) ? "0" : String(value);
    case "object": {
      if (value === null) return fail("must not be null");
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) items.push(encode(value[i], [...path, i]));
        return `[${items.join(",")}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) fail("must be a plain object");
      const record = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(record).sort()) {
        if (record[key] === undefined) continue;
        if (LONE_SURROGATE.test(key)) fail(`key ${JSON.stringify(key)} must be well-formed Unicode`);
        members.push(`${JSON.stringify(key)}:${encode(record[key], [...path, key])}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      return fail(value === undefined ? "must not be undefined" : `cannot encode a ${typeof value}`);
  }
}
