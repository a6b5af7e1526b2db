// Deterministic number formatting for the metrics JSON: fixed decimals, computed with integer
// arithmetic, never the engine's float printing.

/** `x` with exactly `decimals` digits after the point (|x| < 9e12), or null when not finite. */
export function fixed(x: f64, decimals: i32): string {
  if (!isFinite<f64>(x)) return "null";
  let scale: f64 = 1;
  for (let i = 0; i < decimals; i++) scale *= 10;
  const negative = x < 0;
  const v = Math.round(Math.abs(x) * scale);
  if (v >= 9e15) return negative ? "-9e15" : "9e15";
  const n = <u64>v;
  const unit = <u64>scale;
  let text = (n / unit).toString();
  if (decimals > 0) {
    let frac = (n % unit).toString();
    while (frac.length < decimals) frac = "0" + frac;
    text += "." + frac;
  }
  return negative && n != 0 ? "-" + text : text;
}

/** A JSON array of fixed-decimal numbers. */
export function fixedArray(values: f64[], decimals: i32): string {
  const parts = new Array<string>();
  for (let i = 0; i < values.length; i++) parts.push(fixed(values[i], decimals));
  return "[" + parts.join(",") + "]";
}

/** A JSON array of integers. */
export function intArray(values: i64[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < values.length; i++) parts.push(values[i].toString());
  return "[" + parts.join(",") + "]";
}

/** A JSON string (the kernels only quote ASCII they made themselves or paths). */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 34) out += '\\"';
    else if (c == 92) out += "\\\\";
    else if (c < 32) out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}
