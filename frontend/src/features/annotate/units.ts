/**
 * The draft being edited: every feedback unit of one annotation (DESIGN §2), in wire form
 * (span offsets in code points). Local ids tell units apart in the UI; they never go out.
 */
import type { Annotation } from "@/types";

export type SpanUnit = {
  id: string;
  response: number;
  start: number;
  end: number;
  error_type: string;
  severity: number | null;
  comment: string;
  confidence?: number | null;
};
export type StepUnit = {
  response: number;
  step_index: number;
  rating: -1 | 0 | 1;
  error_type: string | null;
  comment: string;
};
export type RegionUnit = {
  id: string;
  response: number;
  shape: "box" | "polygon";
  points: [number, number][];
  error_type: string;
  severity: number | null;
  comment: string;
};
export type RubricScoreUnit = { response: number; criterion: string; score: number; rationale: string };
export type PreferenceUnit = {
  response_a: number;
  response_b: number;
  value: number;
  rationale: string;
  criterion: string | null;
};
export type CritiqueUnit = { response: number; text: string };
export type MissingInfoUnit = {
  id: string;
  response: number;
  error_type: string;
  passage_index: number | null;
  sentence_indices: number[];
  comment: string;
};

export type Units = {
  spans: SpanUnit[];
  steps: StepUnit[];
  regions: RegionUnit[];
  rubric_scores: RubricScoreUnit[];
  preferences: PreferenceUnit[];
  critiques: CritiqueUnit[];
  missing_info: MissingInfoUnit[];
};

export type SuggestionDecisions = { accepted: string[]; rejected: string[] };

export const emptyUnits = (): Units => ({
  spans: [],
  steps: [],
  regions: [],
  rubric_scores: [],
  preferences: [],
  critiques: [],
  missing_info: [],
});

let counter = 0;
export const localId = (prefix: string) => `${prefix}${++counter}-${Math.random().toString(36).slice(2, 7)}`;

/** Units of an annotation from the API, with local ids. */
export function unitsFromAnnotation(a: Annotation): Units {
  return {
    spans: a.spans.map((s) => ({ ...s, id: localId("s"), severity: s.severity ?? null })),
    steps: a.steps.map((s) => ({
      response: s.response,
      step_index: s.step_index,
      rating: s.rating as -1 | 0 | 1,
      error_type: s.error_type ?? null,
      comment: s.comment,
    })),
    regions: a.regions.map((r) => ({
      id: localId("r"),
      response: r.response,
      shape: r.shape === "polygon" ? "polygon" : "box",
      points: r.points.map((p) => [p[0] ?? 0, p[1] ?? 0] as [number, number]),
      error_type: r.error_type,
      severity: r.severity ?? null,
      comment: r.comment,
    })),
    rubric_scores: a.rubric_scores.map((r) => ({ ...r })),
    preferences: a.preferences.map((p) => ({ ...p, criterion: p.criterion ?? null })),
    critiques: a.critiques.map((c) => ({ ...c })),
    missing_info: a.missing_info.map((m) => ({ ...m, id: localId("m") })),
  };
}

/** The request body's unit lists (local ids stripped, empty optional fields left out). */
export function unitsToWire(u: Units) {
  return {
    spans: u.spans.map(({ response, start, end, error_type, severity, comment }) => ({
      response,
      start,
      end,
      error_type,
      severity,
      comment,
    })),
    steps: u.steps.map((s) => ({ ...s, error_type: s.error_type || null })),
    regions: u.regions.map(({ response, shape, points, error_type, severity, comment }) => ({
      response,
      shape,
      points,
      error_type,
      severity,
      comment,
    })),
    rubric_scores: u.rubric_scores,
    preferences: u.preferences.map((p) => ({ ...p, criterion: p.criterion || null })),
    critiques: u.critiques.filter((c) => c.text.trim() !== ""),
    missing_info: u.missing_info.map(({ response, error_type, passage_index, sentence_indices, comment }) => ({
      response,
      error_type,
      passage_index,
      sentence_indices,
      comment,
    })),
  };
}

export type UnitsAction =
  | { type: "replace"; units: Units }
  | { type: "addSpan"; span: SpanUnit }
  | { type: "updateSpan"; id: string; patch: Partial<SpanUnit> }
  | { type: "deleteSpan"; id: string }
  | { type: "rateStep"; response: number; step_index: number; rating: -1 | 0 | 1 | null; stopAfter?: boolean }
  | { type: "updateStep"; response: number; step_index: number; patch: Partial<StepUnit> }
  | { type: "addRegion"; region: RegionUnit }
  | { type: "updateRegion"; id: string; patch: Partial<RegionUnit> }
  | { type: "deleteRegion"; id: string }
  | { type: "score"; response: number; criterion: string; score: number | null; rationale?: string }
  | { type: "prefer"; response_a: number; response_b: number; criterion: string | null; patch: Partial<PreferenceUnit> | null }
  | { type: "critique"; response: number; text: string }
  | { type: "addMissing"; unit: MissingInfoUnit }
  | { type: "updateMissing"; id: string; patch: Partial<MissingInfoUnit> }
  | { type: "deleteMissing"; id: string };

export function unitsReducer(state: Units, action: UnitsAction): Units {
  switch (action.type) {
    case "replace":
      return action.units;
    case "addSpan":
      return { ...state, spans: [...state.spans, action.span] };
    case "updateSpan":
      return { ...state, spans: state.spans.map((s) => (s.id === action.id ? { ...s, ...action.patch } : s)) };
    case "deleteSpan":
      return { ...state, spans: state.spans.filter((s) => s.id !== action.id) };
    case "rateStep": {
      const { response, step_index, rating } = action;
      let steps = state.steps.filter((s) => !(s.response === response && s.step_index === step_index));
      if (action.stopAfter) steps = steps.filter((s) => !(s.response === response && s.step_index > step_index));
      if (rating !== null) {
        const old = state.steps.find((s) => s.response === response && s.step_index === step_index);
        steps.push({ response, step_index, rating, error_type: old?.error_type ?? null, comment: old?.comment ?? "" });
        steps.sort((a, b) => a.response - b.response || a.step_index - b.step_index);
      }
      return { ...state, steps };
    }
    case "updateStep":
      return {
        ...state,
        steps: state.steps.map((s) =>
          s.response === action.response && s.step_index === action.step_index ? { ...s, ...action.patch } : s,
        ),
      };
    case "addRegion":
      return { ...state, regions: [...state.regions, action.region] };
    case "updateRegion":
      return { ...state, regions: state.regions.map((r) => (r.id === action.id ? { ...r, ...action.patch } : r)) };
    case "deleteRegion":
      return { ...state, regions: state.regions.filter((r) => r.id !== action.id) };
    case "score": {
      const rest = state.rubric_scores.filter((r) => !(r.response === action.response && r.criterion === action.criterion));
      if (action.score === null) return { ...state, rubric_scores: rest };
      const old = state.rubric_scores.find((r) => r.response === action.response && r.criterion === action.criterion);
      return {
        ...state,
        rubric_scores: [
          ...rest,
          {
            response: action.response,
            criterion: action.criterion,
            score: action.score,
            rationale: action.rationale ?? old?.rationale ?? "",
          },
        ],
      };
    }
    case "prefer": {
      const same = (p: PreferenceUnit) =>
        p.response_a === action.response_a && p.response_b === action.response_b && (p.criterion ?? null) === action.criterion;
      const old = state.preferences.find(same);
      const rest = state.preferences.filter((p) => !same(p));
      if (action.patch === null) return { ...state, preferences: rest };
      const next: PreferenceUnit = {
        response_a: action.response_a,
        response_b: action.response_b,
        criterion: action.criterion,
        value: old?.value ?? 0,
        rationale: old?.rationale ?? "",
        ...action.patch,
      };
      return { ...state, preferences: [...rest, next] };
    }
    case "critique": {
      const rest = state.critiques.filter((c) => c.response !== action.response);
      return { ...state, critiques: action.text ? [...rest, { response: action.response, text: action.text }] : rest };
    }
    case "addMissing":
      return { ...state, missing_info: [...state.missing_info, action.unit] };
    case "updateMissing":
      return {
        ...state,
        missing_info: state.missing_info.map((m) => (m.id === action.id ? { ...m, ...action.patch } : m)),
      };
    case "deleteMissing":
      return { ...state, missing_info: state.missing_info.filter((m) => m.id !== action.id) };
  }
}
