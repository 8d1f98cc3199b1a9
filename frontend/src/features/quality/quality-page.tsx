/**
 * Quality dashboard: agreement over time, per error type, per annotator and annotator pair,
 * confusion between error types, throughput and time per item, gold accuracy, consistency
 * flags and the project's quality settings. Metric definitions: docs/quality.md.
 */
import { useState, type FormEvent } from "react";

import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";
import type { ErrorType } from "@/types";

import { getProjectSetup } from "../projects/api";
import { ProjectNav } from "../projects/project-nav";
import {
  getAgreement,
  getFlags,
  getGold,
  getQualitySettings,
  requestRecompute,
  setFlagStatus,
  updateQualitySettings,
  type AgreementOutput,
  type AgreementReport,
  type QualitySettings,
} from "./api";
import { GroupedBars, Heatmap, LineChart, ThroughputChart } from "./charts";
import { TrendChart, type TrendLine, type TrendMeasure } from "./trend-chart";
import "./quality.css";

const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "—" : v.toFixed(digits));
const ALL = "(all)";

const TYPE_MEASURES: TrendMeasure[] = [
  { key: "f1", label: "F1 (characters)" },
  { key: "alpha_unitizing", label: "α unitizing" },
  { key: "f1_severity", label: "F1 (severity-weighted)" },
  { key: "alpha_char", label: "α per character" },
];

const ANNOTATOR_MEASURES: TrendMeasure[] = [
  { key: "span_f1", label: "span F1 with the others" },
  { key: "span_alpha_unitizing", label: "span α (unitizing) with the others" },
  { key: "step_alpha_ordinal", label: "step α (ordinal) with the others" },
  { key: "rubric_kappa_quadratic", label: "rubric κ (quadratic) with the others" },
  { key: "preference_kappa_quadratic", label: "preference κ (quadratic) with the others" },
];

function stamp(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function QualityPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const agreement = useAsync(() => getAgreement(projectId), [projectId]);
  const [message, setMessage] = useState("");
  if (setup.error || agreement.error)
    return (
      <main className="page">
        <p className="error">{(setup.error ?? agreement.error)!.message}</p>
      </main>
    );
  if (!setup.data || !agreement.data)
    return (
      <main className="page">
        <p className="muted">Loading…</p>
      </main>
    );
  const { project, errorTypes } = setup.data;
  const role = project.role ?? "";
  const canRecompute = ["admin", "reviewer", "researcher"].includes(role);
  const canReview = ["admin", "reviewer"].includes(role);
  const a = agreement.data;
  const recompute = async () => {
    setMessage("");
    try {
      await requestRecompute(projectId);
      setMessage("Recomputation queued; this page shows the new report once the worker has run it.");
    } catch (e) {
      setMessage(`Failed: ${(e as Error).message}`);
    }
  };
  return (
    <>
      <ProjectNav project={project} />
      <main className="page quality" data-testid="quality-dashboard">
        <header className="q-header">
          <h1>Quality</h1>
          <span className="spacer" />
          {a.snapshot && (
            <span className="muted small">
              computed {stamp(a.snapshot.created_at)} over {a.snapshot.annotations} annotations
              {a.report ? ` in ${a.report.duration_ms} ms` : ""}
            </span>
          )}
          {a.stale && <span className="badge q-stale">labels changed since</span>}
          {canRecompute && (
            <button type="button" onClick={() => void recompute()}>
              Recompute now
            </button>
          )}
          <button type="button" onClick={agreement.reload}>
            Reload
          </button>
        </header>
        {message && (
          <p role="status" className="banner">
            {message}
          </p>
        )}
        {!a.report ? (
          <p className="muted">No agreement report yet. It is computed in the background a minute after labels arrive{canRecompute ? ", or now with “Recompute now”" : ""}.</p>
        ) : (
          <Report agreement={a} report={a.report} errorTypes={errorTypes} projectId={projectId} />
        )}
        <FlagsSection projectId={projectId} canReview={canReview} />
        <GoldSection projectId={projectId} />
        {role === "admin" && <SettingsSection projectId={projectId} />}
      </main>
    </>
  );
}

function Headline({ label, value, hint }: { label: string; value: number | null | undefined; hint: string }) {
  const tone = value === null || value === undefined ? "" : value >= 0.8 ? "q-good" : value >= 0.667 ? "q-ok" : "q-low";
  return (
    <div className={`card q-metric ${tone}`} title={hint}>
      <div className="q-metric-label">{label}</div>
      <div className="q-metric-value">{num(value)}</div>
      <div className="muted small">{hint}</div>
    </div>
  );
}

function Report(props: { agreement: AgreementOutput; report: AgreementReport; errorTypes: ErrorType[]; projectId: number }) {
  const { agreement, report, errorTypes } = props;
  const types = new Map(errorTypes.map((t) => [t.key, t]));
  const all = report.spans.by_error_type.find((r) => r.error_type === ALL);
  const typed = report.spans.by_error_type.filter((r) => r.error_type !== ALL);
  const history = agreement.history;
  const humans = report.annotators.map((r) => r.coder);
  const judges = [...new Set(report.pairs.filter((p) => p.kind === "human-judge").map((p) => p.b))];
  const name = (coder: string) => report.coders[coder] ?? coder;
  const pairValue = (x: string, y: string) => {
    if (x === y) return null;
    const row = report.pairs.find((p) => (p.a === x && p.b === y) || (p.a === y && p.b === x));
    return row ? row.span_f1 : null;
  };
  const gold = new Map(report.gold.map((g) => [g.coder, g.score]));
  const confusion = report.spans.confusion;
  const when = history.map((h) => stamp(h.created_at));
  const typeLines: TrendLine[] = agreement.series.by_error_type.map((r) => ({
    key: r.error_type,
    label: types.get(r.error_type)?.name ?? r.error_type,
    values: { f1: r.f1, alpha_unitizing: r.alpha_unitizing, f1_severity: r.f1_severity, alpha_char: r.alpha_char },
  }));
  const annotatorLines: TrendLine[] = agreement.series.by_annotator.map((r) => ({
    key: r.coder,
    label: r.name,
    values: {
      span_f1: r.span_f1,
      span_alpha_unitizing: r.span_alpha_unitizing,
      step_alpha_ordinal: r.step_alpha_ordinal,
      rubric_kappa_quadratic: r.rubric_kappa_quadratic,
      preference_kappa_quadratic: r.preference_kappa_quadratic,
    },
  }));
  return (
    <>
      <div className="q-metrics">
        <Headline label="Span F1" value={all?.f1} hint="character overlap, every two annotators" />
        <Headline label="Span α (unitizing)" value={all?.alpha_unitizing} hint="Krippendorff 1995, all error types" />
        <Headline label="Step α (ordinal)" value={report.steps.alpha_ordinal} hint={`first error agreed ${num(report.steps.first_error_agreement)}`} />
        <Headline label="Rubric α (interval)" value={report.rubric.alpha_interval_mean} hint="mean over criteria" />
        <Headline label="Preference κ (quadratic)" value={report.preferences.kappa_quadratic} hint={`sign agreement ${num(report.preferences.sign_agreement)}`} />
        <div className="card q-metric">
          <div className="q-metric-label">Items compared</div>
          <div className="q-metric-value">{report.items_compared}</div>
          <div className="muted small">
            <Link to={`/projects/${props.projectId}/review`}>{report.low_agreement_items} with low agreement</Link> · {report.open_flags} flagged
          </div>
        </div>
      </div>

      <section className="q-section">
        <h2>Agreement over time</h2>
        <LineChart
          title="Agreement over time"
          testId="chart-over-time"
          xLabels={when}
          series={[
            { label: "span F1", values: history.map((h) => h.span_f1 ?? null) },
            { label: "span α (unitizing)", values: history.map((h) => h.span_alpha ?? null) },
            { label: "step α", values: history.map((h) => h.step_alpha ?? null) },
            { label: "rubric α", values: history.map((h) => h.rubric_alpha ?? null) },
            { label: "preference κ", values: history.map((h) => h.preference_kappa ?? null) },
          ]}
        />
      </section>

      <section className="q-section">
        <h2>By error type (spans)</h2>
        {typed.length === 0 ? (
          <p className="muted">No spans compared yet.</p>
        ) : (
          <GroupedBars
            title="Span agreement by error type"
            testId="chart-error-types"
            measures={["F1", "F1 (severity-weighted)", "α unitizing", "α per character"]}
            min={Math.min(0, ...typed.flatMap((r) => [r.alpha_unitizing ?? 0, r.alpha_char ?? 0]))}
            rows={[...typed, ...(all ? [all] : [])].map((r) => ({
              label: r.error_type === ALL ? "all types" : (types.get(r.error_type)?.name ?? r.error_type),
              color: r.error_type === ALL ? "#1d2330" : types.get(r.error_type)?.color,
              values: [r.f1 ?? null, r.f1_severity ?? null, r.alpha_unitizing ?? null, r.alpha_char ?? null],
            }))}
          />
        )}
        <h3>Error types over time</h3>
        <TrendChart
          title="Span agreement by error type over time"
          testId="chart-error-types-over-time"
          noun="error types"
          empty="No spans compared yet."
          xLabels={when}
          lines={typeLines}
          colorOf={(key) => types.get(key)?.color}
          measures={TYPE_MEASURES}
        />
      </section>

      <section className="q-section">
        <h2>By annotator</h2>
        <GroupedBars
          title="Agreement by annotator"
          testId="chart-annotators"
          measures={["span F1 with the other annotators", "span α (unitizing) with the others", "gold accuracy"]}
          min={Math.min(0, ...report.annotators.map((r) => r.span_alpha_unitizing ?? 0))}
          rows={report.annotators.map((r) => ({
            label: r.name,
            values: [r.span_f1 ?? null, r.span_alpha_unitizing ?? null, gold.get(r.coder) ?? null],
          }))}
        />
        <h3>Annotators over time</h3>
        <TrendChart
          title="Agreement of each annotator with the others over time"
          testId="chart-annotators-over-time"
          noun="annotators"
          empty="No annotator shares items with another yet."
          xLabels={when}
          lines={annotatorLines}
          measures={ANNOTATOR_MEASURES}
        />
      </section>

      <section className="q-section q-two">
        <div>
          <h2>Annotator pairs (span F1)</h2>
          <Heatmap
            title="Span F1 of every two annotators, and of annotators with judges"
            testId="chart-pairs"
            scale="agreement"
            rows={humans.map(name)}
            cols={[...humans, ...judges].map(name)}
            values={humans.map((x) => [...humans, ...judges].map((y) => pairValue(x, y)))}
            caption="hatched: nothing shared"
          />
        </div>
        <div>
          <h2>Confusion between error types</h2>
          {confusion.labels.length <= 1 ? (
            <p className="muted">No spans compared yet.</p>
          ) : (
            <Heatmap
              title="Characters marked by one annotator (rows) against another (columns)"
              testId="chart-confusion"
              scale="count"
              rows={confusion.labels}
              cols={confusion.labels}
              values={confusion.matrix}
              caption="characters, both orders of every two annotators"
            />
          )}
        </div>
      </section>

      <section className="q-section">
        <h2>Throughput and time per item</h2>
        <div className="q-two">
          {report.throughput.by_day.length === 0 ? (
            <p className="muted">Nothing submitted yet.</p>
          ) : (
            <ThroughputChart testId="chart-throughput" days={report.throughput.by_day} />
          )}
          <table className="table q-table">
            <thead>
              <tr>
                <th>annotator</th>
                <th>submitted</th>
                <th>mean time per item</th>
              </tr>
            </thead>
            <tbody>
              {report.throughput.by_annotator.map((r) => (
                <tr key={r.coder}>
                  <td className="plain">{r.name}</td>
                  <td>{r.annotations}</td>
                  <td>{(r.mean_time_ms / 1000).toFixed(1)} s</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="q-section">
        <h2>Per kind of label</h2>
        <table className="table q-table" data-testid="kind-table">
          <thead>
            <tr>
              <th>labels</th>
              <th>units</th>
              <th>measures</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>steps (−1/0/+1)</td>
              <td>{report.steps.units}</td>
              <td>
                α ordinal {num(report.steps.alpha_ordinal)} · first error agreed {num(report.steps.first_error_agreement)} (α {num(report.steps.first_error_alpha)}) over {report.steps.responses} responses
              </td>
            </tr>
            {report.rubric.by_criterion.map((r) => (
              <tr key={r.criterion}>
                <td className="plain">rubric: {r.criterion}</td>
                <td>{r.units}</td>
                <td>
                  α interval {num(r.alpha_interval)} · α ordinal {num(r.alpha_ordinal)} · κ quadratic {num(r.kappa_quadratic)} · κ linear {num(r.kappa_linear)}
                </td>
              </tr>
            ))}
            <tr>
              <td>preferences (−3…+3)</td>
              <td>{report.preferences.units}</td>
              <td>
                κ quadratic {num(report.preferences.kappa_quadratic)} · κ linear {num(report.preferences.kappa_linear)} · sign agreement {num(report.preferences.sign_agreement)} · α interval {num(report.preferences.alpha_interval)}
              </td>
            </tr>
          </tbody>
        </table>
        <details className="q-details">
          <summary>Every pair of annotators ({report.pairs.length})</summary>
          <table className="table q-table">
            <thead>
              <tr>
                <th>pair</th>
                <th>kind</th>
                <th>items</th>
                <th>span F1</th>
                <th>span α</th>
                <th>step α</th>
                <th>first error</th>
                <th>rubric κ</th>
                <th>pref. κ</th>
                <th>pref. sign</th>
              </tr>
            </thead>
            <tbody>
              {report.pairs.map((p) => (
                <tr key={`${p.a}-${p.b}`}>
                  <td className="plain">
                    {p.a_name} · {p.b_name}
                  </td>
                  <td>{p.kind}</td>
                  <td>{p.items}</td>
                  <td>{num(p.span_f1)}</td>
                  <td>{num(p.span_alpha_unitizing)}</td>
                  <td>{num(p.step_alpha_ordinal)}</td>
                  <td>{num(p.first_error_agreement)}</td>
                  <td>{num(p.rubric_kappa_quadratic)}</td>
                  <td>{num(p.preference_kappa_quadratic)}</td>
                  <td>{num(p.preference_sign_agreement)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>
    </>
  );
}

function FlagsSection({ projectId, canReview }: { projectId: number; canReview: boolean }) {
  const flags = useAsync(() => getFlags(projectId), [projectId]);
  const dismiss = async (id: number) => {
    await setFlagStatus(projectId, id, "dismissed");
    flags.reload();
  };
  return (
    <section className="q-section" data-testid="flags">
      <h2>Consistency flags {flags.data ? `(${flags.data.length})` : ""}</h2>
      <p className="muted small">Rubric totals that contradict a critical span or the direction of a preference in the same annotation.</p>
      {flags.error && <p className="error">{flags.error.message}</p>}
      {flags.data && flags.data.length === 0 && <p className="muted">No open flags.</p>}
      {flags.data && flags.data.length > 0 && (
        <table className="table q-table">
          <thead>
            <tr>
              <th>item</th>
              <th>by</th>
              <th>check</th>
              <th>what</th>
              {canReview && <th />}
            </tr>
          </thead>
          <tbody>
            {flags.data.map((f) => (
              <tr key={f.id}>
                <td>
                  {canReview ? <Link to={`/projects/${projectId}/review/${f.item}`}>{f.external_id}</Link> : <span className="plain">{f.external_id}</span>}
                </td>
                <td className="plain">{f.author ?? "judge"}</td>
                <td>{f.kind === "rubric_vs_spans" ? "rubric vs critical span" : "rubric vs preference"}</td>
                <td className="plain">{f.message}</td>
                {canReview && (
                  <td>
                    <button type="button" onClick={() => void dismiss(f.id)}>
                      Dismiss
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function GoldSection({ projectId }: { projectId: number }) {
  const gold = useAsync(() => getGold(projectId), [projectId]);
  if (!gold.data) return gold.error ? <p className="error">{gold.error.message}</p> : null;
  const { items, accuracy } = gold.data;
  return (
    <section className="q-section" data-testid="gold">
      <h2>Gold items ({items.length})</h2>
      {items.length === 0 ? (
        <p className="muted">No gold items. An admin makes an item gold from the review page, with one human annotation as its known labels.</p>
      ) : (
        <table className="table q-table">
          <thead>
            <tr>
              <th>annotator</th>
              <th>gold items</th>
              <th>span P / R / F1</th>
              <th>steps</th>
              <th>rubric</th>
              <th>preferences</th>
              <th>score</th>
            </tr>
          </thead>
          <tbody>
            {accuracy.map((r) => (
              <tr key={r.coder}>
                <td className="plain">{r.name}</td>
                <td>{r.gold_items}</td>
                <td>
                  {num(r.span_precision)} / {num(r.span_recall)} / {num(r.span_f1)}
                </td>
                <td>{num(r.step_accuracy)}</td>
                <td>{num(r.rubric_closeness)}</td>
                <td>{num(r.preference_sign_agreement)}</td>
                <td>
                  <strong>{num(r.score)}</strong>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function SettingsSection({ projectId }: { projectId: number }) {
  const settings = useAsync(() => getQualitySettings(projectId), [projectId]);
  const [saved, setSaved] = useState("");
  if (!settings.data) return null;
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (k: keyof QualitySettings) => Number(form.get(k));
    try {
      await updateQualitySettings(projectId, {
        gold_rate: value("gold_rate"),
        low_agreement_threshold: value("low_agreement_threshold"),
        high_total_threshold: value("high_total_threshold"),
        recompute_after_s: value("recompute_after_s"),
      });
      setSaved("Saved.");
      settings.reload();
    } catch (err) {
      setSaved(`Failed: ${(err as Error).message}`);
    }
  };
  const s = settings.data;
  return (
    <section className="q-section" data-testid="quality-settings">
      <h2>Settings</h2>
      <form className="q-settings" onSubmit={(e) => void submit(e)}>
        <label>
          Gold rate <input name="gold_rate" type="number" min={0} max={1} step={0.01} defaultValue={s.gold_rate} />
          <span className="muted small">share of next-item picks that are gold items</span>
        </label>
        <label>
          Low agreement below <input name="low_agreement_threshold" type="number" min={0} max={1} step={0.01} defaultValue={s.low_agreement_threshold} />
          <span className="muted small">item score that marks an item for review first</span>
        </label>
        <label>
          High rubric total from <input name="high_total_threshold" type="number" min={0} max={1} step={0.01} defaultValue={s.high_total_threshold} />
          <span className="muted small">flag it when a critical span is present</span>
        </label>
        <label>
          Recompute at most every <input name="recompute_after_s" type="number" min={0} max={86400} step={1} defaultValue={s.recompute_after_s} /> s
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Save settings
          </button>
          {saved && <span role="status">{saved}</span>}
        </div>
      </form>
    </section>
  );
}
