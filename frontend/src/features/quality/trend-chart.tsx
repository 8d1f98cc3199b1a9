/**
 * Agreement over time, one line per error type or per annotator, from the ``series`` of the
 * agreement API (columns aligned with its history, heaviest first): pick the measure, and
 * which lines to draw when there are many (the first few by default).
 */
import { useState } from "react";

import { LineChart, SERIES_COLORS } from "./charts";

/** How many lines are drawn before anyone picks. */
export const DEFAULT_SHOWN = 6;

export type TrendMeasure = { key: string; label: string };

/** One error type or annotator: per measure key, a value per snapshot (null: none). */
export type TrendLine = { key: string; label: string; values: Record<string, (number | null)[]> };

export function TrendChart(props: {
  title: string;
  testId: string;
  xLabels: string[];
  /** In the order of the default pick (heaviest first). */
  lines: TrendLine[];
  measures: TrendMeasure[];
  /** A line's own colour (an error type's); else the palette by position. */
  colorOf?: (key: string) => string | undefined;
  /** What the lines are, for the picker: "error types", "annotators". */
  noun: string;
  empty: string;
}) {
  const { measures } = props;
  const [measureKey, setMeasureKey] = useState(measures[0]?.key ?? "");
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const measure = measures.find((m) => m.key === measureKey) ?? measures[0];
  if (!measure) return null;
  const { lines } = props;
  if (lines.length === 0) return <p className="muted">{props.empty}</p>;
  const shown = picked ?? new Set(lines.slice(0, DEFAULT_SHOWN).map((l) => l.key));
  const styleOf = (rank: number, key: string) => ({
    color: props.colorOf?.(key) ?? SERIES_COLORS[rank % SERIES_COLORS.length]!,
    dashed: props.colorOf?.(key) === undefined && rank >= SERIES_COLORS.length,
  });
  const toggle = (key: string) => {
    const next = new Set(shown);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setPicked(next);
  };
  return (
    <div className="q-trend" data-testid={`${props.testId}-panel`}>
      <div className="q-trend-controls">
        <label>
          Measure{" "}
          <select aria-label={`${props.title}: measure`} value={measure.key} onChange={(e) => setMeasureKey(e.target.value)}>
            {measures.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          {shown.size} of {lines.length} {props.noun} shown
        </span>
        {lines.length > 1 && (
          <>
            <button type="button" className="link" onClick={() => setPicked(new Set(lines.map((l) => l.key)))}>
              all
            </button>
            {lines.length > DEFAULT_SHOWN && (
              <button type="button" className="link" onClick={() => setPicked(null)}>
                top {DEFAULT_SHOWN}
              </button>
            )}
            <button type="button" className="link" onClick={() => setPicked(new Set())}>
              none
            </button>
          </>
        )}
      </div>
      <LineChart
        title={`${props.title}: ${measure.label}`}
        testId={props.testId}
        xLabels={props.xLabels}
        series={lines.flatMap((line, rank) =>
          shown.has(line.key)
            ? [{ key: line.key, label: line.label, values: line.values[measure.key] ?? props.xLabels.map(() => null), ...styleOf(rank, line.key) }]
            : [],
        )}
      />
      {lines.length > 1 && (
        <fieldset className="q-picker" aria-label={`${props.title}: ${props.noun} shown`}>
          {lines.map((line, rank) => {
            const { color, dashed } = styleOf(rank, line.key);
            return (
              <label key={line.key} title={line.label}>
                <input type="checkbox" checked={shown.has(line.key)} onChange={() => toggle(line.key)} />
                <i style={dashed ? { border: `2px dashed ${color}` } : { background: color }} />
                {line.label}
              </label>
            );
          })}
        </fieldset>
      )}
    </div>
  );
}
