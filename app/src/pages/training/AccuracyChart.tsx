/** Test accuracy per round as a line chart, drawn as plain SVG (no chart library). */
import { useEffect, useRef, useState } from "react";

export type AccuracyPoint = { round: number; accuracy: number | undefined };

const H = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 36 };

export function AccuracyChart({ points, rounds, title }: { points: AccuracyPoint[]; rounds: number; title: string }) {
  // Drawn at the figure's own width in CSS pixels, so labels keep their size on a phone.
  const figure = useRef<HTMLElement>(null);
  const [W, setWidth] = useState(640);
  useEffect(() => {
    const element = figure.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(280, Math.round(entry!.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const known = points.filter((p): p is { round: number; accuracy: number } => p.accuracy !== undefined);
  // The y axis spans the measured accuracies, widened to whole 5 % steps so small gains stay visible.
  const lo = known.length ? Math.max(0, Math.floor((Math.min(...known.map((p) => p.accuracy)) * 100) / 5) * 5 - 5) : 0;
  const hi = known.length ? Math.min(100, Math.ceil((Math.max(...known.map((p) => p.accuracy)) * 100) / 5) * 5 + 5) : 100;
  const x = (round: number) => PAD.left + (rounds <= 1 ? 0.5 : (round - 1) / (rounds - 1)) * (W - PAD.left - PAD.right);
  const y = (accuracy: number) => PAD.top + (1 - (accuracy * 100 - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const ticks = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const path = known.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.round).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(" ");
  const summary = known.length
    ? `${title}: ${known.map((p) => `round ${p.round} ${(p.accuracy * 100).toFixed(2)} %`).join(", ")}`
    : `${title}: no round evaluated yet`;
  return (
    <figure ref={figure} className="chart" data-testid="accuracy-chart" data-points={known.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        <title>{summary}</title>
        {ticks.map((t) => (
          <g key={t} className="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t / 100)} y2={y(t / 100)} />
            <text x={PAD.left - 6} y={y(t / 100) + 4} textAnchor="end">
              {t.toFixed(t % 1 ? 1 : 0)}%
            </text>
          </g>
        ))}
        {Array.from({ length: rounds }, (_, i) => i + 1).map((r) => (
          <text key={r} className="axis" x={x(r)} y={H - PAD.bottom + 16} textAnchor="middle">
            {r === 1 || r === rounds || r % Math.ceil(rounds / Math.max(2, Math.floor(W / 40))) === 0 ? r : ""}
          </text>
        ))}
        <text className="axis-title" x={(W + PAD.left) / 2} y={H - 4} textAnchor="middle">
          round
        </text>
        {path && <path className="line" d={path} fill="none" />}
        {known.map((p) => (
          <circle key={p.round} className="dot" cx={x(p.round)} cy={y(p.accuracy)} r={4}>
            <title>{`round ${p.round}: ${(p.accuracy * 100).toFixed(2)} %`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>{known.length ? `Test accuracy per round (${known.length} of ${rounds} evaluated)` : "No round has been evaluated yet."}</figcaption>
    </figure>
  );
}
