/**
 * One text response as one annotation labelled it, with the differences from the others drawn
 * in: spans whose cluster has a majority of the annotations (the consensus rule) are *agreed*
 * (solid underline in the type's colour), the others *disputed* (red dashed box), and text that
 * other annotations marked but this one did not is *missed* (dotted underline). Spans of a
 * rejected annotation take no part in the comparison and are drawn plainly (*neutral*). Offsets come in
 * code points and are converted to UTF-16 here, at the edge.
 */
import { useMemo } from "react";

import { TextOffsets } from "@/lib/text/offsets";
import type { ErrorType } from "@/types";

export type DiffSpan = { start: number; end: number; error_type: string; agreed: boolean | null };

type Piece = { start: number; end: number; own: DiffSpan[]; missed: boolean };

export function DiffText(props: {
  text: string;
  spans: DiffSpan[];
  /** [start, end) ranges, in code points, that other annotations marked on this response. */
  others: [number, number][];
  errorTypes: ErrorType[];
  label: string;
}) {
  const { text, spans, others, errorTypes } = props;
  const types = useMemo(() => new Map(errorTypes.map((t) => [t.key, t])), [errorTypes]);
  const pieces = useMemo(() => {
    const offsets = new TextOffsets(text);
    const size = offsets.length;
    const clip = (v: number) => Math.max(0, Math.min(size, v));
    const cuts = new Set<number>([0, size]);
    for (const s of spans) cuts.add(clip(s.start)).add(clip(s.end));
    for (const [a, b] of others) cuts.add(clip(a)).add(clip(b));
    const points = [...cuts].sort((a, b) => a - b);
    const out: Piece[] = [];
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i]!;
      const end = points[i + 1]!;
      if (end <= start) continue;
      const own = spans.filter((s) => s.start <= start && end <= s.end);
      const missed = own.length === 0 && others.some(([a, b]) => a <= start && end <= b);
      out.push({ start: offsets.toUtf16(start), end: offsets.toUtf16(end), own, missed });
    }
    return out;
  }, [text, spans, others]);
  return (
    <div className="diff-text" role="document" aria-label={props.label}>
      {pieces.map((p) => {
        const chunk = text.slice(p.start, p.end);
        if (p.own.length === 0) {
          return p.missed ? (
            <span key={p.start} className="d-missed" title="marked by other annotations, not by this one">
              {chunk}
            </span>
          ) : (
            <span key={p.start}>{chunk}</span>
          );
        }
        const state = p.own.some((s) => s.agreed === false) ? "disputed" : p.own.some((s) => s.agreed === true) ? "agreed" : "neutral";
        const first = p.own[0]!;
        const color = types.get(first.error_type)?.color ?? "#888888";
        const word = (s: DiffSpan) => (s.agreed === null ? "" : s.agreed ? " (agreed)" : " (disputed)");
        const names = p.own.map((s) => `${types.get(s.error_type)?.name ?? s.error_type}${word(s)}`);
        return (
          <span
            key={p.start}
            className={`d-${state}`}
            data-diff={state}
            style={{ ["--d-color" as string]: color }}
            title={names.join(" · ")}
          >
            {chunk}
          </span>
        );
      })}
    </div>
  );
}

export function DiffLegend() {
  return (
    <div className="diff-legend" aria-label="Legend">
      <span>
        <i className="agreed" /> agreed by a majority (Jaccard ≥ 0.5)
      </span>
      <span>
        <i className="disputed" /> disputed
      </span>
      <span>
        <i className="missed" /> marked by others, not here
      </span>
    </div>
  );
}
