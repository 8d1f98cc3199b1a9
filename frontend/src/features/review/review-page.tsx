/**
 * Review: the submitted annotations of one item side by side (humans and judges), each with
 * its spans drawn on the responses, steps, regions, scores and preferences; accept or reject
 * with the version it was based on (409 reloads it). Keys: a accept, r reject the focused column.
 */
import { useMemo, useState } from "react";

import { allPages, api, ApiError, unwrap } from "@/lib/api/client";
import { Link } from "@/lib/router";
import { useAsync } from "@/lib/use-async";
import type { Annotation, ErrorType, Item } from "@/types";

import { ImageResponse } from "../annotate/components/image-response";
import { GRADES } from "../annotate/components/pairwise-panel";
import { StepsResponse } from "../annotate/components/steps-response";
import { TextResponse } from "../annotate/components/text-response";
import { unitsFromAnnotation } from "../annotate/units";
import { getProjectSetup } from "../projects/api";
import { ProjectNav } from "../projects/project-nav";

export function ReviewListPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const subs = useAsync(
    () => allPages(api.GET("/api/v1/projects/{project_id}/annotations/", { params: { path: { project_id: projectId }, query: { status: ["submitted"], source: "human", page_size: 500 } } })),
    [projectId],
  );
  const byItem = useMemo(() => {
    const m = new Map<number, Annotation[]>();
    for (const a of subs.data ?? []) m.set(a.item, [...(m.get(a.item) ?? []), a]);
    return [...m.entries()];
  }, [subs.data]);
  if (!setup.data) return <main className="page"><p className="muted">{setup.error?.message ?? "Loading…"}</p></main>;
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page narrow" data-testid="review-list">
        <h1>Review queue</h1>
        {subs.error && <p className="error">{subs.error.message}</p>}
        {subs.data && byItem.length === 0 && <p className="muted">Nothing is waiting for review.</p>}
        <ul className="review-items">
          {byItem.map(([itemId, list]) => (
            <li key={itemId}>
              <Link to={`/projects/${projectId}/review/${itemId}`}>Item {itemId}</Link> — {list.length} submitted by{" "}
              <span className="plain">{list.map((a) => a.author).join(", ")}</span>
            </li>
          ))}
        </ul>
      </main>
    </>
  );
}

export function ReviewItemPage({ projectId, itemId }: { projectId: number; itemId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const item = useAsync(() => unwrap(api.GET("/api/v1/projects/{project_id}/items/{id}/", { params: { path: { project_id: projectId, id: itemId } } })), [projectId, itemId]);
  const anns = useAsync(
    () => allPages(api.GET("/api/v1/projects/{project_id}/annotations/", { params: { path: { project_id: projectId }, query: { item: itemId } } })),
    [projectId, itemId],
  );
  const [message, setMessage] = useState("");
  if (!setup.data || !item.data || !anns.data)
    return <main className="page"><p className="muted">{(setup.error ?? item.error ?? anns.error)?.message ?? "Loading…"}</p></main>;
  const shown = anns.data.filter((a) => a.status !== "draft");
  const review = async (a: Annotation, decision: "accepted" | "rejected") => {
    setMessage("");
    try {
      await unwrap(api.POST("/api/v1/projects/{project_id}/annotations/{id}/review/", { params: { path: { project_id: projectId, id: a.id } }, body: { version: a.version, decision } }));
      setMessage(`${a.author ?? a.judge?.name}: ${decision}.`);
    } catch (e) {
      setMessage(e instanceof ApiError && e.status === 409 ? "It changed meanwhile; reloaded — check it again." : `Failed: ${(e as Error).message}`);
    }
    anns.reload();
  };
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page wide" data-testid="review-item">
        <h1>
          Review <span className="plain">{item.data.external_id}</span>
        </h1>
        <div className="prompt plain">{item.data.prompt}</div>
        {message && <p role="status" className="banner plain">{message}</p>}
        {shown.length === 0 && <p className="muted">No submitted annotations on this item.</p>}
        <div className="review-columns" style={{ gridTemplateColumns: `repeat(${Math.max(1, shown.length)}, minmax(320px, 1fr))` }}>
          {shown.map((a) => (
            <ReviewColumn key={a.id} annotation={a} item={item.data!} errorTypes={setup.data!.errorTypes} onReview={(d) => void review(a, d)} />
          ))}
        </div>
      </main>
    </>
  );
}

function ReviewColumn(props: { annotation: Annotation; item: Item; errorTypes: ErrorType[]; onReview: (d: "accepted" | "rejected") => void }) {
  const { annotation: a, item, errorTypes } = props;
  const units = useMemo(() => unitsFromAnnotation(a), [a]);
  const canReview = a.status !== "draft";
  return (
    <section
      className={`review-col status-${a.status}`}
      tabIndex={0}
      aria-label={`Annotation by ${a.author ?? a.judge?.name}`}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === "a") props.onReview("accepted");
        if (e.key === "r") props.onReview("rejected");
      }}
    >
      <header>
        <h2 className="plain">{a.author ?? `${a.judge?.name} (machine)`}</h2>
        <span className={`badge ${a.status}`}>{a.status}</span> <span className="muted">v{a.version} · {Math.round(a.time_spent_ms / 1000)} s</span>
        {canReview && (
          <span className="actions">
            <button type="button" className="primary" onClick={() => props.onReview("accepted")}>
              Accept <kbd>a</kbd>
            </button>
            <button type="button" onClick={() => props.onReview("rejected")}>
              Reject <kbd>r</kbd>
            </button>
          </span>
        )}
      </header>
      {item.responses.map((r) => (
        <div key={r.index} className="review-response">
          <h3>Response {r.index + 1}</h3>
          {r.kind === "text" && (
            <TextResponse text={r.text} spans={units.spans.filter((s) => s.response === r.index)} errorTypes={errorTypes} readOnly label={`Response ${r.index + 1}`} />
          )}
          {r.kind === "steps" && (
            <StepsResponse responseIndex={r.index} steps={r.steps} labels={units.steps.filter((s) => s.response === r.index)} errorTypes={errorTypes} dispatch={() => {}} readOnly />
          )}
          {r.kind === "image" && (
            <ImageResponse
              responseIndex={r.index}
              url={r.image_url}
              width={r.image_width}
              height={r.image_height}
              regions={units.regions.filter((x) => x.response === r.index)}
              errorTypes={errorTypes}
              dispatch={() => {}}
              readOnly
            />
          )}
          {units.critiques
            .filter((c) => c.response === r.index)
            .map((c, i) => (
              <blockquote key={i} className="plain">
                {c.text}
              </blockquote>
            ))}
        </div>
      ))}
      {units.rubric_scores.length > 0 && (
        <ul className="small">
          {units.rubric_scores.map((s, i) => (
            <li key={i}>
              response {s.response + 1} · <span className="plain">{s.criterion}</span>: {s.score}
            </li>
          ))}
        </ul>
      )}
      {units.preferences.length > 0 && (
        <ul className="small">
          {units.preferences.map((p, i) => (
            <li key={i}>
              {p.response_a + 1} vs {p.response_b + 1}: {GRADES.find((g) => g.value === p.value)?.label ?? p.value}
              {p.criterion ? ` (${p.criterion})` : ""} <span className="plain muted">{p.rationale}</span>
            </li>
          ))}
        </ul>
      )}
      {units.missing_info.length > 0 && (
        <ul className="small">
          {units.missing_info.map((m) => (
            <li key={m.id}>
              <span className="plain">{m.error_type}</span> on response {m.response + 1}
              {m.passage_index !== null ? ` → p${m.passage_index + 1} ${m.sentence_indices.map((s) => `s${s + 1}`).join(" ")}` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
