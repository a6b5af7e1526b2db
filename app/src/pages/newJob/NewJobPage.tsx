// Post a job: the input (a file whose piece CID is computed here in a worker, or a pasted piece
// CID), the engine (WASM module or Docker image), resources, replicas and quorum, price and
// windows. Every field is checked with the SDK's spec rules and the market's limits, each broken
// rule shown next to its field; the escrow is shown before submitting.
import { jobMarketAbi, submitJob } from "@shoal/sdk";
import { useEffect, useRef, useState } from "react";
import { parseEther } from "viem";
import { useAccount, useReadContract, useWalletClient } from "wagmi";
import { ErrorLine } from "../../components/States";
import { useShoal } from "../../lib/config";
import { formatBytes, formatFil } from "../../lib/format";
import { DEFAULT_VALUES, escrowOf, type JobField, type JobFormValues, validateJobForm } from "../../lib/jobForm";
import { href, navigate } from "../../lib/router";
import { hashPiece } from "../../workers/pieceCidProtocol";
import { Field } from "./Field";

type PieceState =
  | { status: "idle" }
  | { status: "hashing"; name: string; bytes: number; total: number }
  | { status: "done"; name: string; size: number; v2: string }
  | { status: "error"; message: string };

export default function NewJobPage() {
  const { market } = useShoal();
  const { isConnected } = useAccount();
  const { data: walletClient } = useWalletClient();
  const fee = useReadContract({ address: market, abi: jobMarketAbi, functionName: "feeBps" });
  const [values, setValues] = useState<JobFormValues>(DEFAULT_VALUES);
  const [touched, setTouched] = useState(false);
  const [piece, setPiece] = useState<PieceState>({ status: "idle" });
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>(undefined);
  const stopWorker = useRef<(() => void) | undefined>(undefined);
  useEffect(() => () => stopWorker.current?.(), []);

  const set = <K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const result = validateJobForm(values);
  const errors = touched && !result.ok ? result.errors : {};
  if (touched && piece.status === "hashing" && values.input === "file") errors.file = "Wait for the piece CID of the file.";
  if (touched && piece.status === "error" && values.input === "file") errors.file = piece.message;
  const error = (field: JobField) => errors[field];

  // The escrow as soon as replicas and price parse, whatever else is still missing.
  const replicas = Number(values.replicas);
  let price: bigint | undefined;
  try {
    price = /^\s*\d*(\.\d{0,18})?\s*$/.test(values.price) && values.price.trim() !== "" ? parseEther(values.price.trim()) : undefined;
  } catch {
    price = undefined;
  }
  const escrow = fee.data !== undefined && price !== undefined && Number.isSafeInteger(replicas) && replicas > 0 ? escrowOf(replicas, price, fee.data) : undefined;

  const onFile = (file: File | undefined) => {
    stopWorker.current?.();
    set("piece", "");
    if (!file) return setPiece({ status: "idle" });
    const safe = file.name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "") || "data";
    set("mount", `/inputs/${safe}`);
    setPiece({ status: "hashing", name: file.name, bytes: 0, total: file.size });
    stopWorker.current = hashPiece(file, (m) => {
      if (m.type === "progress") setPiece({ status: "hashing", name: file.name, bytes: m.bytes, total: m.total });
      else if (m.type === "done") {
        setPiece({ status: "done", name: file.name, size: m.size, v2: m.v2 });
        set("piece", m.v2);
      } else setPiece({ status: "error", message: m.message });
    });
  };

  const onSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setSubmitError(undefined);
    if (!result.ok || (values.input === "file" && piece.status !== "done")) {
      // Focus the first field with an error, for keyboard and screen reader users.
      requestAnimationFrame(() => (document.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus());
      return;
    }
    if (!walletClient) return setSubmitError("Connect a wallet first.");
    setSubmitting(true);
    try {
      const ttl = Math.max(3600, result.commitWindow + result.revealWindow + 600);
      const { jobId } = await submitJob(walletClient, {
        spec: result.spec,
        replicas: result.replicas,
        quorum: result.quorum,
        price: result.price,
        commitWindow: result.commitWindow,
        revealWindow: result.revealWindow,
        ttl,
        market,
      });
      navigate(href.job(jobId));
    } catch (err) {
      setSubmitError(err);
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <>
      <h1>New job</h1>
      <form className="form" data-testid="new-job-form" noValidate onSubmit={onSubmit}>
        <fieldset>
          <legend>Input data</legend>
          <div className="choice" role="radiogroup" aria-label="Input">
            {(
              [
                ["file", "A file (piece CID computed here)"],
                ["piece", "A piece CID"],
                ["none", "No input"],
              ] as const
            ).map(([value, label]) => (
              <label key={value}>
                <input type="radio" name="input" value={value} checked={values.input === value} onChange={() => set("input", value)} /> {label}
              </label>
            ))}
          </div>
          {values.input === "file" ? (
            <Field name="file" label="File" error={error("file")} hint="The providers must already store this data; only its piece CID leaves your browser.">
              {(props) => <input {...props} type="file" onChange={(e) => onFile(e.target.files?.[0])} />}
            </Field>
          ) : null}
          {values.input === "file" && piece.status === "hashing" ? (
            <div className="field">
              <label htmlFor="piece-progress">Computing the piece CID of {piece.name}…</label>
              <progress id="piece-progress" data-testid="piece-progress" max={piece.total || 1} value={piece.bytes}>
                {Math.round((100 * piece.bytes) / (piece.total || 1))} %
              </progress>
              <span className="hint">
                {formatBytes(piece.bytes)} of {formatBytes(piece.total)}
              </span>
            </div>
          ) : null}
          {values.input === "file" && piece.status === "done" ? (
            <p className="hint">
              Piece CID of {piece.name} ({formatBytes(piece.size)}): <code data-testid="piece-cid">{piece.v2}</code>
            </p>
          ) : null}
          {values.input === "piece" ? (
            <Field name="piece" label="Piece CID" error={error("piece")} hint="v2 (bafkzcib…) or v1 (baga…).">
              {(props) => <input {...props} value={values.piece} onChange={(e) => set("piece", e.target.value)} spellCheck={false} autoComplete="off" />}
            </Field>
          ) : null}
          {values.input !== "none" ? (
            <div className="grid">
              <Field name="mount" label="Mount path" error={error("mount")}>
                {(props) => <input {...props} value={values.mount} onChange={(e) => set("mount", e.target.value)} spellCheck={false} />}
              </Field>
              <div className="field">
                <label>
                  <input type="checkbox" checked={values.locality} onChange={(e) => set("locality", e.target.checked)} /> Providers must prove they store it
                </label>
              </div>
            </div>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Program</legend>
          <div className="choice" role="radiogroup" aria-label="Engine">
            <label>
              <input type="radio" name="engine" value="wasm" checked={values.engine === "wasm"} onChange={() => set("engine", "wasm")} /> WASM module
            </label>
            <label>
              <input type="radio" name="engine" value="docker" checked={values.engine === "docker"} onChange={() => set("engine", "docker")} /> Docker image
            </label>
          </div>
          {values.engine === "wasm" ? (
            <Field name="module" label="Module CID" error={error("module")} hint="The CID of the .wasm file (raw, sha2-256).">
              {(props) => <input {...props} value={values.module} onChange={(e) => set("module", e.target.value)} spellCheck={false} autoComplete="off" />}
            </Field>
          ) : (
            <Field name="image" label="Image" error={error("image")} hint="Pinned by digest: name@sha256:<64 hex>.">
              {(props) => <input {...props} value={values.image} onChange={(e) => set("image", e.target.value)} spellCheck={false} autoComplete="off" />}
            </Field>
          )}
          <Field name="args" label="Arguments" error={error("args")} hint="Separated by spaces; quotes group.">
            {(props) => <input {...props} value={values.args} onChange={(e) => set("args", e.target.value)} spellCheck={false} />}
          </Field>
          <div className="grid">
            <Field name="cpus" label="CPUs" error={error("cpus")}>
              {(props) => <input {...props} inputMode="numeric" value={values.cpus} onChange={(e) => set("cpus", e.target.value)} />}
            </Field>
            <Field name="memoryMb" label="Memory (MB)" error={error("memoryMb")}>
              {(props) => <input {...props} inputMode="numeric" value={values.memoryMb} onChange={(e) => set("memoryMb", e.target.value)} />}
            </Field>
            <Field name="timeoutSec" label="Timeout (s)" error={error("timeoutSec")}>
              {(props) => <input {...props} inputMode="numeric" value={values.timeoutSec} onChange={(e) => set("timeoutSec", e.target.value)} />}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Replication and payment</legend>
          <div className="grid">
            <Field name="replicas" label="Replicas" error={error("replicas")} hint="Providers that run it (1–16).">
              {(props) => <input {...props} inputMode="numeric" value={values.replicas} onChange={(e) => set("replicas", e.target.value)} />}
            </Field>
            <Field name="quorum" label="Quorum" error={error("quorum")} hint="Matching results that settle it.">
              {(props) => <input {...props} inputMode="numeric" value={values.quorum} onChange={(e) => set("quorum", e.target.value)} />}
            </Field>
            <Field name="price" label="Price per replica (FIL)" error={error("price")}>
              {(props) => <input {...props} inputMode="decimal" value={values.price} onChange={(e) => set("price", e.target.value)} />}
            </Field>
            <Field name="commitWindow" label="Commit window (s)" error={error("commitWindow")}>
              {(props) => <input {...props} inputMode="numeric" value={values.commitWindow} onChange={(e) => set("commitWindow", e.target.value)} />}
            </Field>
            <Field name="revealWindow" label="Reveal window (s)" error={error("revealWindow")}>
              {(props) => <input {...props} inputMode="numeric" value={values.revealWindow} onChange={(e) => set("revealWindow", e.target.value)} />}
            </Field>
          </div>
          <p className="escrow" aria-live="polite">
            Escrow:{" "}
            <strong data-testid="escrow-total">{escrow ? formatFil(escrow.total) : fee.isLoading ? "…" : "—"}</strong>
            {escrow ? (
              <span className="hint">
                {" "}
                = {values.replicas.trim()} × {formatFil(price!)} + fee {formatFil(escrow.fee)} ({(fee.data! / 100).toFixed(2)} %)
              </span>
            ) : null}
          </p>
          {fee.error ? <ErrorLine error={fee.error} onRetry={() => void fee.refetch()} /> : null}
          {errors.form ? <p className="field-error" data-testid="field-form-error">{errors.form}</p> : null}
        </fieldset>

        <div className="row">
          <button type="submit" data-testid="submit-job" disabled={submitting || (!isConnected && touched)}>
            {submitting ? "Submitting…" : "Submit job"}
          </button>
          {!isConnected ? <span className="hint">Connect a wallet to submit.</span> : null}
        </div>
        {submitError !== undefined ? <ErrorLine error={submitError} /> : null}
      </form>
    </>
  );
}
