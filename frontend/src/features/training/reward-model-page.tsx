/** One reward model: refresh policy, runs, versions (compare, activate, roll back), a score
 * box and the triage list of items where the model and people disagree most. */
import { useEffect, useState } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Progress } from "@/features/projects/projects-page";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import {
  activateVersion,
  compareVersions,
  getRewardModel,
  getRuns,
  getScoreJob,
  getTriage,
  getVersions,
  isFinished,
  requestScore,
  rollback,
  startRun,
  updateRewardModel,
  type ScoreJob,
  type Version,
} from "./api";

const POLL_MS = 1500;

function fmt(value: number | null | undefined): string {
  return value == null ? "—" : value.toFixed(3);
}

function Versions(props: { projectId: number; modelId: number; versions: Version[]; isAdmin: boolean; onChange: () => void }) {
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState("");
  const compared = useAsync(
    async () => (picked.length === 2 ? compareVersions(props.projectId, props.modelId, picked[0]!, picked[1]!) : null),
    [picked.join(","), props.projectId, props.modelId],
  );
  const act = async (call: () => Promise<unknown>) => {
    setError("");
    try {
      await call();
      props.onChange();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <section>
      <h2>Versions</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Compare</th>
            <th>Version</th>
            <th>Run</th>
            <th>Held-out score</th>
            <th>Active version then, same items</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.versions.map((v) => (
            <tr key={v.id}>
              <td>
                <input type="checkbox" aria-label={`compare v${v.number}`} checked={picked.includes(v.id)} onChange={() => toggle(v.id)} />
              </td>
              <td>v{v.number}</td>
              <td>
                <Link to={`/projects/${props.projectId}/training/runs/${v.run}`}>run {v.run}</Link>
              </td>
              <td>
                {fmt(v.score)} <span className="muted small">{v.primary_metric}</span>
              </td>
              <td>{v.baseline_number ? `v${v.baseline_number}: ${fmt(v.baseline_score)}` : "—"}</td>
              <td>
                {v.is_active ? <span className="badge">active</span> : ""} <span className="muted small">{v.activation_reason}</span>
              </td>
              <td>
                {props.isAdmin && !v.is_active && (
                  <button type="button" onClick={() => act(() => activateVersion(props.projectId, props.modelId, v.id))}>
                    Activate
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.isAdmin && props.versions.length > 1 && (
        <div className="actions">
          <button type="button" onClick={() => act(() => rollback(props.projectId, props.modelId))}>
            Roll back to the previous active version
          </button>
        </div>
      )}
      {error && <p className="error">{error}</p>}
      {compared.data && (
        <table className="table" aria-label="Version comparison">
          <thead>
            <tr>
              <th>Metric</th>
              <th>v{compared.data.a.number}</th>
              <th>v{compared.data.b.number}</th>
              <th>Δ</th>
            </tr>
          </thead>
          <tbody>
            {(compared.data.metrics as { name: string; a: number; b: number; delta: number }[]).map((m) => (
              <tr key={m.name}>
                <td>{m.name}</td>
                <td>{fmt(m.a)}</td>
                <td>{fmt(m.b)}</td>
                <td className={m.delta > 0 ? "" : "muted"}>{(m.delta > 0 ? "+" : "") + m.delta.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type SpanResult = {
  categories?: { name: string; segments: { start: number; end: number; text: string; error_probability: number; error_type: string | null }[] }[];
  steps?: { index: number; reward: number; predicted: number }[];
  scores?: Record<string, number>;
  reward?: number;
};

function ScoreBox({ projectId, modelId, kind }: { projectId: number; modelId: number; kind: string }) {
  const [prompt, setPrompt] = useState("");
  const [text, setText] = useState("");
  const [job, setJob] = useState<ScoreJob | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    if (!job || isFinished(job.status)) return;
    const timer = window.setTimeout(() => getScoreJob(projectId, job.id).then(setJob, (e: Error) => setError(e.message)), 500);
    return () => window.clearTimeout(timer);
  }, [job, projectId]);
  const submit = async () => {
    setError("");
    try {
      const entry = kind === "step" ? { prompt, text: "", steps: text.split("\n").filter((s) => s.trim()) } : { prompt, text };
      setJob(await requestScore(projectId, modelId, [entry]));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const result = (job?.results as SpanResult[] | undefined)?.[0];
  return (
    <section>
      <h2>Score a text</h2>
      <div className="inline-form">
        <input aria-label="Prompt" placeholder="Prompt (optional)" value={prompt} onChange={(e) => setPrompt(e.target.value)} style={{ flex: 1 }} />
      </div>
      <textarea
        aria-label={kind === "step" ? "Steps, one per line" : "Response text"}
        rows={4}
        style={{ width: "100%" }}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="actions">
        <button type="button" onClick={submit} disabled={!text.trim()}>
          Score
        </button>
        {job && <span className="muted">score job {job.id}: {job.status}</span>}
        {error && <span className="error">{error}</span>}
      </div>
      {job?.error && <p className="error">{job.error}</p>}
      {result?.categories?.map((c) => (
        <div key={c.name}>
          <h3>{c.name}</h3>
          <ul className="span-list">
            {c.segments.map((s) => (
              <li key={s.start}>
                <span className={s.error_probability > 0.5 ? "error" : ""}>{s.error_probability.toFixed(2)}</span>{" "}
                <span className="plain">{s.text}</span> {s.error_probability > 0.5 && <span className="badge">{s.error_type}</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
      {result?.steps && (
        <ol>
          {result.steps.map((s) => (
            <li key={s.index}>
              reward {s.reward.toFixed(2)} (predicted {s.predicted})
            </li>
          ))}
        </ol>
      )}
      {result?.scores && <pre className="plain">{JSON.stringify(result.scores, null, 2)}</pre>}
      {result?.reward != null && <p>reward {result.reward.toFixed(3)}</p>}
    </section>
  );
}

export function RewardModelPage({ projectId, modelId }: { projectId: number; modelId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const model = useAsync(() => getRewardModel(projectId, modelId), [projectId, modelId]);
  const runs = useAsync(() => getRuns(projectId, modelId), [projectId, modelId]);
  const versions = useAsync(() => getVersions(projectId, modelId), [projectId, modelId]);
  const triage = useAsync(() => getTriage(projectId, modelId), [projectId, modelId]);
  const [error, setError] = useState("");
  const [every, setEvery] = useState<string | null>(null);
  const [interval, setIntervalMinutes] = useState<string | null>(null);
  const busy = (runs.data ?? []).some((r) => !isFinished(r.status));
  const { reload: reloadRuns } = runs;
  const { reload: reloadVersions } = versions;
  const { reload: reloadModel } = model;
  useEffect(() => {
    if (!busy) return;
    const timer = window.setInterval(() => {
      reloadRuns();
      reloadVersions();
      reloadModel();
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [busy, reloadRuns, reloadVersions, reloadModel]);
  if (setup.error || model.error) return <main className="page"><p className="error">{(setup.error ?? model.error)!.message}</p></main>;
  if (!setup.data || !model.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const m = model.data;
  const isAdmin = setup.data.project.role === "admin";
  const run = async () => {
    setError("");
    try {
      await startRun(projectId, modelId);
      runs.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const savePolicy = async () => {
    setError("");
    try {
      await updateRewardModel(projectId, modelId, {
        refresh_every_annotations: (every ?? String(m.refresh_every_annotations ?? "")) ? Number(every ?? m.refresh_every_annotations) : null,
        refresh_interval_minutes: (interval ?? String(m.refresh_interval_minutes ?? "")) ? Number(interval ?? m.refresh_interval_minutes) : null,
      });
      model.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="reward-model">
        <p>
          <Link to={`/projects/${projectId}/training`}>← reward models</Link>
        </p>
        <h1 className="plain">{m.name}</h1>
        <p className="muted">
          {m.kind} · {m.mode === "fast" ? "fast refresh" : "full fine-tuning"} · backbone <span className="plain">{m.backbone}</span>
          {m.active_version ? ` · active v${m.active_version.number}` : " · no active version"}
        </p>
        <section className="inline-form" aria-label="Refresh policy">
          <label>
            Refresh every{" "}
            <input
              type="number"
              min={1}
              style={{ width: "5rem" }}
              disabled={!isAdmin}
              value={every ?? String(m.refresh_every_annotations ?? "")}
              onChange={(e) => setEvery(e.target.value)}
            />{" "}
            new annotations
          </label>
          <label>
            and/or every{" "}
            <input
              type="number"
              min={1}
              style={{ width: "5rem" }}
              disabled={!isAdmin}
              value={interval ?? String(m.refresh_interval_minutes ?? "")}
              onChange={(e) => setIntervalMinutes(e.target.value)}
            />{" "}
            minutes (when labels changed)
          </label>
          {isAdmin && (
            <button type="button" onClick={savePolicy}>
              Save policy
            </button>
          )}
          {isAdmin && (
            <button type="button" onClick={run} disabled={busy}>
              Train now
            </button>
          )}
          {error && <span className="error">{error}</span>}
        </section>
        <section>
          <h2>Runs</h2>
          <table className="table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Trigger</th>
                <th>Held-out</th>
                <th>Version</th>
              </tr>
            </thead>
            <tbody>
              {(runs.data ?? [])
                .slice()
                .reverse()
                .map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link to={`/projects/${projectId}/training/runs/${r.id}`}>run {r.id}</Link>
                    </td>
                    <td>{r.status}</td>
                    <td>
                      <Progress done={r.step} total={r.total_steps || 1} label={`Run ${r.id} progress`} />
                    </td>
                    <td>{r.trigger}</td>
                    <td>{fmt((r.metrics as { primary?: number } | undefined)?.primary)}</td>
                    <td>{r.version ? `v${r.version}` : "—"}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
        <Versions projectId={projectId} modelId={modelId} versions={versions.data ?? []} isAdmin={isAdmin} onChange={() => { versions.reload(); model.reload(); }} />
        {m.active_version && <ScoreBox projectId={projectId} modelId={modelId} kind={m.kind} />}
        <section>
          <h2>Triage: where the model and people disagree most</h2>
          {!triage.data?.length && <p className="muted">Nothing yet: the active span or step version fills this after it scores the project.</p>}
          {!!triage.data?.length && (
            <table className="table">
              <thead>
                <tr>
                  <th>Item</th>
                  <th>Response</th>
                  <th>Disagreement</th>
                  <th>Segments that disagree</th>
                </tr>
              </thead>
              <tbody>
                {triage.data.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <Link to={`/projects/${projectId}/review/${t.item}`} className="plain">
                        {t.external_id}
                      </Link>
                    </td>
                    <td>{t.response_index}</td>
                    <td>{t.disagreement.toFixed(3)}</td>
                    <td>
                      {t.disagreeing_segments} / {t.segments}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </main>
    </>
  );
}
