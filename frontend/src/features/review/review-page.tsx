/**
 * Review: the submitted annotations of one item side by side (humans and judges), each with
 * its spans drawn on the responses, steps, regions, scores and preferences; accept or reject
 * with the version it was based on (409 reloads it). Keys: a accept, r reject the focused column.
 *
 * Differences are highlighted (quality app): spans agreed by a majority of the annotations or
 * disputed, text others marked that a column missed, disputed steps, scores and preferences.
 * Below the columns the reviewer edits the labels into a consensus annotation and saves it.
 * The queue lists items lowest agreement first; "Review next" leases one to this reviewer.
 *
 * Between items (a link, "Review next", the browser's back) the route mounts a fresh page
 * (app.tsx keys it by item); the page also shows nothing until the item, its annotations and
 * its review are the ones of the item in the URL, so no column, score or consensus of the
 * item before stands in for this one's while it loads.
 */
import { useMemo, useState } from "react";

import { allPages, api, ApiError, unwrap } from "@/lib/api/client";
import { Link, useRouter } from "@/lib/router";
import { useAsync } from "@/lib/use-async";
import type { Annotation, ErrorType, Item } from "@/types";

import { ImageResponse } from "../annotate/components/image-response";
import { GRADES } from "../annotate/components/pairwise-panel";
import { StepsResponse } from "../annotate/components/steps-response";
import { unitsFromAnnotation } from "../annotate/units";
import { getProjectSetup } from "../projects/api";
import { ProjectNav } from "../projects/project-nav";
import { getItemReview, getQualitySettings, getReviewQueue, leaseNextReview, setGold, type ItemReview } from "../quality/api";
import { ConsensusEditor } from "../quality/consensus-editor";
import { DiffLegend, DiffText } from "../quality/diff-text";
import "../quality/quality.css";

function ScoreBadge({ score, low }: { score: number | null | undefined; low?: boolean }) {
  if (score === null || score === undefined) return <span className="q-score none">not scored</span>;
  return <span className={low ? "q-score low" : "q-score"}>agreement {score.toFixed(2)}</span>;
}

export function ReviewListPage({ projectId }: { projectId: number }) {
  const { navigate } = useRouter();
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const [state, setState] = useState<"pending" | "done" | "all">("pending");
  const queue = useAsync(() => getReviewQueue(projectId, state), [projectId, state]);
  const [message, setMessage] = useState("");
  if (!setup.data) return <main className="page"><p className="muted">{setup.error?.message ?? "Loading…"}</p></main>;
  const next = async () => {
    setMessage("");
    try {
      const itemId = await leaseNextReview(projectId);
      if (itemId === null) setMessage("Nothing is waiting for review.");
      else navigate(`/projects/${projectId}/review/${itemId}`);
    } catch (e) {
      setMessage(`Failed: ${(e as Error).message}`);
    }
  };
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page narrow" data-testid="review-list">
        <h1>Review queue</h1>
        <p className="muted small">Lowest agreement first: items whose annotations disagree most are reviewed before the others.</p>
        <div className="actions">
          <button type="button" className="primary" onClick={() => void next()}>
            Review next
          </button>
          {(["pending", "done", "all"] as const).map((s) => (
            <button key={s} type="button" aria-pressed={state === s} onClick={() => setState(s)}>
              {s}
            </button>
          ))}
        </div>
        {message && <p role="status" className="banner">{message}</p>}
        {queue.error && <p className="error">{queue.error.message}</p>}
        {queue.data && queue.data.results.length === 0 && <p className="muted">Nothing is waiting for review.</p>}
        {queue.data && queue.data.results.length > 0 && (
          <table className="table review-queue-table review-items">
            <thead>
              <tr>
                <th>item</th>
                <th>agreement</th>
                <th>annotations</th>
                <th>state</th>
              </tr>
            </thead>
            <tbody>
              {queue.data.results.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/projects/${projectId}/review/${r.id}`}>Item {r.id}</Link> <span className="muted plain">{r.external_id}</span>
                    {r.is_gold && <span className="badge accepted"> gold</span>}
                  </td>
                  <td>
                    <ScoreBadge score={r.agreement} low={r.low_agreement} />
                  </td>
                  <td>{r.annotation_count}</td>
                  <td className="small">
                    {r.pending ? "waiting" : "reviewed"}
                    {r.reviewer ? <span className="muted plain"> · held by {r.reviewer}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {queue.data && queue.data.count > queue.data.results.length && (
          <p className="muted small">
            Showing {queue.data.results.length} of {queue.data.count}.
          </p>
        )}
      </main>
    </>
  );
}

export function ReviewItemPage({ projectId, itemId }: { projectId: number; itemId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const itemState = useAsync(() => unwrap(api.GET("/api/v1/projects/{project_id}/items/{id}/", { params: { path: { project_id: projectId, id: itemId } } })), [projectId, itemId]);
  // Tagged with the item they were loaded for: an empty list says nothing about its item.
  const annsState = useAsync(
    () =>
      allPages(api.GET("/api/v1/projects/{project_id}/annotations/", { params: { path: { project_id: projectId }, query: { item: itemId } } })).then((list) => ({
        itemId,
        list,
      })),
    [projectId, itemId],
  );
  const diffState = useAsync(() => getItemReview(projectId, itemId), [projectId, itemId]);
  // The project's own threshold, as the queue uses it (low_agreement there is computed by the API).
  const quality = useAsync(() => getQualitySettings(projectId), [projectId]);
  const [message, setMessage] = useState("");
  // What was loaded for another item (while this one loads) counts as not loaded yet.
  const item = itemState.data?.id === itemId ? itemState.data : undefined;
  const annotations = annsState.data?.itemId === itemId ? annsState.data.list.filter((a) => a.item === itemId) : undefined;
  const diff = { data: diffState.data?.item === itemId ? diffState.data : undefined, error: diffState.error };
  if (!setup.data || !item || !annotations)
    return <main className="page"><p className="muted">{(setup.error ?? itemState.error ?? annsState.error)?.message ?? "Loading…"}</p></main>;
  const anns = { data: annotations, reload: annsState.reload };
  const consensusId = diff.data?.consensus?.id ?? null;
  const judgeOfConsensus = diff.data?.consensus?.judge?.id ?? null;
  const shown = anns.data.filter(
    (a) => a.status !== "draft" && a.id !== consensusId && !(judgeOfConsensus !== null && a.judge?.id === judgeOfConsensus),
  );
  const marks = new Map((diff.data?.annotations ?? []).map((d) => [d.id, d]));
  const review = async (a: Annotation, decision: "accepted" | "rejected") => {
    setMessage("");
    try {
      await unwrap(api.POST("/api/v1/projects/{project_id}/annotations/{id}/review/", { params: { path: { project_id: projectId, id: a.id } }, body: { version: a.version, decision } }));
      setMessage(`${a.author ?? a.judge?.name}: ${decision}.`);
    } catch (e) {
      setMessage(e instanceof ApiError && e.status === 409 ? "It changed meanwhile; reloaded — check it again." : `Failed: ${(e as Error).message}`);
    }
    anns.reload();
    diffState.reload();
  };
  const score = diff.data?.agreement?.score;
  const threshold = quality.data?.low_agreement_threshold;
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page wide" data-testid="review-item">
        <h1>
          Review <span className="plain">{item.external_id}</span>
        </h1>
        <div className="prompt plain" data-testid="review-prompt">{item.prompt}</div>
        <p className="small" data-testid="item-agreement">
          <ScoreBadge score={score} low={score !== null && score !== undefined && threshold !== undefined && score < threshold} />{" "}
          {diff.data?.agreement &&
            Object.entries(diff.data.agreement.parts)
              .map(([k, v]) => `${k} ${v.toFixed(2)}`)
              .join(" · ")}
        </p>
        {message && <p role="status" className="banner plain">{message}</p>}
        {shown.length === 0 && <p className="muted">No submitted annotations on this item.</p>}
        <DiffLegend />
        <div className="review-columns" style={{ gridTemplateColumns: `repeat(${Math.max(1, shown.length)}, minmax(320px, 1fr))` }}>
          {shown.map((a) => (
            <ReviewColumn
              key={a.id}
              annotation={a}
              item={item}
              errorTypes={setup.data!.errorTypes}
              onReview={(d) => void review(a, d)}
              diff={marks.get(a.id)}
              others={shown.filter((o) => o.id !== a.id && o.status !== "rejected")}
              onGold={
                setup.data!.project.role === "admin" && a.author && a.status !== "rejected"
                  ? () =>
                      void setGold(projectId, itemId, a.id).then(
                        () => setMessage(`${a.author}'s labels are now this item's gold labels.`),
                        (e: Error) => setMessage(`Failed: ${e.message}`),
                      )
                  : undefined
              }
            />
          ))}
        </div>
        {diff.error && <p className="error">{diff.error.message}</p>}
        {diff.data && (
          <ConsensusEditor
            key={`${itemId}:${consensusId ?? "new"}`}
            projectId={projectId}
            item={item}
            review={diff.data}
            annotations={shown}
            errorTypes={setup.data.errorTypes}
            criteria={setup.data.criteria}
            onSaved={(text) => {
              setMessage(text);
              anns.reload();
              diffState.reload();
            }}
          />
        )}
      </main>
    </>
  );
}

type Diff = ItemReview["annotations"][number];

function ReviewColumn(props: {
  annotation: Annotation;
  item: Item;
  errorTypes: ErrorType[];
  onReview: (d: "accepted" | "rejected") => void;
  diff?: Diff;
  others: Annotation[];
  onGold?: () => void;
}) {
  const { annotation: a, item, errorTypes, diff } = props;
  const units = useMemo(() => unitsFromAnnotation(a), [a]);
  const agreed = (i: number) => {
    const mark = diff?.spans[i];
    return mark && mark.agreed !== undefined ? mark.agreed : null;
  };
  const typeName = (key: string) => errorTypes.find((t) => t.key === key)?.name ?? key;
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
            {props.onGold && (
              <button type="button" onClick={props.onGold} title="Make this item a gold item with these labels as its known answer">
                Use as gold
              </button>
            )}
          </span>
        )}
      </header>
      {item.responses.map((r) => (
        <div key={r.index} className="review-response">
          <h3>Response {r.index + 1}</h3>
          {r.kind === "text" && (
            <>
              <DiffText
                text={r.text}
                label={`Response ${r.index + 1}`}
                errorTypes={errorTypes}
                spans={a.spans.map((s, i) => ({ ...s, agreed: agreed(i) })).filter((s) => s.response === r.index)}
                others={props.others.flatMap((o) => o.spans.filter((s) => s.response === r.index).map((s) => [s.start, s.end] as [number, number]))}
              />
              <ul className="span-marks" aria-label={`Spans on response ${r.index + 1}`}>
                {a.spans.map((s, i) =>
                  s.response !== r.index ? null : (
                    <li key={i}>
                      {agreed(i) !== null && <span className={`tag ${agreed(i) ? "agreed" : "disputed"}`}>{agreed(i) ? "agreed" : "disputed"}</span>}
                      <span>{typeName(s.error_type)}</span>
                      <q className="plain">{Array.from(r.text).slice(s.start, s.end).join("")}</q>
                    </li>
                  ),
                )}
              </ul>
            </>
          )}
          {r.kind === "steps" && (
            <>
              <StepsResponse responseIndex={r.index} steps={r.steps} labels={units.steps.filter((s) => s.response === r.index)} errorTypes={errorTypes} dispatch={() => {}} readOnly />
              {a.steps.some((s, i) => s.response === r.index && diff?.steps_disputed[i]) && (
                <p className="small disputed-unit">
                  Disputed steps:{" "}
                  {a.steps
                    .filter((s, i) => s.response === r.index && diff?.steps_disputed[i])
                    .map((s) => `${s.step_index + 1} (${s.rating > 0 ? "+1" : s.rating})`)
                    .join(", ")}
                </p>
              )}
            </>
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
            <li key={i} className={diff?.rubric_disputed[i] ? "disputed-unit" : undefined}>
              response {s.response + 1} · <span className="plain">{s.criterion}</span>: {s.score}
            </li>
          ))}
        </ul>
      )}
      {units.preferences.length > 0 && (
        <ul className="small">
          {units.preferences.map((p, i) => (
            <li key={i} className={diff?.preferences_disputed[i] ? "disputed-unit" : undefined}>
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
