// Command-line options of the ML kernels: `--name value` or `--name=value`, flags without a
// value, no positional arguments. Unknown, repeated (unless allowed) or malformed options fail.
import { fail } from "./io";

export class Args {
  names: string[] = [];
  values: string[] = [];

  /** Every value given for `--name`, in order. */
  all(name: string): string[] {
    const out = new Array<string>();
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == name) out.push(this.values[i]);
    return out;
  }

  has(name: string): bool {
    return this.names.includes(name);
  }

  /** The value of `--name`, or `fallback` when absent. */
  str(name: string, fallback: string): string {
    const found = this.all(name);
    return found.length == 0 ? fallback : found[0];
  }

  /** The value of a required `--name`. */
  required(name: string): string {
    const found = this.all(name);
    if (found.length == 0) fail("--" + name + " is required");
    return found[0];
  }

  /** A whole number in [min, max]. */
  int(name: string, fallback: i64, min: i64, max: i64): i64 {
    const found = this.all(name);
    if (found.length == 0) return fallback;
    const text = found[0];
    let value: i64 = 0;
    if (text.length == 0 || text.length > 12) fail("--" + name + " must be a whole number, got '" + text + "'");
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) fail("--" + name + " must be a whole number, got '" + text + "'");
      value = value * 10 + (c - 48);
    }
    if (value < min || value > max) fail("--" + name + " must be between " + min.toString() + " and " + max.toString() + ", got " + text);
    return value;
  }

  /** A positive decimal number such as 0.05 (no exponent). */
  positive(name: string, fallback: f64, max: f64): f64 {
    const found = this.all(name);
    if (found.length == 0) return fallback;
    const text = found[0];
    let dots = 0;
    let digits = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c == 46) dots++;
      else if (c >= 48 && c <= 57) digits++;
      else fail("--" + name + " must be a decimal number such as 0.1, got '" + text + "'");
    }
    if (dots > 1 || digits == 0 || text.length > 24) fail("--" + name + " must be a decimal number such as 0.1, got '" + text + "'");
    const value = parseFloat(text);
    if (!(value > 0) || value > max) fail("--" + name + " must be above 0 and at most " + max.toString() + ", got " + text);
    return value;
  }
}

/**
 * Parses `argv` (argv[0] is the program). `flags` take no value; `options` take one; names in
 * `repeatable` may be given more than once.
 */
export function parseArgs(argv: string[], options: string[], flags: string[], repeatable: string[]): Args {
  const args = new Args();
  let i = 1;
  while (i < argv.length) {
    const token = argv[i];
    if (!token.startsWith("--") || token.length < 3) fail("unexpected argument '" + token + "' (options are --name value)");
    let name = token.substring(2);
    let value = "";
    let inline = false;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.substring(eq + 1);
      name = name.substring(0, eq);
      inline = true;
    }
    if (flags.includes(name)) {
      if (inline) fail("--" + name + " takes no value");
      value = "true";
      i += 1;
    } else if (options.includes(name)) {
      if (!inline) {
        if (i + 1 >= argv.length) fail("--" + name + " needs a value");
        value = argv[i + 1];
        i += 2;
      } else i += 1;
    } else {
      fail("unknown option --" + name);
    }
    if (args.has(name) && !repeatable.includes(name)) fail("--" + name + " is given twice");
    args.names.push(name);
    args.values.push(value);
  }
  return args;
}
