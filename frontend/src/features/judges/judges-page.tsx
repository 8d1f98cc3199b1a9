/** The project's AI judges: each with its kind, model and last run; admins register new ones. */
import { useState } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Progress } from "@/features/projects/projects-page";
import { getRewardModels } from "@/features/training/api";
import { Link, useRouter } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import { createJudge, getAllowedHosts, getJudges, runFinished } from "./api";
import { JudgeForm } from "./judge-form";
import { usePoll } from "./use-poll";
import "./judges.css";

const POLL_MS = 1500;

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge jr-${status}`}>{status}</span>;
}

export function JudgesPage({ projectId }: { projectId: number }) {
  const { navigate } = useRouter();
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const judges = useAsync(() => getJudges(projectId), [projectId]);
  const isAdmin = setup.data?.project.role === "admin";
  const rewardModels = useAsync(async () => (isAdmin ? getRewardModels(projectId) : []), [projectId, isAdmin]);
  const hosts = useAsync(async () => (isAdmin ? getAllowedHosts(projectId) : null), [projectId, isAdmin]);
  const [creating, setCreating] = useState(false);
  const busy = (judges.data ?? []).some((j) => j.last_run && !runFinished(j.last_run.status));
  usePoll(busy, judges.reload, POLL_MS);
  if (setup.error) return <main className="page"><p className="error">{setup.error.message}</p></main>;
  if (!setup.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const { project, errorTypes } = setup.data;
  return (
    <>
      <ProjectNav project={project} />
      <main className="page" data-testid="judges">
        <h1>Judges</h1>
        <p className="muted">
          AI annotators: they mark spans, rate steps, score rubrics and compare responses like people do. Their annotations are suggestions in the
          annotate view, and each judge is calibrated against the humans of this project.
        </p>
        {judges.error && <p className="error">{judges.error.message}</p>}
        <table className="table" data-testid="judge-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Model</th>
              <th>Tasks</th>
              <th>Last run</th>
              <th>Progress</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(judges.data ?? []).map((j) => {
              const r = j.last_run;
              return (
                <tr key={j.id}>
                  <td>
                    <Link to={`/projects/${projectId}/judges/${j.id}`} className="plain">
                      {j.name}
                    </Link>
                  </td>
                  <td>{j.kind}</td>
                  <td className="plain">{j.model_name || "—"}</td>
                  <td>{j.tasks.length ? j.tasks.join(", ") : <span className="muted">{j.kind === "external" ? "bulk API only" : j.suggestions_of_reward_model ? "reward-model suggestions" : "not configured"}</span>}</td>
                  <td>
                    {r ? (
                      <>
                        <Link to={`/projects/${projectId}/judges/${j.id}/runs/${r.id}`}>run {r.id}</Link> <StatusBadge status={r.status} />{" "}
                        <span className="muted small">{r.task}</span>
                      </>
                    ) : (
                      <span className="muted">never run</span>
                    )}
                  </td>
                  <td>{r && <Progress done={r.processed} total={r.total} label={`Run ${r.id} progress`} />}</td>
                  <td>
                    <Link to={`/projects/${projectId}/judges/${j.id}/calibration`}>Calibration</Link>
                  </td>
                </tr>
              );
            })}
            {judges.data?.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No judges yet.{isAdmin ? " Create one below: a rules judge needs no model." : " A project admin can add one."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {isAdmin &&
          (creating ? (
            <section>
              <h2>New judge</h2>
              <JudgeForm
                errorTypes={errorTypes}
                rewardModels={rewardModels.data ?? []}
                allowedHosts={hosts.data?.hosts ?? []}
                onCancel={() => setCreating(false)}
                onSave={async (body) => {
                  const judge = await createJudge(projectId, body);
                  navigate(`/projects/${projectId}/judges/${judge.id}`);
                }}
              />
            </section>
          ) : (
            <div className="actions">
              <button type="button" className="primary" onClick={() => setCreating(true)}>
                New judge
              </button>
            </div>
          ))}
      </main>
    </>
  );
}
