/**
 * Rubric scores (Prometheus style): every criterion with its levels and their descriptions,
 * for one response at a time. Arrows move between cells (up/down criterion, left/right response),
 * 1..N pick the level at that position, Backspace clears it.
 */
import { useState, type KeyboardEvent } from "react";

import { comboOf, levelIndexForKey } from "@/lib/keys";
import type { ResponseOut, RubricCriterion } from "@/types";

import type { RubricScoreUnit, UnitsAction } from "../units";

export function RubricPanel(props: {
  criteria: RubricCriterion[];
  responses: ResponseOut[];
  scores: RubricScoreUnit[];
  dispatch?: (a: UnitsAction) => void;
  preview?: boolean;
}) {
  const { criteria, responses, scores, dispatch, preview } = props;
  const [cell, setCell] = useState({ c: 0, r: 0 });
  const score = (r: number, c: string) => scores.find((s) => s.response === r && s.criterion === c);
  const cur = criteria[cell.c];
  const curResponse = responses[cell.r];

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === "TEXTAREA" || tag === "INPUT") return;
    const combo = comboOf(e);
    const done = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (combo === "ArrowDown" || combo === "j") return (setCell((x) => ({ ...x, c: Math.min(criteria.length - 1, x.c + 1) })), done());
    if (combo === "ArrowUp" || combo === "k") return (setCell((x) => ({ ...x, c: Math.max(0, x.c - 1) })), done());
    if (combo === "ArrowRight" || combo === "l") return (setCell((x) => ({ ...x, r: Math.min(responses.length - 1, x.r + 1) })), done());
    if (combo === "ArrowLeft" || combo === "h") return (setCell((x) => ({ ...x, r: Math.max(0, x.r - 1) })), done());
    if (!cur || !curResponse || !dispatch) return;
    if (combo === "Backspace" || combo === "Delete") {
      dispatch({ type: "score", response: curResponse.index, criterion: cur.key, score: null });
      return done();
    }
    const index = levelIndexForKey(combo, cur.levels.length);
    if (index !== null) {
      dispatch({ type: "score", response: curResponse.index, criterion: cur.key, score: cur.levels[index]!.value });
      return done();
    }
  };

  if (!criteria.length) return <p className="muted">This project has no published rubric.</p>;
  return (
    <div className="rubric zone-target" tabIndex={0} role="grid" aria-label="Rubric" data-testid="rubric" onKeyDown={onKeyDown}>
      <div className="rubric-responses" role="tablist" aria-label="Response to score">
        {responses.map((r, ri) => (
          <button
            key={r.index}
            type="button"
            role="tab"
            tabIndex={-1}
            aria-selected={ri === cell.r}
            className={ri === cell.r ? "active" : undefined}
            onClick={() => setCell((x) => ({ ...x, r: ri }))}
          >
            Response {r.index + 1}
            <span className="muted"> {criteria.filter((c) => score(r.index, c.key)).length}/{criteria.length}</span>
          </button>
        ))}
      </div>
      {criteria.map((c, ci) => {
        const s = curResponse ? score(curResponse.index, c.key) : undefined;
        return (
          <div key={c.key} className={`criterion-row${ci === cell.c ? " current" : ""}`} onClick={() => setCell((x) => ({ ...x, c: ci }))}>
            <span className="criterion-name plain" title={c.description}>
              {c.name}
            </span>
            <span className="levels" role="radiogroup" aria-label={`${c.name}, response ${(curResponse?.index ?? 0) + 1}`}>
              {c.levels.map((l, li) => (
                <button
                  key={l.value}
                  type="button"
                  role="radio"
                  tabIndex={-1}
                  aria-checked={s?.score === l.value}
                  title={`${l.label ?? l.value}${l.description ? ` — ${l.description}` : ""}`}
                  disabled={preview}
                  onClick={() =>
                    curResponse &&
                    dispatch?.({ type: "score", response: curResponse.index, criterion: c.key, score: s?.score === l.value ? null : l.value })
                  }
                >
                  <kbd>{li + 1}</kbd> <span className="plain">{l.label || l.value}</span>
                </button>
              ))}
            </span>
          </div>
        );
      })}
      {cur && (
        <div className="level-descriptions" aria-live="polite">
          <strong className="plain">{cur.name}</strong>
          {cur.description && <p className="muted plain">{cur.description}</p>}
          <ol>
            {cur.levels.map((l, i) => (
              <li key={l.value} className={curResponse && score(curResponse.index, cur.key)?.score === l.value ? "chosen" : undefined}>
                <kbd>{i + 1}</kbd> <b className="plain">{l.label || l.value}</b> <span className="plain">{l.description}</span>
              </li>
            ))}
          </ol>
          {curResponse && score(curResponse.index, cur.key) && dispatch && (
            <textarea
              aria-label="Rationale"
              placeholder="rationale (optional)"
              value={score(curResponse.index, cur.key)!.rationale}
              onChange={(e) =>
                dispatch({
                  type: "score",
                  response: curResponse.index,
                  criterion: cur.key,
                  score: score(curResponse.index, cur.key)!.score,
                  rationale: e.target.value,
                })
              }
            />
          )}
        </div>
      )}
    </div>
  );
}
