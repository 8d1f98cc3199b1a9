/** Reward models of a project: the list, and a form to register one (project admins). */
import { useState, type FormEvent } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import { createRewardModel, getRewardModels } from "./api";

const KINDS = [
  ["span", "Span: error categories per segment (Fine-Grained RLHF)"],
  ["step", "Step: a label at each step end (PRM)"],
  ["rubric", "Rubric: a score per criterion"],
  ["preference", "Preference: Bradley–Terry"],
] as const;

export function TrainingPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const models = useAsync(() => getRewardModels(projectId), [projectId]);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<(typeof KINDS)[number][0]>("span");
  const [mode, setMode] = useState<"fast" | "full">("fast");
  const [every, setEvery] = useState("");
  const [error, setError] = useState("");
  if (setup.error) return <main className="page"><p className="error">{setup.error.message}</p></main>;
  if (!setup.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const { project } = setup.data;
  const isAdmin = project.role === "admin";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    try {
      await createRewardModel(projectId, {
        name,
        kind,
        mode,
        backbone: "minilm",
        suggestions_enabled: true,
        refresh_every_annotations: every ? Number(every) : null,
      });
      setName("");
      models.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <>
      <ProjectNav project={project} />
      <main className="page" data-testid="training">
        <h1>Reward models</h1>
        <p className="muted">
          Models trained on this project's labels (a snapshot per run), refreshed as labels arrive. The active version of a span or step
          model suggests labels in the annotate view.
        </p>
        {models.error && <p className="error">{models.error.message}</p>}
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Mode</th>
              <th>Refresh</th>
              <th>Active version</th>
              <th>Held-out score</th>
            </tr>
          </thead>
          <tbody>
            {(models.data ?? []).map((m) => (
              <tr key={m.id}>
                <td>
                  <Link to={`/projects/${projectId}/training/${m.id}`} className="plain">
                    {m.name}
                  </Link>
                </td>
                <td>{m.kind}</td>
                <td>{m.mode}</td>
                <td>
                  {m.refresh_every_annotations ? `every ${m.refresh_every_annotations} annotations` : ""}
                  {m.refresh_every_annotations && m.refresh_interval_minutes ? "; " : ""}
                  {m.refresh_interval_minutes ? `every ${m.refresh_interval_minutes} min` : ""}
                  {!m.refresh_every_annotations && !m.refresh_interval_minutes ? "manual" : ""}
                </td>
                <td>{m.active_version ? `v${m.active_version.number}` : "—"}</td>
                <td>
                  {m.active_version?.score != null ? `${m.active_version.score.toFixed(3)} (${m.active_version.primary_metric})` : "—"}
                </td>
              </tr>
            ))}
            {models.data?.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No reward models yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {isAdmin && (
          <form className="inline-form" onSubmit={submit} aria-label="New reward model">
            <label>
              Name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
            </label>
            <label>
              Kind{" "}
              <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
                {KINDS.map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Mode{" "}
              <select value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
                <option value="fast">Fast refresh (frozen backbone; seconds on a CPU)</option>
                <option value="full">Full fine-tuning (GPU workers)</option>
              </select>
            </label>
            <label>
              Refresh every <input type="number" min={1} value={every} onChange={(e) => setEvery(e.target.value)} style={{ width: "5rem" }} /> new
              annotations
            </label>
            <button type="submit">Create</button>
            {error && <span className="error">{error}</span>}
          </form>
        )}
      </main>
    </>
  );
}
