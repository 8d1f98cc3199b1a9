/** One judge run, followed live: progress, counts, tokens, and why items failed. Judge output
 * and reasons are untrusted text (docs/judges.md, "Safety"): rendered as text only. */
import { useState } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Progress } from "@/features/projects/projects-page";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import { cancelRun, getFailures, getRun, runFinished, type JudgeResult } from "./api";
import { StatusBadge } from "./judges-page";
import { usePoll } from "./use-poll";
import "./judges.css";

const POLL_MS = 1000;

export function FailureTable({ projectId, failures }: { projectId: number; failures: JudgeResult[] }) {
  return (
    <table className="table" data-testid="run-failures">
      <thead>
        <tr>
          <th>Item</th>
          <th>Reason</th>
          <th>Unplaced quotes</th>
          <th>Raw output</th>
        </tr>
      </thead>
      <tbody>
        {failures.map((f) => (
          <tr key={f.id}>
            <td>
              <Link to={`/projects/${projectId}/review/${f.item}`} className="plain">
                {f.item_external_id || `item ${f.item}`}
              </Link>
            </td>
            <td className="plain" data-testid="failure-reason">
              {f.reason}
            </td>
            <td>
              {f.unplaced.length === 0
                ? "—"
                : f.unplaced.map((u, i) => (
                    <div key={i} className="plain small">
                      response {u.response}: “{u.quote}” <span className="muted">({u.reason})</span>
                    </div>
                  ))}
            </td>
            <td>
              {f.outputs.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                <details>
                  <summary>{f.outputs.length === 1 ? "1 output" : `${f.outputs.length} outputs`}</summary>
                  {f.outputs.map((o, i) => (
                    <pre key={i} className="plain small jr-output">
                      {o}
                    </pre>
                  ))}
                </details>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function JudgeRunPage({ projectId, judgeId, runId }: { projectId: number; judgeId: number; runId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const run = useAsync(() => getRun(projectId, judgeId, runId), [projectId, judgeId, runId]);
  const status = run.data?.status;
  const failedCount = run.data?.failed_count ?? 0;
  const failures = useAsync(async () => (failedCount ? getFailures(projectId, judgeId, runId) : []), [projectId, judgeId, runId, failedCount]);
  const [error, setError] = useState("");
  const { reload } = run;
  usePoll(!!status && !runFinished(status), reload, POLL_MS);
  if (setup.error || run.error) return <main className="page"><p className="error">{(setup.error ?? run.error)!.message}</p></main>;
  if (!setup.data || !run.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const r = run.data;
  const isAdmin = setup.data.project.role === "admin";
  const cancel = async () => {
    setError("");
    try {
      await cancelRun(projectId, judgeId, runId);
      reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : "—");
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="judge-run">
        <p>
          <Link to={`/projects/${projectId}/judges/${judgeId}`} className="plain">
            ← {r.judge_name}
          </Link>
        </p>
        <h1>
          Judge run {r.id} <StatusBadge status={r.status} />
        </h1>
        <p className="muted">
          {r.task} · prompt <span className="plain">{r.prompt_version || "—"}</span> · started by <span className="plain">{r.created_by || "—"}</span>
          {r.cancel_requested && !runFinished(r.status) ? " · stopping after the items in flight" : ""}
        </p>
        <Progress done={r.processed} total={r.total} label="Judge run progress" />
        <div className="jr-panels">
          <dl className="counts card" data-testid="run-counts">
            <dt>items</dt>
            <dd>
              {r.processed} / {r.total}
            </dd>
            <dt>succeeded</dt>
            <dd>{r.succeeded_count}</dd>
            <dt>failed</dt>
            <dd className={r.failed_count ? "error" : ""}>{r.failed_count}</dd>
            <dt>unplaced quotes</dt>
            <dd>{r.unplaced_quotes}</dd>
          </dl>
          <dl className="counts card">
            <dt>requests</dt>
            <dd>{r.requests}</dd>
            <dt>prompt tokens</dt>
            <dd>{r.prompt_tokens}</dd>
            <dt>completion tokens</dt>
            <dd>{r.completion_tokens}</dd>
            <dt>attempts</dt>
            <dd>{r.attempts}</dd>
          </dl>
          <dl className="counts card">
            <dt>created</dt>
            <dd>{time(r.created_at)}</dd>
            <dt>started</dt>
            <dd>{time(r.started_at)}</dd>
            <dt>finished</dt>
            <dd>{time(r.finished_at)}</dd>
            <dt>heartbeat</dt>
            <dd>{time(r.heartbeat_at)}</dd>
          </dl>
        </div>
        {isAdmin && !runFinished(r.status) && (
          <div className="actions">
            <button type="button" onClick={() => void cancel()} disabled={r.cancel_requested}>
              Cancel run
            </button>
          </div>
        )}
        {error && <p className="error">{error}</p>}
        {r.error && (
          <pre className="error plain" data-testid="run-error">
            {r.error}
          </pre>
        )}
        {r.status === "succeeded" && (
          <p role="status" className="muted">
            Finished: its annotations are suggestions in the annotate view.{" "}
            <Link to={`/projects/${projectId}/judges/${judgeId}/calibration`}>Compare it with the humans</Link>.
          </p>
        )}
        <h2>Failed items</h2>
        {r.failed_count === 0 ? (
          <p className="muted">{runFinished(r.status) ? "No item failed." : "None so far."}</p>
        ) : (
          <>
            {failures.error && <p className="error">{failures.error.message}</p>}
            {failures.data && failures.data.length < r.failed_count && (
              <p className="muted small">
                Showing {failures.data.length} of {r.failed_count}.
              </p>
            )}
            <FailureTable projectId={projectId} failures={failures.data ?? []} />
          </>
        )}
      </main>
    </>
  );
}
