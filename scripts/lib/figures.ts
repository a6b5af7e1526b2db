/**
 * One figure a benchmark measured, with the baseline it measured in the same run, the goal it is
 * held to and a published anchor for context. Each benchmark prints its own detail as before and
 * also records its headline figures here; `npm run bench` (scripts/bench.ts) runs the benchmarks
 * and prints every recorded figure in one table (and rewrites the README's figures table).
 *
 * A benchmark run on its own records nothing: figures go to the JSON-lines file named by
 * `SHOAL_BENCH_OUT`, which scripts/bench.ts sets.
 */
import { appendFileSync } from "node:fs";

export interface Figure {
  /** The benchmark section that measured it ("gas", "agent", …). */
  section: string;
  /** What was measured, as a reader would say it. */
  name: string;
  value: number;
  /** "gas", "ms", "jobs/s", "KiB", "MB", "×", "blocks", "MiB/s". */
  unit: string;
  /** Whether a lower or a higher value is better (decides how the ratio reads). */
  better: "lower" | "higher";
  /** The same thing done the reference way, measured in the same run. */
  baseline?: { label: string; value: number };
  /** The issue's goal for the figure. */
  goal?: { op: "<=" | ">="; value: number };
  /** A published figure of another system, for context (not measured here). */
  anchor?: string;
  /** One short remark (conditions, spread). */
  note?: string;
}

/** Records a figure for `npm run bench`; a no-op when the benchmark runs on its own. */
export function recordFigure(figure: Figure): void {
  const out = process.env.SHOAL_BENCH_OUT;
  if (!out) return;
  appendFileSync(out, `${JSON.stringify(figure)}\n`);
}

/** Whether a figure meets its goal (true when it has none). */
export function meetsGoal(figure: Figure): boolean {
  if (!figure.goal) return true;
  return figure.goal.op === "<=" ? figure.value <= figure.goal.value : figure.value >= figure.goal.value;
}

/** value ÷ baseline, the way the table prints it. */
export function ratioOf(figure: Figure): number | undefined {
  if (!figure.baseline || figure.baseline.value === 0) return undefined;
  return figure.value / figure.baseline.value;
}

/** A number as the table shows it: thousands separated, at most three significant decimals. */
export function formatValue(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === "×" ? `${text}×` : `${text} ${unit}`;
}

/** The figures as a Markdown table (the README's, and what `npm run bench` prints). */
export function figuresTable(figures: Figure[]): string {
  const lines = [
    "| figure | Shoal | baseline, same run | ratio | goal | published anchor |",
    "|---|---|---|---|---|---|",
  ];
  for (const f of figures) {
    const ratio = ratioOf(f);
    const goal = f.goal ? `${f.goal.op === "<=" ? "≤" : "≥"} ${formatValue(f.goal.value, f.unit)} ${meetsGoal(f) ? "(met)" : "(**not met**)"}` : "";
    const name = f.note ? `${f.name} (${f.note})` : f.name;
    lines.push(
      `| ${name} | ${formatValue(f.value, f.unit)} | ${f.baseline ? `${f.baseline.label}: ${formatValue(f.baseline.value, f.unit)}` : ""} | ${ratio === undefined ? "" : `${ratio.toFixed(2)}×`} | ${goal} | ${f.anchor ?? ""} |`,
    );
  }
  return lines.join("\n");
}
