/**
 * Import upload: the file goes up with XMLHttpRequest (fetch reports no upload progress); a
 * large file becomes a job (202) whose progress is polled; line errors are listed as the API
 * reports them ({line, field, message}).
 */
import { useEffect, useState } from "react";

import { api, csrfToken, unwrap, type Schemas } from "@/lib/api/client";
import { useAsync } from "@/lib/use-async";

import { getProjectSetup } from "./api";
import { ProjectNav } from "./project-nav";

type Job = Schemas["ImportJobOutput"];
type LineError = { line?: number; field?: string; message?: string };
const FORMATS = ["", "json", "jsonl", "csv", "qa-feedback"];

function upload(projectId: number, file: File, format: string, onProgress: (f: number) => void) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/projects/${projectId}/imports/`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new TypeError("network error"));
    const data = new FormData();
    data.append("file", file);
    if (format) data.append("format", format);
    xhr.send(data);
  });
}

export function ImportPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState("");
  const [sent, setSent] = useState<number | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [errors, setErrors] = useState<LineError[]>([]);
  const [detail, setDetail] = useState("");

  useEffect(() => {
    if (!job || job.status === "succeeded" || job.status === "failed") return;
    const t = window.setTimeout(async () => {
      const next = await unwrap(api.GET("/api/v1/projects/{project_id}/imports/{id}/", { params: { path: { project_id: projectId, id: job.id } } })).catch(() => job);
      setJob({ ...next });
      if (next.errors?.length) setErrors(next.errors as LineError[]);
    }, 1000);
    return () => window.clearTimeout(t);
  }, [job, projectId]);

  if (!setup.data) return <main className="page"><p className="muted">{setup.error?.message ?? "Loading…"}</p></main>;
  const start = async () => {
    if (!file) return;
    setSent(0);
    setJob(null);
    setErrors([]);
    setDetail("");
    try {
      const { status, body } = await upload(projectId, file, format, setSent);
      if (status === 201 || status === 202) {
        setJob(body as Job);
        setErrors(((body as Job).errors ?? []) as LineError[]);
      } else {
        const b = (body ?? {}) as { detail?: string; errors?: LineError[] };
        setDetail(b.detail ?? `HTTP ${status}`);
        setErrors(b.errors ?? []);
      }
    } catch {
      setDetail("Upload failed: the server could not be reached.");
    }
  };
  const processed = job ? (job.total ? job.processed / job.total : job.status === "succeeded" ? 1 : 0) : 0;
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page narrow" data-testid="import">
        <h1>Import items</h1>
        <p className="muted">JSON, JSON lines, CSV or QA-FEEDBACK. Re-importing the same external ids updates them; a file with errors imports nothing.</p>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <input type="file" aria-label="File to import" accept=".json,.jsonl,.ndjson,.csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map((f) => (
              <option key={f} value={f}>
                {f || "format from the file name"}
              </option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={!file}>
            Upload
          </button>
        </form>
        {sent !== null && (
          <div className="import-progress">
            <label>
              Upload <progress max={1} value={sent} aria-label="Upload progress" /> {Math.round(sent * 100)}%
            </label>
            {job && (
              <label>
                Import <progress max={1} value={processed} aria-label="Import progress" /> {job.processed} / {job.total} · {job.status}
              </label>
            )}
          </div>
        )}
        {job && job.status === "succeeded" && (
          <p role="status" className="banner" data-testid="import-result">
            Imported: {job.created_count} new, {job.updated_count} updated, {job.unchanged_count} unchanged, {job.annotations_count} annotations.
          </p>
        )}
        {detail && <p className="error plain" role="alert">{detail}</p>}
        {errors.length > 0 && (
          <table className="table" data-testid="import-errors">
            <thead>
              <tr>
                <th>Line</th>
                <th>Field</th>
                <th>Problem</th>
              </tr>
            </thead>
            <tbody>
              {errors.slice(0, 500).map((e, i) => (
                <tr key={i}>
                  <td>{e.line ?? ""}</td>
                  <td className="plain">{e.field ?? ""}</td>
                  <td className="plain">{e.message ?? JSON.stringify(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </>
  );
}
