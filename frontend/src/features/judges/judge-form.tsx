/** Create or edit a judge: name, kind and the kind's configuration, with the API's field
 * errors shown next to the fields they name. */
import { useState, type FormEvent, type ReactNode } from "react";

import type { RewardModel } from "@/features/training/api";
import type { ErrorType } from "@/types";

import type { Judge, JudgeKind, JudgeWrite } from "./api";
import {
  CONFIG_FIELDS,
  configToForm,
  emptyRule,
  fieldErrorsOf,
  formToConfig,
  parseRulesJson,
  rulesFromConfig,
  rulesToJson,
  unshownErrors,
  type ConfigForm,
  type FieldErrors,
  type FieldSpec,
  type RuleRow,
} from "./config-form";

export const KINDS: [JudgeKind, string][] = [
  ["rules", "Patterns and word lists mapped to error types; no model, no network."],
  ["openai", "Any OpenAI-compatible chat-completions endpoint: vLLM, Ollama, TGI, hosted APIs."],
  ["transformers", "A local Hugging Face checkpoint, run on the scoring workers."],
  ["reward_model", "A span or step reward model of this project marks spans or rates steps."],
  ["external", "Writes through the bulk annotations API; no configuration."],
];


const NO_ERRORS: FieldErrors = { detail: "", fields: {} };

function FieldError({ errors, name }: { errors: FieldErrors; name: string }) {
  const message = errors.fields[name];
  return message ? (
    <span className="field-error error plain" id={`err-${name}`} role="alert">
      {message}
    </span>
  ) : null;
}

/** Props that tie an input to its error message (aria-invalid, aria-describedby). */
const invalid = (errors: FieldErrors, name: string) =>
  errors.fields[name] ? { "aria-invalid": true as const, "aria-describedby": `err-${name}` } : {};

function Field(props: { label: string; errors: FieldErrors; name: string; help?: string; children: ReactNode }) {
  return (
    <div className="jf-field">
      <label>
        <span className="jf-label">{props.label}</span>
        {props.children}
      </label>
      {props.help && <span className="muted small">{props.help}</span>}
      <FieldError errors={props.errors} name={props.name} />
    </div>
  );
}

function PlainField({ spec, value, onChange, errors }: { spec: FieldSpec; value: string; onChange: (v: string) => void; errors: FieldErrors }) {
  const name = `config.${spec.name}`;
  const label = spec.required ? `${spec.label} *` : spec.label;
  return (
    <Field label={label} errors={errors} name={name} help={spec.help}>
      {spec.input === "select" ? (
        <select aria-label={spec.label} value={value} onChange={(e) => onChange(e.target.value)} {...invalid(errors, name)}>
          {(spec.choices ?? []).map((c) => (
            <option key={c} value={c}>
              {c || "default"}
            </option>
          ))}
        </select>
      ) : (
        <input
          aria-label={spec.label}
          value={value}
          placeholder={spec.placeholder}
          inputMode={spec.input === "text" ? undefined : "decimal"}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => onChange(e.target.value)}
          {...invalid(errors, name)}
        />
      )}
    </Field>
  );
}

function RulesEditor(props: { form: ConfigForm; setForm: (f: ConfigForm) => void; errorTypes: ErrorType[]; errors: FieldErrors }) {
  const { form, setForm, errors, errorTypes } = props;
  const [jsonProblem, setJsonProblem] = useState("");
  const rows = form.rules;
  const patch = (i: number, p: Partial<RuleRow>) => setForm({ ...form, rules: rows.map((r, j) => (j === i ? { ...r, ...p } : r)) });
  const toJson = () => {
    setJsonProblem("");
    setForm({ ...form, rulesJson: rulesToJson(rows) });
  };
  const toTable = () => {
    const parsed = parseRulesJson(form.rulesJson ?? "[]");
    if ("error" in parsed) return setJsonProblem(parsed.error);
    setJsonProblem("");
    setForm({ ...form, rules: rulesFromConfig(parsed.rules), rulesJson: null });
  };
  if (form.rulesJson !== null) {
    const listed = Object.entries(errors.fields).filter(([f]) => f.startsWith("config.rules"));
    return (
      <div className="jf-rules">
        <div className="actions">
          <button type="button" onClick={toTable}>
            Edit as a table
          </button>
        </div>
        <textarea
          aria-label="Rules as JSON"
          rows={10}
          spellCheck={false}
          className="mono"
          value={form.rulesJson}
          onChange={(e) => setForm({ ...form, rulesJson: e.target.value })}
          {...invalid(errors, "config.rules")}
        />
        {jsonProblem && <p className="error">{jsonProblem}</p>}
        {listed.map(([field, message]) => (
          <p key={field} className="field-error error plain" role="alert">
            {field}: {message}
          </p>
        ))}
      </div>
    );
  }
  const spanTypes = errorTypes.filter((t) => !t.unit_kinds.length || t.unit_kinds.includes("span") || t.unit_kinds.includes("step"));
  return (
    <div className="jf-rules">
      <table className="table editor" aria-label="Rules">
        <thead>
          <tr>
            <th>Error type</th>
            <th>Match</th>
            <th>Pattern (Python regex) or words (comma-separated)</th>
            <th>Ignore case</th>
            <th>Comment</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const at = `config.rules[${i}]`;
            return (
              <tr key={i}>
                <td>
                  <select aria-label={`Error type of rule ${i + 1}`} value={r.error_type} onChange={(e) => patch(i, { error_type: e.target.value })} {...invalid(errors, `${at}.error_type`)}>
                    <option value="">—</option>
                    {spanTypes.map((t) => (
                      <option key={t.key} value={t.key}>
                        {t.name}
                      </option>
                    ))}
                    {r.error_type && !spanTypes.some((t) => t.key === r.error_type) && <option value={r.error_type}>{r.error_type} (not in the taxonomy)</option>}
                  </select>
                  <FieldError errors={errors} name={`${at}.error_type`} />
                </td>
                <td>
                  <select aria-label={`Match of rule ${i + 1}`} value={r.mode} onChange={(e) => patch(i, { mode: e.target.value as RuleRow["mode"] })}>
                    <option value="words">words</option>
                    <option value="pattern">pattern</option>
                  </select>
                </td>
                <td>
                  {r.mode === "pattern" ? (
                    <input
                      className="mono jf-wide"
                      aria-label={`Pattern of rule ${i + 1}`}
                      value={r.pattern}
                      spellCheck={false}
                      onChange={(e) => patch(i, { pattern: e.target.value })}
                      {...invalid(errors, `${at}.pattern`)}
                    />
                  ) : (
                    <input
                      className="jf-wide"
                      aria-label={`Words of rule ${i + 1}`}
                      value={r.words}
                      onChange={(e) => patch(i, { words: e.target.value })}
                      {...invalid(errors, `${at}.words`)}
                    />
                  )}
                  <FieldError errors={errors} name={`${at}.pattern`} />
                  <FieldError errors={errors} name={`${at}.words`} />
                  <FieldError errors={errors} name={at} />
                </td>
                <td>
                  <input type="checkbox" aria-label={`Ignore case in rule ${i + 1}`} checked={r.ignore_case} onChange={(e) => patch(i, { ignore_case: e.target.checked })} />
                </td>
                <td>
                  <input aria-label={`Comment of rule ${i + 1}`} value={r.comment} onChange={(e) => patch(i, { comment: e.target.value })} />
                  <FieldError errors={errors} name={`${at}.comment`} />
                </td>
                <td>
                  <button type="button" aria-label={`Remove rule ${i + 1}`} onClick={() => setForm({ ...form, rules: rows.filter((_, j) => j !== i) })}>
                    ×
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" onClick={() => setForm({ ...form, rules: [...rows, emptyRule(spanTypes[0]?.key)] })}>
          + Rule
        </button>
        <button type="button" onClick={toJson}>
          Edit as JSON
        </button>
      </div>
      <FieldError errors={errors} name="config.rules" />
    </div>
  );
}

/** Whether the form shows ``field``'s error next to an input (else it goes in the summary). */
function shownBy(kind: JudgeKind) {
  return (field: string) => {
    if (["name", "model_name", "kind"].includes(field)) return true;
    if (kind === "rules") return field.startsWith("config.rules");
    if (kind === "reward_model") return field === "config.reward_model" || field === "config.threshold";
    if (kind === "openai" || kind === "transformers") return CONFIG_FIELDS[kind].some((f) => field === `config.${f.name}`);
    return false;
  };
}

export function JudgeForm(props: {
  judge?: Judge;
  errorTypes: ErrorType[];
  rewardModels: RewardModel[];
  allowedHosts: string[];
  onSave: (body: JudgeWrite) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const { judge } = props;
  const [name, setName] = useState(judge?.name ?? "");
  const [kind, setKind] = useState<JudgeKind>(judge?.kind ?? "rules");
  const [modelName, setModelName] = useState(judge?.model_name ?? "");
  const [form, setForm] = useState<ConfigForm>(() => {
    const f = configToForm(kind, judge?.config ?? null);
    return kind === "rules" && !judge ? { ...f, rules: [emptyRule(props.errorTypes.find((t) => t.unit_kinds.includes("span"))?.key)] } : f;
  });
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const changeKind = (k: JudgeKind) => {
    setKind(k);
    setErrors(NO_ERRORS);
    setForm(k === "rules" ? { values: {}, rules: [emptyRule(props.errorTypes.find((t) => t.unit_kinds.includes("span"))?.key)], rulesJson: null } : configToForm(k, null));
  };
  const setValue = (key: string, value: string) => setForm({ ...form, values: { ...form.values, [key]: value } });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved("");
    const { config, problems } = formToConfig(kind, form);
    if (Object.keys(problems).length) {
      setErrors({ detail: "Fix the marked fields.", fields: problems });
      return;
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const takesModelName = kind !== "openai";
      await props.onSave({ name, kind, ...(takesModelName && modelName ? { model_name: modelName } : {}), config });
      setSaved(judge ? "Saved." : "");
    } catch (err) {
      setErrors(fieldErrorsOf(err));
    } finally {
      setBusy(false);
    }
  };
  const unshown = unshownErrors(errors.fields, shownBy(kind));
  // Errors no input shows are listed; without any field error the summary is the detail.
  const summary = !errors.detail || unshown.length ? "" : Object.keys(errors.fields).length ? "Fix the marked fields." : errors.detail;
  return (
    <form className="card jf" onSubmit={submit} aria-label={judge ? `Edit judge ${judge.name}` : "New judge"} noValidate>
      <div className="jf-grid">
        <Field label="Name *" errors={errors} name="name">
          <input aria-label="Name" value={name} maxLength={120} onChange={(e) => setName(e.target.value)} {...invalid(errors, "name")} />
        </Field>
        <Field label="Kind" errors={errors} name="kind" help={KINDS.find(([k]) => k === kind)?.[1]}>
          <select aria-label="Kind" value={kind} disabled={!!judge} onChange={(e) => changeKind(e.target.value as JudgeKind)}>
            {KINDS.map(([k]) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </Field>
        {kind !== "openai" && (
          <Field label="Model name" errors={errors} name="model_name" help="Optional; recorded on every annotation.">
            <input aria-label="Model name" value={modelName} maxLength={200} onChange={(e) => setModelName(e.target.value)} {...invalid(errors, "model_name")} />
          </Field>
        )}
      </div>
      {(kind === "openai" || kind === "transformers") && (
        <div className="jf-grid">
          {CONFIG_FIELDS[kind].map((spec) => (
            <PlainField key={spec.name} spec={spec} value={form.values[spec.name] ?? ""} onChange={(v) => setValue(spec.name, v)} errors={errors} />
          ))}
        </div>
      )}
      {kind === "openai" && (
        <p className="muted small">
          Allowed hosts: <span className="plain">{props.allowedHosts.length ? props.allowedHosts.join(", ") : "none (a site admin sets them)"}</span>
        </p>
      )}
      {kind === "reward_model" && (
        <div className="jf-grid">
          <Field label="Reward model *" errors={errors} name="config.reward_model" help="A span or step model; it scores with its active version.">
            <select aria-label="Reward model" value={form.values.reward_model ?? ""} onChange={(e) => setValue("reward_model", e.target.value)} {...invalid(errors, "config.reward_model")}>
              <option value="">—</option>
              {props.rewardModels
                .filter((m) => m.kind === "span" || m.kind === "step")
                .map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name} ({m.kind}
                    {m.active_version ? `, v${m.active_version.number} active` : ", no active version"})
                  </option>
                ))}
            </select>
          </Field>
          <Field label="Threshold" errors={errors} name="config.threshold" help="P(error) above which a segment is a span; empty: the model's own.">
            <input aria-label="Threshold" inputMode="decimal" placeholder="model's own" value={form.values.threshold ?? ""} onChange={(e) => setValue("threshold", e.target.value)} {...invalid(errors, "config.threshold")} />
          </Field>
        </div>
      )}
      {kind === "rules" && <RulesEditor form={form} setForm={setForm} errorTypes={props.errorTypes} errors={errors} />}
      {(summary || unshown.length > 0) && (
        <div className="error" role="alert" data-testid="judge-form-error">
          {summary && <span className="plain">{summary}</span>}
          {unshown.length > 0 && (
            <ul>
              {unshown.map(([field, message]) => (
                <li key={field} className="plain">
                  {field}: {message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !name.trim()}>
          {judge ? "Save judge" : "Create judge"}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        {saved && (
          <span role="status" className="muted">
            {saved}
          </span>
        )}
      </div>
    </form>
  );
}
