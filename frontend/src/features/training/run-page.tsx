/** One training run, followed live: progress, heartbeat, loss and held-out curves, log. */
import { useEffect } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Progress } from "@/features/projects/projects-page";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import { getRun, isFinished, type Evaluation, type HistoryPoint, type TrainingRun } from "./api";
import { LineChart } from "./charts";

const POLL_MS = 1000;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/** Numeric per-category metrics of an evaluation (e.g. relevance.f1), for the curves. */
function categoryF1(evaluations: Evaluation[]): { label: string; points: { x: number; y: number }[] }[] {
  const names = new Set<string>();
  for (const e of evaluations)
    for (const [k, v] of Object.entries(e)) if (v && typeof v === "object" && "f1" in (v as object)) names.add(k);
  return [...names].map((name) => ({
    label: `${name} error F1`,
    points: evaluations.map((e) => ({ x: e.epoch, y: Number((e[name] as { f1?: number } | undefined)?.f1 ?? NaN) })),
  }));
}

export function RunCharts({ run }: { run: TrainingRun }) {
  const history = (run.history ?? []) as HistoryPoint[];
  const evaluations = (run.evaluations ?? []) as Evaluation[];
  const metricName = evaluations.at(-1)?.primary_name || "held-out metric";
  const perCategory = categoryF1(evaluations);
  return (
    <div className="cards">
      <LineChart
        title="Training loss"
        xLabel="step"
        series={[{ label: "loss", color: COLORS[0]!, points: history.map((h) => ({ x: h.step, y: h.loss })) }]}
      />
      <LineChart
        title={`Held-out ${metricName}`}
        xLabel="epoch"
        series={[
          { label: metricName, color: COLORS[1]!, points: evaluations.map((e) => ({ x: e.epoch, y: Number(e.primary ?? NaN) })) },
          ...perCategory.map((s, i) => ({ ...s, color: COLORS[(i + 2) % COLORS.length]! })),
        ]}
      />
    </div>
  );
}

type Selection = {
  training_items?: number;
  validation_items?: number;
  epoch?: string;
  threshold?: string;
  fallback?: string;
  best_epoch?: number;
};

/** How the run chose its epoch and thresholds (``metrics.selection``), in one sentence. */
export function selectionText(metrics: unknown): string | null {
  const m = (metrics ?? {}) as { selection?: Selection; thresholds?: Record<string, number> };
  const sel = m.selection;
  if (!sel || !sel.epoch) return null;
  if (sel.fallback) return `No validation part (${sel.fallback}): every training item trained, the last epoch was kept${sel.threshold === "none" ? "" : " at the fixed threshold"}.`;
  const epoch = sel.epoch === "best" ? `epoch ${sel.best_epoch ?? "?"} (lowest validation loss)` : "the last epoch";
  const thresholds = Object.entries(m.thresholds ?? {})
    .map(([name, t]) => `${name} ${t.toFixed(2)}`)
    .join(", ");
  const threshold = sel.threshold === "tuned" && thresholds ? `; thresholds chosen on validation: ${thresholds}` : "";
  return `${sel.validation_items} of ${sel.training_items} training items validated (they did not train): kept ${epoch}${threshold}. Held-out metrics come from items neither training nor this choice saw.`;
}

export function RunPage({ projectId, runId }: { projectId: number; runId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const run = useAsync(() => getRun(projectId, runId), [projectId, runId]);
  const { reload } = run;
  const status = run.data?.status;
  useEffect(() => {
    if (!status || isFinished(status)) return;
    const timer = window.setInterval(reload, POLL_MS);
    return () => window.clearInterval(timer);
  }, [status, reload]);
  if (setup.error || run.error) return <main className="page"><p className="error">{(setup.error ?? run.error)!.message}</p></main>;
  if (!setup.data || !run.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const r = run.data;
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="training-run">
        <p>
          <Link to={`/projects/${projectId}/training/${r.reward_model}`}>← reward model</Link>
        </p>
        <h1>
          Training run {r.id} <span className="badge">{r.status}</span>
        </h1>
        <Progress done={r.step} total={r.total_steps || 1} label="Training progress" />
        <dl className="counts">
          <dt>phase</dt>
          <dd>{r.phase || "—"}</dd>
          <dt>epoch</dt>
          <dd>{r.epoch.toFixed(2)}</dd>
          <dt>trigger</dt>
          <dd>{r.trigger}</dd>
          <dt>snapshot</dt>
          <dd>{r.snapshot}</dd>
          <dt>attempts</dt>
          <dd>
            {r.attempts} / {r.max_attempts}
            {r.resumed_from_step ? ` (resumed from step ${r.resumed_from_step})` : ""}
          </dd>
          <dt>heartbeat</dt>
          <dd>{r.heartbeat_at ? new Date(r.heartbeat_at).toLocaleTimeString() : "—"}</dd>
          <dt>worker</dt>
          <dd className="plain">{r.worker || "—"}</dd>
          <dt>version</dt>
          <dd>{r.version ? `v${r.version}` : "—"}</dd>
        </dl>
        {r.error && <pre className="error plain">{r.error.split("\n")[0]}</pre>}
        {selectionText(r.metrics) && (
          <p className="muted" data-testid="run-selection">
            {selectionText(r.metrics)}
          </p>
        )}
        <RunCharts run={r} />
        <h2>Log</h2>
        <pre className="plain small" data-testid="run-log">
          {r.log_tail || "—"}
        </pre>
      </main>
    </>
  );
}
