/**
 * Edit the consensus of one item: start from what the consensus rule proposes, or from one
 * annotation, then add, retype or delete spans (select text and press an error type's hotkey,
 * as when annotating), rate steps, set rubric scores and preferences, and save. Saving names
 * the consensus it replaces, so a reviewer who saved meanwhile wins and this one reloads (409).
 */
import { useMemo, useReducer, useState } from "react";

import { ApiError } from "@/lib/api/client";
import type { Annotation, ErrorType, Item, RubricCriterion } from "@/types";

import { PairwisePanel } from "../annotate/components/pairwise-panel";
import { RubricPanel } from "../annotate/components/rubric-panel";
import { SpanEditor } from "../annotate/components/span-editor";
import { StepsResponse } from "../annotate/components/steps-response";
import { TextResponse, type ShownSpan } from "../annotate/components/text-response";
import { localId, unitsFromAnnotation, unitsReducer, unitsToWire, type Units } from "../annotate/units";
import { saveConsensus, type ItemReview } from "./api";

/** Units of the proposal (wire form, no ids) with local ids, as the editor holds them. */
function unitsFromProposal(proposal: ItemReview["proposal"]): Units {
  return unitsFromAnnotation(proposal as unknown as Annotation);
}

export function ConsensusEditor(props: {
  projectId: number;
  item: Item;
  review: ItemReview;
  annotations: Annotation[];
  errorTypes: ErrorType[];
  criteria: RubricCriterion[];
  onSaved: (message: string) => void;
}) {
  const { item, review, annotations, errorTypes, criteria } = props;
  const current = review.consensus ?? null;
  const [units, dispatch] = useReducer(
    unitsReducer,
    undefined,
    () => (current ? unitsFromAnnotation(current) : unitsFromProposal(review.proposal)),
  );
  const [focused, setFocused] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [saving, setSaving] = useState(false);
  const humans = annotations.filter((a) => a.author && a.status !== "rejected" && a.status !== "draft");
  const focusedSpan = units.spans.find((s) => s.id === focused) ?? null;
  const texts = useMemo(() => new Map(item.responses.map((r) => [r.index, r])), [item.responses]);

  const save = async () => {
    setSaving(true);
    setStatus("");
    try {
      const saved = await saveConsensus(props.projectId, item.id, {
        based_on: current?.id ?? null,
        based_on_version: current?.version ?? null,
        sources: humans.map((a) => a.id),
        ...unitsToWire(units),
      });
      props.onSaved(`Consensus saved (annotation ${saved.id}, accepted).`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        props.onSaved("Another reviewer saved a consensus meanwhile; reloaded — check it again.");
      } else {
        setStatus(`Not saved: ${(e as Error).message}`);
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="consensus-panel" data-testid="consensus-editor" aria-label="Consensus">
      <header>
        <h2>Consensus</h2>
        <span className="muted small">
          {current
            ? `current: annotation ${current.id} by ${String(current.metadata?.reviewer ?? "a reviewer")}`
            : `none yet — starting from the rule's proposal (span clusters at Jaccard ≥ ${review.overlap_threshold}, kept by a majority)`}
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => dispatch({ type: "replace", units: unitsFromProposal(review.proposal) })}>
          Start from the proposal
        </button>
        {humans.map((a) => (
          <button key={a.id} type="button" onClick={() => dispatch({ type: "replace", units: unitsFromAnnotation(a) })}>
            Copy {a.author}
          </button>
        ))}
        <button type="button" className="primary" disabled={saving} onClick={() => void save()}>
          Save consensus
        </button>
      </header>
      {status && (
        <p role="alert" className="error">
          {status}
        </p>
      )}
      <div className="consensus-grid">
        {item.responses.map((r) => (
          <div key={r.index} className="review-response">
            <h3>Response {r.index + 1}</h3>
            {r.kind === "text" && (
              <>
                <TextResponse
                  text={r.text}
                  spans={units.spans.filter((s) => s.response === r.index) as ShownSpan[]}
                  errorTypes={errorTypes}
                  focusedId={focused}
                  label={`Consensus response ${r.index + 1}`}
                  onCreate={(range, errorType) => {
                    const id = localId("s");
                    dispatch({
                      type: "addSpan",
                      span: { id, response: r.index, start: range.start, end: range.end, error_type: errorType, severity: null, comment: "" },
                    });
                    setFocused(id);
                  }}
                  onFocusSpan={setFocused}
                  onDeleteSpan={(id) => {
                    dispatch({ type: "deleteSpan", id });
                    setFocused(null);
                  }}
                  onSetType={(id, key) => dispatch({ type: "updateSpan", id, patch: { error_type: key, severity: null } })}
                />
                {focusedSpan && focusedSpan.response === r.index && (
                  <SpanEditor
                    span={focusedSpan}
                    quote={Array.from(texts.get(r.index)?.text ?? "")
                      .slice(focusedSpan.start, focusedSpan.end)
                      .join("")}
                    errorTypes={errorTypes}
                    dispatch={dispatch}
                    onClose={() => setFocused(null)}
                    focusComment={false}
                  />
                )}
                <ul className="span-marks" aria-label={`Consensus spans of response ${r.index + 1}`}>
                  {units.spans
                    .filter((s) => s.response === r.index)
                    .sort((a, b) => a.start - b.start)
                    .map((s) => (
                      <li key={s.id}>
                        <button type="button" className="link" onClick={() => setFocused(s.id)}>
                          {errorTypes.find((t) => t.key === s.error_type)?.name ?? s.error_type}
                        </button>
                        <q className="plain">{Array.from(r.text).slice(s.start, s.end).join("")}</q>
                        <button type="button" className="link" aria-label="Remove span" onClick={() => dispatch({ type: "deleteSpan", id: s.id })}>
                          remove
                        </button>
                      </li>
                    ))}
                </ul>
              </>
            )}
            {r.kind === "steps" && (
              <StepsResponse responseIndex={r.index} steps={r.steps} labels={units.steps.filter((s) => s.response === r.index)} errorTypes={errorTypes} dispatch={dispatch} />
            )}
            {r.kind === "image" && <p className="muted small">Regions are not merged; copy an annotation to keep its regions.</p>}
          </div>
        ))}
      </div>
      {(criteria.length > 0 || item.responses.length > 1) && (
        <details className="consensus-more">
          <summary>
            Rubric scores and preferences:{" "}
            {units.rubric_scores.map((r) => `response ${r.response + 1} ${r.criterion} ${r.score}`).join(", ") || "no scores"}
            {" · "}
            {units.preferences.map((p) => `${p.response_a + 1} vs ${p.response_b + 1}: ${p.value > 0 ? "+" : ""}${p.value}`).join(", ") || "no preferences"}
          </summary>
          {criteria.length > 0 && <RubricPanel criteria={criteria} responses={item.responses} scores={units.rubric_scores} dispatch={dispatch} />}
          {item.responses.length > 1 && <PairwisePanel responses={item.responses} criteria={criteria} preferences={units.preferences} dispatch={dispatch} />}
        </details>
      )}
    </section>
  );
}
