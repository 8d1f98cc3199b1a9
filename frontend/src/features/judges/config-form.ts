/**
 * The judge configuration form and the `config` JSON of each kind (docs/judges.md), both ways,
 * and the API's field errors ({"detail", "errors": [{"field", "message"}]}) keyed by field.
 *
 * Form values are the strings the inputs hold; an empty optional field is left out of the
 * JSON so that the server fills in its default. Ranges are checked by the server (its
 * message is shown next to the field); the form only refuses what cannot be sent at all.
 */
import { ApiError } from "@/lib/api/client";

import type { JudgeKind } from "./api";

export type Values = Record<string, string>;
export type Problems = Record<string, string>;

export type FieldSpec = {
  name: string;
  label: string;
  input: "text" | "number" | "integer" | "select";
  required?: boolean;
  choices?: readonly string[];
  placeholder?: string;
  help?: string;
};

/** The plain fields of the kinds whose config is flat (reward_model and rules have editors). */
export const CONFIG_FIELDS: Record<"openai" | "transformers", FieldSpec[]> = {
  openai: [
    { name: "base_url", label: "Base URL", input: "text", required: true, placeholder: "https://host/v1", help: "OpenAI-compatible; the host must be allowed." },
    { name: "model", label: "Model", input: "text", required: true, placeholder: "e.g. gpt-4o-mini" },
    {
      name: "api_key_env",
      label: "API key variable",
      input: "text",
      placeholder: "FINEGRAIN_JUDGE_KEY_…",
      help: "The NAME of an environment variable of the workers, never the key itself.",
    },
    { name: "temperature", label: "Temperature", input: "number", placeholder: "0" },
    { name: "max_tokens", label: "Max tokens", input: "integer", placeholder: "1024" },
    { name: "max_concurrency", label: "Max concurrency", input: "integer", placeholder: "4" },
    { name: "rate_limit_per_minute", label: "Rate limit (requests/min)", input: "integer", placeholder: "0 = none" },
    { name: "timeout_s", label: "Timeout (s)", input: "number", placeholder: "60" },
    { name: "max_retries", label: "Max retries", input: "integer", placeholder: "3" },
    { name: "retry_backoff_s", label: "Retry backoff (s)", input: "number", placeholder: "1.0" },
    { name: "structured_output", label: "Structured output", input: "select", choices: ["", "json_schema", "json_object", "none"] },
    { name: "max_response_bytes", label: "Max response bytes", input: "integer", placeholder: "server's cap" },
  ],
  transformers: [
    { name: "checkpoint_path", label: "Checkpoint path", input: "text", required: true, placeholder: "/…/var/models/my-judge", help: "Absolute, inside FINEGRAIN_JUDGE_MODEL_DIRS; safetensors only." },
    { name: "device", label: "Device", input: "select", choices: ["", "auto", "cpu", "cuda"] },
    { name: "dtype", label: "Dtype", input: "select", choices: ["", "auto", "float32", "bfloat16", "float16"] },
    { name: "max_new_tokens", label: "Max new tokens", input: "integer", placeholder: "512" },
    { name: "temperature", label: "Temperature", input: "number", placeholder: "0 = greedy" },
    { name: "max_input_tokens", label: "Max input tokens", input: "integer", placeholder: "4096" },
  ],
};

/** One row of the rules editor. */
export type RuleRow = { error_type: string; mode: "pattern" | "words"; pattern: string; words: string; ignore_case: boolean; comment: string };

export const emptyRule = (errorType = ""): RuleRow => ({ error_type: errorType, mode: "words", pattern: "", words: "", ignore_case: true, comment: "" });

/** The whole form: plain values, the rules rows, or the rules as JSON text. */
export type ConfigForm = { values: Values; rules: RuleRow[]; rulesJson: string | null };

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;

export function splitWords(text: string): string[] {
  return text
    .split(",")
    .map((w) => w.trim())
    .filter(Boolean);
}

export function rulesToConfig(rows: RuleRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    error_type: r.error_type,
    ...(r.mode === "pattern" ? { pattern: r.pattern } : { words: splitWords(r.words) }),
    ignore_case: r.ignore_case,
    ...(r.comment ? { comment: r.comment } : {}),
  }));
}

export function rulesFromConfig(rules: unknown): RuleRow[] {
  if (!Array.isArray(rules)) return [];
  return rules.map((raw) => {
    const r = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    const words = Array.isArray(r.words) ? r.words.map(String) : null;
    return {
      error_type: typeof r.error_type === "string" ? r.error_type : "",
      mode: words ? "words" : "pattern",
      pattern: typeof r.pattern === "string" ? r.pattern : "",
      words: words ? words.join(", ") : "",
      ignore_case: r.ignore_case !== false,
      comment: typeof r.comment === "string" ? r.comment : "",
    };
  });
}

/** The rules as the JSON editor shows them (what the table would send). */
export const rulesToJson = (rows: RuleRow[]) => JSON.stringify(rulesToConfig(rows), null, 2);

/** Parse the JSON editor: a list of rules, or `{"rules": [...]}`. */
export function parseRulesJson(text: string): { rules: unknown[] } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && "rules" in parsed) parsed = (parsed as { rules: unknown }).rules;
  if (!Array.isArray(parsed)) return { error: "Give a JSON list of rules: [{\"error_type\": …, \"pattern\" or \"words\": …}]." };
  return { rules: parsed };
}

/** The form as the kind's `config`, or the problems that stop it from being sent. */
export function formToConfig(kind: JudgeKind, form: ConfigForm): { config: Record<string, unknown> | null; problems: Problems } {
  const problems: Problems = {};
  if (kind === "external") return { config: null, problems };
  if (kind === "rules") {
    if (form.rulesJson === null) return { config: { rules: rulesToConfig(form.rules) }, problems };
    const parsed = parseRulesJson(form.rulesJson);
    if ("error" in parsed) return { config: null, problems: { "config.rules": parsed.error } };
    return { config: { rules: parsed.rules }, problems };
  }
  if (kind === "reward_model") {
    const config: Record<string, unknown> = {};
    const id = form.values.reward_model ?? "";
    if (!id) problems["config.reward_model"] = "Pick a reward model.";
    else config.reward_model = Number(id);
    const threshold = (form.values.threshold ?? "").trim();
    config.threshold = null;
    if (threshold) {
      const value = Number(threshold);
      if (!Number.isFinite(value)) problems["config.threshold"] = "Must be a number (or empty: the model's own).";
      else config.threshold = value;
    }
    return { config: Object.keys(problems).length ? null : config, problems };
  }
  const config: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS[kind]) {
    const raw = (form.values[f.name] ?? "").trim();
    const key = `config.${f.name}`;
    if (!raw) {
      if (f.required) problems[key] = "This setting is required.";
      continue;
    }
    if (f.input === "number" || f.input === "integer") {
      const value = Number(raw);
      if (!Number.isFinite(value)) problems[key] = "Must be a number.";
      else if (f.input === "integer" && !Number.isInteger(value)) problems[key] = "Must be a whole number.";
      else config[f.name] = value;
    } else config[f.name] = raw;
  }
  const env = config.api_key_env;
  if (typeof env === "string" && !ENV_NAME.test(env)) {
    // Never send what looks like a key: it would end up in the request log.
    delete config.api_key_env;
    problems["config.api_key_env"] = "Give the NAME of an environment variable (A-Z, 0-9, _), never the key itself.";
  }
  return { config: Object.keys(problems).length ? null : config, problems };
}

/** The form showing a judge's stored `config` (null: nothing configured yet). */
export function configToForm(kind: JudgeKind, config: unknown): ConfigForm {
  const c = (config && typeof config === "object" ? config : {}) as Record<string, unknown>;
  const values: Values = {};
  for (const [k, v] of Object.entries(c)) if (k !== "rules" && v !== null && v !== undefined) values[k] = String(v);
  return { values, rules: kind === "rules" ? rulesFromConfig(c.rules) : [], rulesJson: null };
}

/** The API's answer to a refused write: the summary and the message of each field. */
export type FieldErrors = { detail: string; fields: Record<string, string> };

export function fieldErrorsOf(error: unknown): FieldErrors {
  if (!(error instanceof ApiError)) return { detail: error instanceof Error ? error.message : String(error), fields: {} };
  const body = (error.body ?? {}) as { errors?: { field?: unknown; message?: unknown }[] };
  const fields: Record<string, string> = {};
  for (const e of Array.isArray(body.errors) ? body.errors : []) {
    const field = typeof e.field === "string" ? e.field : "";
    const message = String(e.message ?? "");
    if (field) fields[field] = fields[field] ? `${fields[field]} ${message}` : message;
  }
  return { detail: error.message, fields };
}

/** Field errors none of ``shown`` displays (they go into the form's summary instead). */
export function unshownErrors(errors: Record<string, string>, shown: (field: string) => boolean): [string, string][] {
  return Object.entries(errors).filter(([field]) => !shown(field));
}
