/** Rubric editor: criteria with their levels and per-level descriptions, live preview, publish. */
import { useState } from "react";

import { api, ApiError, unwrap, type Schemas } from "@/lib/api/client";
import { useAsync } from "@/lib/use-async";
import { useRowsOf } from "@/lib/use-rows-of";
import { criteriaOf, type ResponseOut, type RubricCriterion } from "@/types";

import { RubricPanel } from "../annotate/components/rubric-panel";
import { getProjectSetup } from "../projects/api";
import { ProjectNav } from "../projects/project-nav";

const PREVIEW_RESPONSES = [{ index: 0 }, { index: 1 }] as ResponseOut[];

export function RubricPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const draft = setup.data?.rubrics.find((t) => t.status === "draft") ?? null;
  const published = setup.data?.rubrics.find((t) => t.status === "published") ?? null;
  const { rows, setRows, current } = useRowsOf<Schemas["RubricOutput"], RubricCriterion>(draft ?? published, criteriaOf);
  if (setup.error) return <main className="page"><p className="error">{setup.error.message}</p></main>;
  if (!setup.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const isAdmin = setup.data.project.role === "admin";
  const editable = isAdmin && draft !== null && current;
  const patch = (i: number, p: Partial<RubricCriterion>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  const run = async (f: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage("");
    try {
      await f();
      setMessage(done);
      setup.reload();
    } catch (e) {
      setMessage(`Failed: ${e instanceof ApiError ? JSON.stringify(e.body) : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    unwrap(api.PUT("/api/v1/projects/{project_id}/rubrics/{id}/", { params: { path: { project_id: projectId, id: draft!.id } }, body: { criteria: rows } }));
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="rubric-editor">
        <h1>Rubric</h1>
        <p className="muted">
          Versions: {setup.data.rubrics.map((t) => `v${t.version} ${t.status}`).join(", ") || "none"}.{" "}
          {draft ? `Editing draft v${draft.version}.` : published ? `Showing published v${published.version} (frozen).` : ""}
        </p>
        {isAdmin && !draft && (
          <button type="button" disabled={busy} onClick={() => void run(() => unwrap(api.POST("/api/v1/projects/{project_id}/rubrics/", { params: { path: { project_id: projectId } } })), "Draft created.")}>
            Create a draft from the latest version
          </button>
        )}
        <div className="criteria">
          {rows.map((c, i) => (
            <fieldset key={i} className="card criterion" disabled={!editable}>
              <legend>
                Criterion {i + 1} {editable && <button type="button" onClick={() => setRows(rows.filter((_, j) => j !== i))}>remove</button>}
              </legend>
              <label>
                Key <input value={c.key} onChange={(e) => patch(i, { key: e.target.value })} />
              </label>{" "}
              <label>
                Name <input value={c.name} onChange={(e) => patch(i, { name: e.target.value })} />
              </label>
              <label className="block">
                Description <textarea value={c.description} rows={2} onChange={(e) => patch(i, { description: e.target.value })} />
              </label>
              <table className="table levels-table">
                <thead>
                  <tr>
                    <th>Value</th>
                    <th>Label</th>
                    <th>What this level means</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {c.levels.map((l, li) => {
                    const setLevel = (p: Partial<typeof l>) => patch(i, { levels: c.levels.map((x, k) => (k === li ? { ...x, ...p } : x)) });
                    return (
                      <tr key={li}>
                        <td>
                          <input type="number" aria-label={`Value of level ${li + 1}`} value={l.value} onChange={(e) => setLevel({ value: Number(e.target.value) })} style={{ width: "5em" }} />
                        </td>
                        <td>
                          <input aria-label={`Label of level ${li + 1}`} value={l.label ?? ""} onChange={(e) => setLevel({ label: e.target.value })} />
                        </td>
                        <td>
                          <textarea aria-label={`Description of level ${li + 1}`} rows={1} value={l.description ?? ""} onChange={(e) => setLevel({ description: e.target.value })} />
                        </td>
                        <td>{editable && <button type="button" onClick={() => patch(i, { levels: c.levels.filter((_, k) => k !== li) })}>×</button>}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {editable && (
                <button type="button" onClick={() => patch(i, { levels: [...c.levels, { value: (c.levels[c.levels.length - 1]?.value ?? 0) + 1, label: "", description: "" }] })}>
                  + level
                </button>
              )}
            </fieldset>
          ))}
        </div>
        {editable && (
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                setRows([...rows, { key: `criterion-${rows.length + 1}`, name: "New criterion", description: "", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: String(v), description: "" })) }])
              }
            >
              + Criterion
            </button>
            <button type="button" disabled={busy} onClick={() => void run(save, "Draft saved.")}>
              Save draft
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  await save();
                  await unwrap(api.POST("/api/v1/projects/{project_id}/rubrics/{id}/publish/", { params: { path: { project_id: projectId, id: draft!.id } } }));
                }, "Published.")
              }
            >
              Publish v{draft!.version}
            </button>
          </div>
        )}
        {message && <p role="status" className="banner plain">{message}</p>}
        <h2>Preview</h2>
        <div className="card" data-testid="rubric-preview">
          <RubricPanel criteria={rows} responses={PREVIEW_RESPONSES} scores={[]} preview />
        </div>
      </main>
    </>
  );
}
