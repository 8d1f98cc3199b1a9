/**
 * Taxonomy editor: the error types of the draft version (key, name, description, colour,
 * hotkey, severity levels, unit kinds) with a live preview of how they look while labelling.
 * Published versions are frozen: editing starts by creating a draft copy of the latest one.
 */
import { useMemo, useState } from "react";

import { api, ApiError, unwrap, type Schemas } from "@/lib/api/client";
import { useAsync } from "@/lib/use-async";
import { useRowsOf } from "@/lib/use-rows-of";
import { errorTypesOf, type ErrorType, type UnitKind } from "@/types";

import { TextResponse, type ShownSpan } from "../annotate/components/text-response";
import { getProjectSetup } from "../projects/api";
import { ProjectNav } from "../projects/project-nav";

const KINDS: UnitKind[] = ["span", "step", "region", "missing_info"];
const SAMPLE = "The album was released in 2018 by EMI. It was released in 2018. Critics liked the album.";

export function problemsOf(types: ErrorType[]): string[] {
  const out: string[] = [];
  const keys = new Set<string>();
  const hot = new Map<string, string>();
  types.forEach((t, i) => {
    if (!/^[-a-zA-Z0-9_]+$/.test(t.key)) out.push(`Row ${i + 1}: the key must be letters, digits, - or _.`);
    if (keys.has(t.key)) out.push(`Row ${i + 1}: key "${t.key}" is used twice.`);
    keys.add(t.key);
    if (!t.name.trim()) out.push(`Row ${i + 1}: a name is required.`);
    if (t.hotkey.length > 1) out.push(`Row ${i + 1}: a hotkey is one character.`);
    if (t.hotkey && hot.has(t.hotkey)) out.push(`Hotkey "${t.hotkey}" is used by ${hot.get(t.hotkey)} and ${t.key}.`);
    if (t.hotkey) hot.set(t.hotkey, t.key);
  });
  return out;
}

export function TaxonomyPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const draft = setup.data?.taxonomies.find((t) => t.status === "draft") ?? null;
  const published = setup.data?.taxonomies.find((t) => t.status === "published") ?? null;
  const isAdmin = setup.data?.project.role === "admin";
  const { rows, setRows, current } = useRowsOf<Schemas["TaxonomyOutput"], ErrorType>(draft ?? published, errorTypesOf);

  const previewSpans = useMemo<ShownSpan[]>(() => {
    const spanTypes = rows.filter((t) => !t.unit_kinds.length || t.unit_kinds.includes("span"));
    const cuts = [
      [4, 9],
      [10, 30],
      [39, 63],
      [22, 30],
      [64, 71],
      [72, 89],
    ];
    return spanTypes.slice(0, cuts.length).map((t, i) => ({ id: `p${i}`, start: cuts[i]![0]!, end: cuts[i]![1]!, error_type: t.key }));
  }, [rows]);

  if (setup.error) return <main className="page"><p className="error">{setup.error.message}</p></main>;
  if (!setup.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const editable = isAdmin && draft !== null && current;
  const problems = problemsOf(rows);
  const patch = (i: number, p: Partial<ErrorType>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  const run = async (f: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage("");
    try {
      await f();
      setMessage(done);
      setup.reload();
    } catch (e) {
      const body = e instanceof ApiError ? JSON.stringify(e.body) : String(e);
      setMessage(`Failed: ${body}`);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    unwrap(
      api.PUT("/api/v1/projects/{project_id}/taxonomies/{id}/", {
        params: { path: { project_id: projectId, id: draft!.id } },
        body: { error_types: rows.map((r) => ({ ...r, hotkey: r.hotkey || "" })) },
      }),
    );
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="taxonomy-editor">
        <h1>Error taxonomy</h1>
        <p className="muted">
          Versions: {setup.data.taxonomies.map((t) => `v${t.version} ${t.status}`).join(", ") || "none"}.{" "}
          {draft ? `Editing draft v${draft.version}.` : published ? `Showing published v${published.version} (frozen).` : ""}
        </p>
        {isAdmin && !draft && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(() => unwrap(api.POST("/api/v1/projects/{project_id}/taxonomies/", { params: { path: { project_id: projectId } } })), "Draft created.")}
          >
            Create a draft from the latest version
          </button>
        )}
        <table className="table editor">
          <thead>
            <tr>
              <th>Key</th>
              <th>Name</th>
              <th>Colour</th>
              <th>Hotkey</th>
              <th>Severity levels</th>
              <th>Applies to</th>
              <th>Description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((t, i) => (
              <tr key={i}>
                <td>
                  <input aria-label={`Key ${i + 1}`} value={t.key} disabled={!editable} onChange={(e) => patch(i, { key: e.target.value })} size={14} />
                </td>
                <td>
                  <input aria-label={`Name ${i + 1}`} value={t.name} disabled={!editable} onChange={(e) => patch(i, { name: e.target.value })} size={16} />
                </td>
                <td>
                  <input aria-label={`Colour ${i + 1}`} type="color" value={t.color} disabled={!editable} onChange={(e) => patch(i, { color: e.target.value })} />
                </td>
                <td>
                  <input aria-label={`Hotkey ${i + 1}`} value={t.hotkey} maxLength={1} size={2} disabled={!editable} onChange={(e) => patch(i, { hotkey: e.target.value })} />
                </td>
                <td>
                  <input
                    aria-label={`Severity levels ${i + 1}`}
                    value={t.severity_levels.join(", ")}
                    placeholder="minor, major"
                    disabled={!editable}
                    onChange={(e) => patch(i, { severity_levels: e.target.value.split(",").map((x) => x.trim()).filter(Boolean) })}
                  />
                </td>
                <td className="kinds">
                  {KINDS.map((k) => (
                    <label key={k}>
                      <input
                        type="checkbox"
                        checked={t.unit_kinds.includes(k)}
                        disabled={!editable}
                        onChange={(e) => patch(i, { unit_kinds: e.target.checked ? [...t.unit_kinds, k] : t.unit_kinds.filter((x) => x !== k) })}
                      />
                      {k}
                    </label>
                  ))}
                </td>
                <td>
                  <textarea aria-label={`Description ${i + 1}`} value={t.description} rows={2} disabled={!editable} onChange={(e) => patch(i, { description: e.target.value })} />
                </td>
                <td>
                  {editable && (
                    <button type="button" onClick={() => setRows(rows.filter((_, j) => j !== i))} aria-label={`Remove ${t.key}`}>
                      ×
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {editable && (
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                setRows([...rows, { key: `type-${rows.length + 1}`, name: "New type", description: "", color: "#7f7f7f", hotkey: "", severity_levels: [], unit_kinds: ["span"] }])
              }
            >
              + Error type
            </button>
            <button type="button" disabled={busy || problems.length > 0} onClick={() => void run(save, "Draft saved.")}>
              Save draft
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy || problems.length > 0}
              onClick={() =>
                void run(async () => {
                  await save();
                  await unwrap(api.POST("/api/v1/projects/{project_id}/taxonomies/{id}/publish/", { params: { path: { project_id: projectId, id: draft!.id } } }));
                }, "Published.")
              }
            >
              Publish v{draft!.version}
            </button>
          </div>
        )}
        {problems.length > 0 && (
          <ul className="error">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {message && <p role="status" className="banner plain">{message}</p>}
        <h2>Preview</h2>
        <div className="preview card" data-testid="taxonomy-preview">
          <ul className="legend">
            {rows.map((t) => (
              <li key={t.key}>
                <span className="swatch" style={{ background: t.color }} />
                <span className="plain">{t.name}</span> {t.hotkey && <kbd>{t.hotkey}</kbd>}
                <span className="muted plain">{t.severity_levels.join(" / ")}</span>
              </li>
            ))}
          </ul>
          <TextResponse text={SAMPLE} spans={previewSpans} errorTypes={rows} readOnly label="Preview text" />
        </div>
      </main>
    </>
  );
}
