/** The "start a run" form as the API's body: `{task, prompt_template?, filters?, options?}`.
 * Empty fields are left out (no filter, the server's default). */
import type { JudgeTask, RunCreate, RunFilters, RunOptions } from "./api";
import type { Problems } from "./config-form";

export type RunValues = {
  task: JudgeTask;
  prompt_template: string;
  limit: string;
  search: string;
  external_ids: string;
  item_ids: string;
  is_gold: "" | "true" | "false";
  min_annotations: string;
  max_annotations: string;
  annotated_by: string;
  unjudged_only: boolean;
  responses: string;
  criteria: string;
  response_a: string;
  response_b: string;
  criterion: string;
};

export const emptyRunValues = (task: JudgeTask): RunValues => ({
  task,
  prompt_template: "",
  limit: "",
  search: "",
  external_ids: "",
  item_ids: "",
  is_gold: "",
  min_annotations: "",
  max_annotations: "",
  annotated_by: "",
  unjudged_only: false,
  responses: "",
  criteria: "",
  response_a: "",
  response_b: "",
  criterion: "",
});

/** Split a list typed with commas, spaces or new lines. */
export const splitList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

function wholeNumbers(text: string, field: string, min: number, problems: Problems): number[] | undefined {
  const parts = splitList(text);
  if (!parts.length) return undefined;
  const values = parts.map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < min)) {
    problems[field] = `Whole numbers of at least ${min}, separated by commas.`;
    return undefined;
  }
  return values;
}

function wholeNumber(text: string, field: string, min: number, problems: Problems): number | undefined {
  return wholeNumbers(text, field, min, problems)?.[0];
}

export function runBody(v: RunValues): { body: RunCreate | null; problems: Problems } {
  const problems: Problems = {};
  const filters: RunFilters = {};
  const limit = wholeNumber(v.limit, "filters.limit", 1, problems);
  if (limit !== undefined) filters.limit = limit;
  if (v.search.trim()) filters.search = v.search.trim();
  const externalIds = splitList(v.external_ids);
  if (externalIds.length) filters.external_ids = externalIds;
  const itemIds = wholeNumbers(v.item_ids, "filters.item_ids", 1, problems);
  if (itemIds) filters.item_ids = itemIds;
  if (v.is_gold) filters.is_gold = v.is_gold === "true";
  const min = wholeNumber(v.min_annotations, "filters.min_annotations", 0, problems);
  if (min !== undefined) filters.min_annotations = min;
  const max = wholeNumber(v.max_annotations, "filters.max_annotations", 0, problems);
  if (max !== undefined) filters.max_annotations = max;
  if (v.annotated_by.trim()) filters.annotated_by = v.annotated_by.trim();
  if (v.unjudged_only) filters.unjudged_only = true;

  const options: RunOptions = {};
  if (v.task !== "pairwise" && v.task !== "pairwise_graded") {
    const responses = wholeNumbers(v.responses, "options.responses", 0, problems);
    if (responses) options.responses = responses;
  }
  if (v.task === "rubric") {
    const criteria = splitList(v.criteria);
    if (criteria.length) options.criteria = criteria;
  }
  if (v.task === "pairwise" || v.task === "pairwise_graded") {
    const a = wholeNumber(v.response_a, "options.response_a", 0, problems);
    const b = wholeNumber(v.response_b, "options.response_b", 0, problems);
    if (a !== undefined) options.response_a = a;
    if (b !== undefined) options.response_b = b;
    if (v.criterion.trim()) options.criterion = v.criterion.trim();
  }
  if (Object.keys(problems).length) return { body: null, problems };
  const body: RunCreate = { task: v.task };
  if (v.prompt_template) body.prompt_template = v.prompt_template;
  if (Object.keys(filters).length) body.filters = filters;
  if (Object.keys(options).length) body.options = options;
  return { body, problems };
}
