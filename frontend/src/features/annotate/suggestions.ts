/**
 * Machine suggestions: units of judges' annotations (source=machine), shown distinctly until a
 * person accepts (copies the unit into their own annotation), edits (accepts, then opens it)
 * or rejects them. Decisions are kept in the annotation's metadata.suggestions, by a stable id
 * `<annotation id>.<kind>.<index>`.
 */
import type { Annotation } from "@/types";

import { localId, type MissingInfoUnit, type RegionUnit, type SpanUnit, type StepUnit, type SuggestionDecisions } from "./units";

export type Suggestion =
  | { id: string; kind: "span"; judge: string; unit: Omit<SpanUnit, "id"> }
  | { id: string; kind: "step"; judge: string; unit: StepUnit }
  | { id: string; kind: "region"; judge: string; unit: Omit<RegionUnit, "id"> }
  | { id: string; kind: "missing_info"; judge: string; unit: Omit<MissingInfoUnit, "id"> };

export function suggestionsOf(machine: Annotation[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const a of machine) {
    const judge = a.judge?.name ?? "judge";
    a.spans.forEach((s, i) =>
      out.push({
        id: `${a.id}.span.${i}`,
        kind: "span",
        judge,
        unit: { response: s.response, start: s.start, end: s.end, error_type: s.error_type, severity: s.severity ?? null, comment: s.comment, confidence: s.confidence },
      }),
    );
    a.steps.forEach((s, i) =>
      out.push({
        id: `${a.id}.step.${i}`,
        kind: "step",
        judge,
        unit: { response: s.response, step_index: s.step_index, rating: s.rating as -1 | 0 | 1, error_type: s.error_type ?? null, comment: s.comment },
      }),
    );
    a.regions.forEach((r, i) =>
      out.push({
        id: `${a.id}.region.${i}`,
        kind: "region",
        judge,
        unit: {
          response: r.response,
          shape: r.shape === "polygon" ? "polygon" : "box",
          points: r.points.map((p) => [p[0] ?? 0, p[1] ?? 0] as [number, number]),
          error_type: r.error_type,
          severity: r.severity ?? null,
          comment: r.comment,
        },
      }),
    );
    a.missing_info.forEach((m, i) =>
      out.push({ id: `${a.id}.missing_info.${i}`, kind: "missing_info", judge, unit: { ...m } }),
    );
  }
  return out;
}

export function pending(all: Suggestion[], d: SuggestionDecisions): Suggestion[] {
  const done = new Set([...d.accepted, ...d.rejected]);
  return all.filter((s) => !done.has(s.id));
}

/** The actions that copy a suggestion into one's own units; returns the new local id. */
export function acceptActions(s: Suggestion) {
  switch (s.kind) {
    case "span": {
      const id = localId("s");
      return { id, action: { type: "addSpan" as const, span: { ...s.unit, id } } };
    }
    case "region": {
      const id = localId("r");
      return { id, action: { type: "addRegion" as const, region: { ...s.unit, id } } };
    }
    case "missing_info": {
      const id = localId("m");
      return { id, action: { type: "addMissing" as const, unit: { ...s.unit, id } } };
    }
    case "step":
      return {
        id: `${s.unit.response}:${s.unit.step_index}`,
        action: { type: "rateStep" as const, response: s.unit.response, step_index: s.unit.step_index, rating: s.unit.rating },
        then: { type: "updateStep" as const, response: s.unit.response, step_index: s.unit.step_index, patch: { error_type: s.unit.error_type, comment: s.unit.comment } },
      };
  }
}
