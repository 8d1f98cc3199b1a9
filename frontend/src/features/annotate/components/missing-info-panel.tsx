/**
 * Missing information (QA-FEEDBACK): an error type such as Missing-Answer on a response,
 * linked to a context passage and its sentences. While an entry is open, clicking a sentence
 * in the context panel links or unlinks it.
 */
import { appliesTo, type ErrorType, type Passage, type ResponseOut } from "@/types";

import { localId, type MissingInfoUnit, type UnitsAction } from "../units";
import { sentenceId } from "./context-panel";

export function MissingInfoPanel(props: {
  units: MissingInfoUnit[];
  responses: ResponseOut[];
  passages: Passage[];
  errorTypes: ErrorType[];
  dispatch: (a: UnitsAction) => void;
  activeId: string | null;
  setActiveId: (id: string | null) => void;
}) {
  const { units, responses, passages, errorTypes, dispatch, activeId, setActiveId } = props;
  const types = errorTypes.filter((t) => appliesTo(t, "missing_info"));
  if (!types.length) return <p className="muted">No error type applies to missing information.</p>;
  const add = () => {
    const id = localId("m");
    dispatch({
      type: "addMissing",
      unit: {
        id,
        response: responses[0]?.index ?? 0,
        error_type: types[0]!.key,
        passage_index: passages.length ? 0 : null,
        sentence_indices: [],
        comment: "",
      },
    });
    setActiveId(id);
  };
  return (
    <div className="missing-info" data-testid="missing-info">
      {units.map((m) => {
        const patch = (p: Partial<MissingInfoUnit>) => dispatch({ type: "updateMissing", id: m.id, patch: p });
        const passage = m.passage_index !== null ? passages[m.passage_index] : undefined;
        return (
          <div key={m.id} className={`missing${m.id === activeId ? " active" : ""}`} onFocus={() => setActiveId(m.id)}>
            <select aria-label="Missing-info type" value={m.error_type} onChange={(e) => patch({ error_type: e.target.value })}>
              {types.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.name}
                </option>
              ))}
            </select>
            <select aria-label="Response" value={m.response} onChange={(e) => patch({ response: Number(e.target.value) })}>
              {responses.map((r) => (
                <option key={r.index} value={r.index}>
                  response {r.index + 1}
                </option>
              ))}
            </select>
            <select
              aria-label="Passage"
              value={m.passage_index ?? ""}
              onChange={(e) => patch({ passage_index: e.target.value === "" ? null : Number(e.target.value), sentence_indices: [] })}
            >
              <option value="">no passage</option>
              {passages.map((p, i) => (
                <option key={i} value={i}>
                  p{i + 1} {String(p.title ?? "").slice(0, 40)}
                </option>
              ))}
            </select>
            {passage && (
              <span className="sentence-picks" role="group" aria-label="Linked sentences">
                {(passage.sentences ?? []).map((_, si) => (
                  <label key={si}>
                    <input
                      type="checkbox"
                      checked={m.sentence_indices.includes(si)}
                      onChange={(e) =>
                        patch({
                          sentence_indices: e.target.checked
                            ? [...m.sentence_indices, si].sort((a, b) => a - b)
                            : m.sentence_indices.filter((x) => x !== si),
                        })
                      }
                    />
                    {sentenceId(m.passage_index!, si)}
                  </label>
                ))}
              </span>
            )}
            <input aria-label="Missing-info comment" placeholder="what is missing" value={m.comment} onChange={(e) => patch({ comment: e.target.value })} />
            <button type="button" onClick={() => dispatch({ type: "deleteMissing", id: m.id })}>
              Remove
            </button>
          </div>
        );
      })}
      <button type="button" onClick={add}>
        + Missing information
      </button>
    </div>
  );
}
