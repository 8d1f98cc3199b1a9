/** Project dashboard: progress, items and annotations by status and annotator, error types. */
import { api, unwrap } from "@/lib/api/client";
import { useAsync } from "@/lib/use-async";
import type { ErrorType } from "@/types";

import { getProjectSetup } from "./api";
import { ProjectNav } from "./project-nav";
import { Progress } from "./projects-page";

export function BarChart(props: { rows: { label: string; color: string; human: number; machine: number }[] }) {
  const max = Math.max(1, ...props.rows.map((r) => r.human + r.machine));
  const rowH = 26;
  const labelW = 170;
  const width = 640;
  const plotW = width - labelW - 60;
  return (
    <svg className="chart" role="img" aria-label="Error-type distribution" viewBox={`0 0 ${width} ${props.rows.length * rowH + 24}`} width="100%">
      {props.rows.map((r, i) => {
        const y = i * rowH + 4;
        const hw = (plotW * r.human) / max;
        const mw = (plotW * r.machine) / max;
        return (
          <g key={r.label}>
            <text x={labelW - 8} y={y + 15} textAnchor="end" className="chart-label">
              {r.label}
            </text>
            <rect x={labelW} y={y} width={hw} height={rowH - 8} fill={r.color} />
            <rect x={labelW + hw} y={y} width={mw} height={rowH - 8} fill={r.color} opacity={0.35} />
            <text x={labelW + hw + mw + 6} y={y + 15} className="chart-value">
              {r.human}
              {r.machine ? ` + ${r.machine} machine` : ""}
            </text>
          </g>
        );
      })}
      <text x={labelW} y={props.rows.length * rowH + 20} className="chart-note">
        solid: human · light: machine
      </text>
    </svg>
  );
}

export function DashboardPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const stats = useAsync(
    () => unwrap(api.GET("/api/v1/projects/{project_id}/stats/", { params: { path: { project_id: projectId } } })),
    [projectId],
  );
  if (setup.error || stats.error) return <main className="page"><p className="error">{(setup.error ?? stats.error)!.message}</p></main>;
  if (!setup.data || !stats.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const { project, errorTypes } = setup.data;
  const s = stats.data;
  const types = new Map<string, ErrorType>(errorTypes.map((t) => [t.key, t]));
  return (
    <>
      <ProjectNav project={project} />
      <main className="page" data-testid="dashboard">
        <h1 className="plain">{project.name}</h1>
        <p className="muted plain">{project.description}</p>
        <div className="cards">
          <div className="card">
            <h2>Items</h2>
            <Progress done={s.items.done} total={s.items.total} label="Items done" />
            <dl className="counts">
              <dt>done (overlap {project.overlap})</dt>
              <dd>{s.items.done}</dd>
              <dt>in progress</dt>
              <dd>{s.items.in_progress}</dd>
              <dt>untouched</dt>
              <dd>{s.items.untouched}</dd>
            </dl>
          </div>
          <div className="card">
            <h2>Annotations</h2>
            <dl className="counts">
              {Object.entries(s.annotations_by_status).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
              <dt>machine</dt>
              <dd>{s.machine_annotations}</dd>
            </dl>
          </div>
        </div>
        <h2>By annotator</h2>
        <table className="table">
          <thead>
            <tr>
              <th>Annotator</th>
              <th>Total</th>
              <th>Draft</th>
              <th>Submitted</th>
              <th>Accepted</th>
              <th>Rejected</th>
              <th>Time</th>
            </tr>
          </thead>
          <tbody>
            {s.by_annotator.map((a) => (
              <tr key={a.username}>
                <td className="plain">{a.username}</td>
                <td>{a.total}</td>
                <td>{a.draft}</td>
                <td>{a.submitted}</td>
                <td>{a.accepted}</td>
                <td>{a.rejected}</td>
                <td>{Math.round(a.time_spent_ms / 60000)} min</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Error types</h2>
        {s.error_types.length === 0 ? (
          <p className="muted">No labels yet.</p>
        ) : (
          <BarChart
            rows={s.error_types.map((e) => ({
              label: types.get(e.key)?.name ?? e.key,
              color: types.get(e.key)?.color ?? "#888888",
              human: e.human,
              machine: e.machine,
            }))}
          />
        )}
      </main>
    </>
  );
}
