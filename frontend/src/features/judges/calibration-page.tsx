/** A judge's agreement with the humans of its project (docs/judges.md, "Calibration"): span
 * overlap per error type, step accuracy and first-error location, rubric kappa and Spearman,
 * preference agreement, each over the items both labelled. */
import { useState, type FormEvent } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { GroupedBars } from "@/features/quality/charts";
import "@/features/quality/quality.css";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";
import type { ErrorType } from "@/types";

import { computeCalibration, getCalibration, getJudge, type CalibrationReport } from "./api";
import { fieldErrorsOf, type FieldErrors } from "./config-form";
import { splitList } from "./run-form";
import "./judges.css";

const ANY = "(any)";
export const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "—" : v.toFixed(digits));
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const RATINGS: Record<number, string> = { [-1]: "−1", 0: "0", 1: "+1" };

function Metric({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <div className="card q-metric">
      <div className="q-metric-label">{label}</div>
      <div className="q-metric-value">{value}</div>
      <div className="muted small">{hint}</div>
    </div>
  );
}

/** Error-type key -> its display name ("(any)" reads "all types"). */
export function typeName(types: ErrorType[], key: string): string {
  if (key === ANY) return "all types";
  return types.find((t) => t.key === key)?.name ?? key;
}

function Spans({ report, types }: { report: CalibrationReport; types: ErrorType[] }) {
  const rows = report.spans.by_error_type;
  return (
    <section className="q-section" data-testid="calibration-spans">
      <h2>Spans by error type</h2>
      {rows.length === 0 ? (
        <p className="muted">
          No responses compared. Spans are compared on responses the judge ran the spans task on that a person also labelled (at least one span
          there); to count “no span” as “no error”, compute with the responses people label listed below.
        </p>
      ) : (
        <>
          <p className="muted small">
            Character overlap, the judge's spans against each person's, over {plural(report.spans.responses_compared, "response pair")}.
          </p>
          <GroupedBars
            title="Judge against humans: span precision, recall and F1 by error type"
            testId="chart-calibration-spans"
            measures={["precision", "recall", "F1"]}
            rows={rows.map((r) => ({
              label: typeName(types, r.error_type),
              color: r.error_type === ANY ? "#1d2330" : types.find((t) => t.key === r.error_type)?.color,
              values: [r.precision, r.recall, r.f1],
            }))}
          />
          <table className="table q-table" aria-label="Span agreement by error type">
            <thead>
              <tr>
                <th>Error type</th>
                <th>Precision</th>
                <th>Recall</th>
                <th>F1</th>
                <th>Judge characters</th>
                <th>Human characters</th>
                <th>Overlap</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.error_type} className={r.error_type === ANY ? "jr-total" : ""}>
                  <td className="plain">{typeName(types, r.error_type)}</td>
                  <td>{fmt(r.precision)}</td>
                  <td>{fmt(r.recall)}</td>
                  <td>{fmt(r.f1)}</td>
                  <td>{r.judge_chars}</td>
                  <td>{r.human_chars}</td>
                  <td>{r.overlap_chars}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Steps({ report, types }: { report: CalibrationReport; types: ErrorType[] }) {
  const s = report.steps;
  const labels = s.confusion.labels;
  return (
    <section className="q-section" data-testid="calibration-steps">
      <h2>Steps</h2>
      {s.steps_compared === 0 ? (
        <p className="muted">No steps compared: neither has rated steps of the same response yet (the judge's steps task, a person's step ratings).</p>
      ) : (
        <>
          <p>
            Accuracy <strong>{fmt(s.accuracy)}</strong> over {s.steps_compared} steps · first error at the same step <strong>{fmt(s.first_error_agreement)}</strong> over{" "}
            {s.responses_compared} responses
          </p>
          <div className="q-two">
            <table className="table q-table" aria-label="Step ratings: humans (rows) against the judge (columns)">
              <thead>
                <tr>
                  <th>human \ judge</th>
                  {labels.map((l) => (
                    <th key={l}>{RATINGS[l] ?? l}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {s.confusion.rows_human_cols_judge.map((row, i) => (
                  <tr key={i}>
                    <th>{RATINGS[labels[i]!] ?? labels[i]}</th>
                    {row.map((n, k) => (
                      <td key={k} className={i === k ? "jr-diagonal" : ""}>
                        {n}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {s.by_error_type.length === 0 ? (
              <p className="muted">People gave no error type on their −1 steps.</p>
            ) : (
              <table className="table q-table" aria-label="Steps by error type">
                <thead>
                  <tr>
                    <th>Error type (human)</th>
                    <th>Human −1 steps</th>
                    <th>Judge also −1</th>
                    <th>Recall</th>
                  </tr>
                </thead>
                <tbody>
                  {s.by_error_type.map((r) => (
                    <tr key={r.error_type}>
                      <td className="plain">{typeName(types, r.error_type)}</td>
                      <td>{r.human_negative_steps}</td>
                      <td>{r.judge_also_negative}</td>
                      <td>{fmt(r.recall)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function RubricAndPreferences({ report }: { report: CalibrationReport }) {
  const rows = report.rubric.by_criterion;
  return (
    <section className="q-section q-two">
      <div data-testid="calibration-rubric">
        <h2>Rubric</h2>
        {rows.length === 0 ? (
          <p className="muted">No rubric scores compared: the judge's rubric task and a person's scores on the same response and criterion.</p>
        ) : (
          <table className="table q-table" aria-label="Rubric agreement by criterion">
            <thead>
              <tr>
                <th>Criterion</th>
                <th>Scores compared</th>
                <th>κ (quadratic)</th>
                <th>Spearman ρ</th>
                <th>Mean |difference|</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.criterion}>
                  <td className="plain">{r.criterion}</td>
                  <td>{r.n}</td>
                  <td>{fmt(r.kappa_quadratic)}</td>
                  <td>{fmt(r.spearman)}</td>
                  <td>{fmt(r.mean_abs_difference)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div data-testid="calibration-preferences">
        <h2>Preferences</h2>
        {report.preferences.n === 0 ? (
          <p className="muted">No preferences compared: the judge's pairwise task and a person's preference on the same two responses.</p>
        ) : (
          <p>
            Same direction (A, B or tie) on <strong>{fmt(report.preferences.sign_agreement)}</strong> of {report.preferences.n} pairs.
          </p>
        )}
      </div>
    </section>
  );
}

export function CalibrationPage({ projectId, judgeId }: { projectId: number; judgeId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const judge = useAsync(() => getJudge(projectId, judgeId), [projectId, judgeId]);
  const calibration = useAsync(() => getCalibration(projectId, judgeId), [projectId, judgeId]);
  const [spanResponses, setSpanResponses] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({ detail: "", fields: {} });
  const [busy, setBusy] = useState(false);
  const failed = setup.error ?? judge.error ?? calibration.error;
  if (failed) return <main className="page"><p className="error">{failed.message}</p></main>;
  if (!setup.data || !judge.data || calibration.data === undefined) return <main className="page"><p className="muted">Loading…</p></main>;
  const { project, errorTypes } = setup.data;
  const canCompute = ["admin", "reviewer", "researcher"].includes(project.role ?? "");
  const c = calibration.data;
  const report = c?.report;
  const compute = async (e: FormEvent) => {
    e.preventDefault();
    const indices = splitList(spanResponses).map(Number);
    if (indices.some((n) => !Number.isInteger(n) || n < 0)) {
      setErrors({ detail: "", fields: { span_responses: "Response indices: whole numbers from 0, comma-separated." } });
      return;
    }
    setBusy(true);
    setErrors({ detail: "", fields: {} });
    try {
      await computeCalibration(projectId, judgeId, indices.length ? indices : null);
      calibration.reload();
    } catch (err) {
      setErrors(fieldErrorsOf(err));
    } finally {
      setBusy(false);
    }
  };
  const any = report?.spans.by_error_type.find((r) => r.error_type === ANY);
  return (
    <>
      <ProjectNav project={project} />
      <main className="page quality" data-testid="calibration">
        <p>
          <Link to={`/projects/${projectId}/judges/${judgeId}`} className="plain">
            ← {judge.data.name}
          </Link>
        </p>
        <h1>
          Calibration: <span className="plain">{judge.data.name}</span>
        </h1>
        <p className="muted">
          How the judge's labels agree with people's on the items both labelled (the judge's latest annotation of an item against every submitted or
          accepted human one).
        </p>
        {canCompute && (
          <form className="inline-form" onSubmit={compute} aria-label="Compute calibration">
            <label>
              Responses people label with spans{" "}
              <input aria-label="Responses people label with spans" placeholder="e.g. 0 (optional)" value={spanResponses} onChange={(e) => setSpanResponses(e.target.value)} />
            </label>
            <button type="submit" className="primary" disabled={busy}>
              {c ? "Recompute now" : "Compute now"}
            </button>
            {(errors.fields.span_responses || errors.detail) && (
              <span className="error plain" role="alert">
                {errors.fields.span_responses ?? errors.detail}
              </span>
            )}
          </form>
        )}
        {!c || !report ? (
          <p className="muted" data-testid="calibration-empty">
            No calibration yet.{" "}
            {canCompute ? "Compute one once the judge has run on items people have labelled." : "An admin, reviewer or researcher can compute one."}
          </p>
        ) : (
          <>
            <p className="muted small">
              Computed {new Date(report.computed_at).toLocaleString()} · the judge labelled {report.items_judged} items
            </p>
            <div className="q-metrics">
              <Metric label="Items compared" value={String(report.items_compared)} hint={`of ${report.items_judged} the judge labelled`} />
              <Metric label="Span F1" value={fmt(any?.f1)} hint={`all error types, ${plural(report.spans.responses_compared, "response pair")}`} />
              <Metric label="Step accuracy" value={fmt(report.steps.accuracy)} hint={`first error agreed ${fmt(report.steps.first_error_agreement)}`} />
              <Metric label="Preference agreement" value={fmt(report.preferences.sign_agreement)} hint={plural(report.preferences.n, "pair")} />
            </div>
            {report.items_compared === 0 && (
              <p className="banner" role="status">
                Nothing to compare yet: no item has both the judge's labels and a person's submitted or accepted annotation.
              </p>
            )}
            <Spans report={report} types={errorTypes} />
            <Steps report={report} types={errorTypes} />
            <RubricAndPreferences report={report} />
          </>
        )}
      </main>
    </>
  );
}
