/**
 * Graded pairwise preference (−3 … +3, HelpSteer2 / WildBench style) for every pair of
 * responses, overall or per rubric criterion. Keys: up/down pick the pair, 1..7 set the grade
 * (1 = A much better, 4 = tie, 7 = B much better), left/right nudge it.
 */
import { useState, type KeyboardEvent } from "react";

import { comboOf, preferenceForKey } from "@/lib/keys";
import type { ResponseOut, RubricCriterion } from "@/types";

import type { PreferenceUnit, UnitsAction } from "../units";

export const GRADES = [
  { value: -3, label: "A much better" },
  { value: -2, label: "A better" },
  { value: -1, label: "A slightly better" },
  { value: 0, label: "Tie" },
  { value: 1, label: "B slightly better" },
  { value: 2, label: "B better" },
  { value: 3, label: "B much better" },
];

export function PairwisePanel(props: {
  responses: ResponseOut[];
  criteria: RubricCriterion[];
  preferences: PreferenceUnit[];
  dispatch: (a: UnitsAction) => void;
}) {
  const { responses, criteria, preferences, dispatch } = props;
  const [criterion, setCriterion] = useState<string | null>(null);
  const pairs: [number, number][] = [];
  for (let a = 0; a < responses.length; a++)
    for (let b = a + 1; b < responses.length; b++) pairs.push([responses[a]!.index, responses[b]!.index]);
  const [current, setCurrent] = useState(0);
  const find = (a: number, b: number) =>
    preferences.find((p) => p.response_a === a && p.response_b === b && (p.criterion ?? null) === criterion);
  const set = (a: number, b: number, patch: Partial<PreferenceUnit> | null) =>
    dispatch({ type: "prefer", response_a: a, response_b: b, criterion, patch });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") return;
    const combo = comboOf(e);
    const pair = pairs[current];
    const done = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (combo === "ArrowDown" || combo === "j") return (setCurrent((c) => Math.min(pairs.length - 1, c + 1)), done());
    if (combo === "ArrowUp" || combo === "k") return (setCurrent((c) => Math.max(0, c - 1)), done());
    if (!pair) return;
    const value = preferenceForKey(combo);
    if (value !== null) return (set(pair[0], pair[1], { value }), done());
    const old = find(pair[0], pair[1])?.value ?? 0;
    if (combo === "ArrowLeft") return (set(pair[0], pair[1], { value: Math.max(-3, old - 1) }), done());
    if (combo === "ArrowRight") return (set(pair[0], pair[1], { value: Math.min(3, old + 1) }), done());
    if (combo === "Backspace" || combo === "Delete") return (set(pair[0], pair[1], null), done());
  };

  if (pairs.length === 0) return null;
  return (
    <div className="pairwise zone-target" tabIndex={0} role="grid" aria-label="Pairwise preference" data-testid="pairwise" onKeyDown={onKeyDown}>
      <label>
        Criterion{" "}
        <select aria-label="Preference criterion" value={criterion ?? ""} onChange={(e) => setCriterion(e.target.value || null)}>
          <option value="">overall</option>
          {criteria.map((c) => (
            <option key={c.key} value={c.key}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {pairs.map(([a, b], i) => {
        const p = find(a, b);
        return (
          <div key={`${a}-${b}`} className={`pair${i === current ? " current" : ""}`} onClick={() => setCurrent(i)}>
            <div className="pair-title">
              A = response {a + 1} · B = response {b + 1}
            </div>
            <div className="grades" role="radiogroup" aria-label={`Response ${a + 1} vs response ${b + 1}`}>
              {GRADES.map((g, gi) => (
                <button
                  key={g.value}
                  type="button"
                  role="radio"
                  tabIndex={-1}
                  aria-checked={p?.value === g.value}
                  className={`grade g${g.value}`}
                  title={`${g.label} (${gi + 1})`}
                  onClick={() => set(a, b, p?.value === g.value ? null : { value: g.value })}
                >
                  {g.value > 0 ? `+${g.value}` : g.value}
                </button>
              ))}
            </div>
            {p && (
              <input
                aria-label={`Rationale for response ${a + 1} vs ${b + 1}`}
                placeholder="rationale"
                value={p.rationale}
                onChange={(e) => set(a, b, { rationale: e.target.value })}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}
