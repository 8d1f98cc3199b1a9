/**
 * A multi-step response (PRM800K): one row per step, rated −1 / 0 / +1 from the keyboard
 * (+ or =, 0, -), with an optional error type and comment. "Stop at first error" (PRM800K
 * phase 2) ends the rating at the first −1: later steps are cleared and locked. A machine
 * suggestion for a step (a judge's or reward model's rating) is drawn in its row as a dashed
 * badge with accept / reject buttons, until someone decides it.
 */
import { useState, type KeyboardEvent } from "react";

import { comboOf, ratingForKey } from "@/lib/keys";
import { appliesTo, type ErrorType } from "@/types";

import type { StepUnit, UnitsAction } from "../units";

/** A pending machine rating of one step, as the annotate view passes it in. */
export type StepSuggestion = { id: string; step_index: number; rating: number; error_type: string | null; judge: string };

const ratingText = (r: number) => (r > 0 ? "+1" : r < 0 ? "−1" : "0");

const RATINGS: { value: -1 | 0 | 1; label: string; cls: string }[] = [
  { value: 1, label: "+1", cls: "good" },
  { value: 0, label: "0", cls: "neutral" },
  { value: -1, label: "−1", cls: "bad" },
];

export function StepsResponse(props: {
  responseIndex: number;
  steps: string[];
  labels: StepUnit[];
  errorTypes: ErrorType[];
  dispatch: (a: UnitsAction) => void;
  readOnly?: boolean;
  suggestions?: StepSuggestion[];
  onAcceptSuggestion?: (id: string) => void;
  onRejectSuggestion?: (id: string) => void;
}) {
  const { responseIndex, steps, labels, errorTypes, dispatch, readOnly, suggestions = [] } = props;
  const [current, setCurrent] = useState(0);
  const [stopAtFirstError, setStop] = useState(false);
  const byIndex = new Map(labels.map((l) => [l.step_index, l]));
  const firstError = labels.find((l) => l.rating === -1)?.step_index ?? Infinity;
  const locked = (i: number) => stopAtFirstError && i > firstError;
  const stepTypes = errorTypes.filter((t) => appliesTo(t, "step"));
  const byHotkey = new Map(stepTypes.filter((t) => t.hotkey).map((t) => [t.hotkey, t]));

  const rate = (i: number, rating: -1 | 0 | 1 | null) => {
    if (locked(i) || readOnly) return;
    dispatch({ type: "rateStep", response: responseIndex, step_index: i, rating, stopAfter: stopAtFirstError && rating === -1 });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (readOnly || (e.target as HTMLElement).tagName === "INPUT" || (e.target as HTMLElement).tagName === "SELECT") return;
    const combo = comboOf(e);
    const go = (i: number) => setCurrent(Math.max(0, Math.min(steps.length - 1, i)));
    const done = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (combo === "ArrowDown" || combo === "j") return (go(current + 1), done());
    if (combo === "ArrowUp" || combo === "k") return (go(current - 1), done());
    if (combo === "Backspace" || combo === "Delete") return (rate(current, null), done());
    if (combo === "s") return (setStop((v) => !v), done());
    if (combo === "c") {
      done();
      document.getElementById(`step-comment-${responseIndex}-${current}`)?.focus();
      return;
    }
    const rating = ratingForKey(combo);
    if (rating !== null) {
      rate(current, rating);
      const stops = stopAtFirstError && rating === -1;
      if (!stops) go(current + 1);
      return done();
    }
    const t = byHotkey.get(combo);
    if (t && byIndex.has(current)) {
      dispatch({ type: "updateStep", response: responseIndex, step_index: current, patch: { error_type: t.key } });
      return done();
    }
  };

  return (
    <div className="steps zone-target" tabIndex={0} role="grid" aria-label="Steps" data-testid="steps" onKeyDown={onKeyDown}>
      <label className="stop-mode">
        <input type="checkbox" checked={stopAtFirstError} onChange={(e) => setStop(e.target.checked)} /> Stop at first
        error <kbd>s</kbd>
      </label>
      <ol>
        {steps.map((step, i) => {
          const label = byIndex.get(i);
          const suggested = suggestions.filter((x) => x.step_index === i);
          return (
            <li
              key={i}
              role="row"
              aria-selected={i === current}
              className={`step${i === current ? " current" : ""}${locked(i) ? " locked" : ""}`}
              data-rating={label?.rating ?? ""}
              onClick={() => setCurrent(i)}
            >
              <span className="step-index">{i + 1}</span>
              <span className="step-text">{step}</span>
              <span className="step-controls">
                {RATINGS.map((r) => (
                  <button
                    key={r.value}
                    type="button"
                    className={`rate ${r.cls}`}
                    aria-pressed={label?.rating === r.value}
                    disabled={locked(i) || readOnly}
                    onClick={() => rate(i, label?.rating === r.value ? null : r.value)}
                    tabIndex={-1}
                  >
                    {r.label}
                  </button>
                ))}
                {label && (
                  <>
                    <select
                      aria-label={`Error type of step ${i + 1}`}
                      value={label.error_type ?? ""}
                      disabled={readOnly}
                      onChange={(e) =>
                        dispatch({
                          type: "updateStep",
                          response: responseIndex,
                          step_index: i,
                          patch: { error_type: e.target.value || null },
                        })
                      }
                    >
                      <option value="">no error type</option>
                      {stepTypes.map((t) => (
                        <option key={t.key} value={t.key}>
                          {t.name}
                        </option>
                      ))}
                    </select>
                    <input
                      id={`step-comment-${responseIndex}-${i}`}
                      aria-label={`Comment on step ${i + 1}`}
                      placeholder="comment"
                      value={label.comment}
                      disabled={readOnly}
                      onChange={(e) =>
                        dispatch({ type: "updateStep", response: responseIndex, step_index: i, patch: { comment: e.target.value } })
                      }
                      onKeyDown={(e) => {
                        if (e.key === "Escape" || e.key === "Enter") {
                          e.preventDefault();
                          (e.currentTarget.closest(".steps") as HTMLElement | null)?.focus();
                        }
                      }}
                    />
                  </>
                )}
                {suggested.map((x) => (
                  <span key={x.id} className="step-suggestion" data-suggestion={x.id} title={`Suggested by ${x.judge}`}>
                    <span className="judge plain">{x.judge}</span> {ratingText(x.rating)}
                    {x.error_type ? <span className="plain"> {errorTypes.find((t) => t.key === x.error_type)?.name ?? x.error_type}</span> : null}
                    {props.onAcceptSuggestion && (
                      <button type="button" tabIndex={-1} aria-label={`Accept the suggestion for step ${i + 1}`} onClick={() => props.onAcceptSuggestion!(x.id)}>
                        ✓
                      </button>
                    )}
                    {props.onRejectSuggestion && (
                      <button type="button" tabIndex={-1} aria-label={`Reject the suggestion for step ${i + 1}`} onClick={() => props.onRejectSuggestion!(x.id)}>
                        ×
                      </button>
                    )}
                  </span>
                ))}
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
