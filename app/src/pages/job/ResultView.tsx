// The job's result: downloaded from a winner's gateway and verified block by block in the page
// (the SDK's getResultFiles), then each file shown inline when it is text, JSON or CSV, or offered
// as a download.
import { getResultFiles, type ResultFile } from "@shoal/sdk";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import type { PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { ErrorLine, Loading } from "../../components/States";
import { useShoal } from "../../lib/config";
import { formatBytes } from "../../lib/format";
import { inlineKind, parseCsv } from "../../lib/timeline";

export function ResultView({ jobId, resultCid }: { jobId: bigint; resultCid: string }) {
  const { chainId, market, registry } = useShoal();
  const client = usePublicClient({ chainId }) as PublicClient | undefined;
  const [progress, setProgress] = useState<{ bytes: number; total: number | undefined }>({ bytes: 0, total: undefined });
  const result = useQuery({
    queryKey: ["shoal", "result", chainId, market, jobId.toString(), resultCid],
    queryFn: ({ signal }) => getResultFiles(client!, { jobId, market, registry, signal, onProgress: setProgress }),
    enabled: client !== undefined,
    staleTime: Infinity, // a result never changes
    retry: 1,
  });

  return (
    <section aria-labelledby="result-heading">
      <h2 id="result-heading">Result</h2>
      <p>
        Result CID: <code data-testid="result-cid">{resultCid}</code>
      </p>
      {result.isPending ? (
        <Loading label={`Downloading and verifying… ${formatBytes(progress.bytes)}${progress.total ? ` of ${formatBytes(progress.total)}` : ""}`} />
      ) : result.error ? (
        <ErrorLine error={result.error} onRetry={() => void result.refetch()} />
      ) : (
        <>
          <p className="badge ok" data-testid="result-verified">
            ✓ Verified: every block of {formatBytes(result.data.carSize)} matched its CID (from {result.data.gateway})
          </p>
          {result.data.files.length === 0 ? <p className="state empty">The result is an empty directory.</p> : null}
          {result.data.files.map((file) => (
            <ResultFileView key={file.path} file={file} />
          ))}
        </>
      )}
    </section>
  );
}

function ResultFileView({ file }: { file: ResultFile }) {
  const kind = inlineKind(file.path, file.bytes);
  const url = useMemo(() => URL.createObjectURL(new Blob([file.bytes as BlobPart])), [file]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  const name = file.path.split("/").pop() ?? "result";
  const text = kind ? new TextDecoder().decode(file.bytes) : "";
  return (
    <div className="card">
      <div className="row">
        <strong>
          <code>{file.path}</code>
        </strong>
        <span className="hint">{formatBytes(file.bytes.length)}</span>
        {kind ? (
          <a className="button secondary" href={url} download={name}>
            Save
          </a>
        ) : (
          <a className="button" href={url} download={name} data-testid="result-download">
            Download {name}
          </a>
        )}
      </div>
      {kind === "csv" ? <CsvTable text={text} /> : null}
      {kind === "json" || kind === "text" ? (
        <pre className="result" data-testid="result-inline" tabIndex={0}>
          {kind === "json" ? prettyJson(text) : text}
        </pre>
      ) : null}
    </div>
  );
}

function CsvTable({ text }: { text: string }) {
  const [head, ...rows] = parseCsv(text);
  return (
    <div className="table-wrap" data-testid="result-inline" tabIndex={0}>
      <table>
        <thead>
          <tr>{head?.map((cell, i) => <th key={i}>{cell}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
