import type { Address } from "viem";

export default function TrainingPage({ coordinator }: { coordinator?: Address }) {
  return <h1>Training{coordinator ? ` ${coordinator}` : ""}</h1>;
}
