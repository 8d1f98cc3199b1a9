import { allPages, api } from "@/lib/api/client";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

export function Progress({ done, total, label }: { done: number; total: number; label?: string }) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return (
    <span className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label={label ?? "Progress"}>
      <span className="bar" style={{ width: `${pct}%` }} />
      <span className="progress-text">
        {done} / {total} ({pct}%)
      </span>
    </span>
  );
}

export function ProjectsPage() {
  const projects = useAsync(() => allPages(api.GET("/api/v1/projects/", {})), []);
  return (
    <main className="page">
      <h1>Projects</h1>
      {projects.error && <p className="error">{projects.error.message}</p>}
      {projects.data && projects.data.length === 0 && <p className="muted">You are not a member of any project yet.</p>}
      {projects.data && projects.data.length > 0 && (
        <table className="table" data-testid="project-list">
          <thead>
            <tr>
              <th>Project</th>
              <th>Your role</th>
              <th>Items labelled (overlap reached: see dashboard)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {projects.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/projects/${p.id}`}>
                    <span className="plain">{p.name}</span>
                  </Link>
                  <div className="muted plain small">{p.description}</div>
                </td>
                <td>{p.role}</td>
                <td>
                  <Progress done={p.done_count ?? 0} total={p.item_count ?? 0} label={`${p.name} progress`} />
                </td>
                <td>
                  {(p.role === "annotator" || p.role === "reviewer" || p.role === "admin") && (
                    <Link className="button primary" to={`/projects/${p.id}/annotate`}>
                      Annotate
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
