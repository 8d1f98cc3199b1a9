/** Hand-written shapes the schema leaves open (taxonomy and rubric bodies are JSON dicts). */
import type { Schemas } from "@/lib/api/client";

export type UnitKind = "span" | "step" | "region" | "missing_info";

export type ErrorType = {
  key: string;
  name: string;
  description: string;
  color: string;
  hotkey: string;
  severity_levels: string[];
  unit_kinds: UnitKind[];
};

export type RubricLevel = { value: number; label?: string; description?: string };
export type RubricCriterion = { key: string; name: string; description: string; levels: RubricLevel[] };

export type Item = Schemas["ItemOutput"];
export type ResponseOut = Schemas["ResponseOutput"];
export type Annotation = Schemas["AnnotationOutput"];
export type Project = Schemas["ProjectOutput"];

export type Passage = { title?: string; sentences?: string[] };
export type Message = { role?: string; content?: string };

export function errorTypesOf(t: Schemas["TaxonomyOutput"] | null | undefined): ErrorType[] {
  return ((t?.error_types ?? []) as Partial<ErrorType>[]).map((e) => ({
    key: String(e.key ?? ""),
    name: String(e.name ?? e.key ?? ""),
    description: String(e.description ?? ""),
    color: /^#[0-9a-fA-F]{6}$/.test(String(e.color)) ? String(e.color) : "#d62728",
    hotkey: String(e.hotkey ?? ""),
    severity_levels: Array.isArray(e.severity_levels) ? e.severity_levels.map(String) : [],
    unit_kinds: Array.isArray(e.unit_kinds) ? (e.unit_kinds as UnitKind[]) : [],
  }));
}

export function criteriaOf(r: Schemas["RubricOutput"] | null | undefined): RubricCriterion[] {
  return ((r?.criteria ?? []) as Partial<RubricCriterion>[]).map((c) => ({
    key: String(c.key ?? ""),
    name: String(c.name ?? c.key ?? ""),
    description: String(c.description ?? ""),
    levels: Array.isArray(c.levels) ? c.levels : [],
  }));
}

export function appliesTo(et: ErrorType, kind: UnitKind): boolean {
  return et.unit_kinds.length === 0 || et.unit_kinds.includes(kind);
}
