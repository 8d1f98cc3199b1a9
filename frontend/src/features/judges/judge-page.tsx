/** One judge: its configuration (admins edit it), a form to start a run, and its runs. */
import { useState, type FormEvent } from "react";

import { getProjectSetup } from "@/features/projects/api";
import { ProjectNav } from "@/features/projects/project-nav";
import { Progress } from "@/features/projects/projects-page";
import { getRewardModels } from "@/features/training/api";
import { Link, useRouter } from "@/lib/router";
import { useAsync } from "@/lib/use-async";

import { getAllowedHosts, getJudge, getPromptTemplates, getRuns, runFinished, startRun, updateJudge, type Judge, type JudgeTask, type PromptTemplate } from "./api";
import { fieldErrorsOf, type FieldErrors } from "./config-form";
import { JudgeForm } from "./judge-form";
import { StatusBadge } from "./judges-page";
import { emptyRunValues, runBody, type RunValues } from "./run-form";
import { usePoll } from "./use-poll";
import "./judges.css";

const POLL_MS = 1500;

function ConfigSummary({ judge }: { judge: Judge }) {
  const config = judge.config as Record<string, unknown> | null;
  if (!config) return <p className="muted">{judge.kind === "external" ? "External judges write through the bulk API and have no configuration." : "Not configured yet: a judge needs a configuration to run."}</p>;
  const rules = Array.isArray(config.rules) ? (config.rules as Record<string, unknown>[]) : null;
  if (rules)
    return (
      <table className="table" aria-label="Rules">
        <thead>
          <tr>
            <th>Error type</th>
            <th>Pattern or words</th>
            <th>Ignore case</th>
            <th>Comment</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={i}>
              <td className="plain">{String(r.error_type ?? "")}</td>
              <td className="plain mono">{Array.isArray(r.words) ? r.words.map(String).join(", ") : String(r.pattern ?? "")}</td>
              <td>{r.ignore_case === false ? "no" : "yes"}</td>
              <td className="plain">{String(r.comment ?? "")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  return (
    <dl className="counts jr-config">
      {Object.entries(config).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="plain">{v === null || v === undefined || v === "" ? "—" : String(v)}</dd>
        </div>
      ))}
      {judge.api_key_env_set !== null && (
        <div>
          <dt>key variable set (web process)</dt>
          <dd>{judge.api_key_env_set ? "yes" : "no"}</dd>
        </div>
      )}
    </dl>
  );
}

function RunForm({ projectId, judge, templates }: { projectId: number; judge: Judge; templates: PromptTemplate[] }) {
  const { navigate } = useRouter();
  const [v, setV] = useState<RunValues>(() => emptyRunValues((judge.tasks[0] ?? "spans") as JudgeTask));
  const [errors, setErrors] = useState<FieldErrors>({ detail: "", fields: {} });
  const [busy, setBusy] = useState(false);
  const set = (p: Partial<RunValues>) => setV({ ...v, ...p });
  const usesPrompt = judge.kind === "openai" || judge.kind === "transformers";
  const pairwise = v.task === "pairwise" || v.task === "pairwise_graded";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, problems } = runBody(v);
    if (!body) return setErrors({ detail: "Fix the marked fields.", fields: problems });
    setBusy(true);
    setErrors({ detail: "", fields: {} });
    try {
      const run = await startRun(projectId, judge.id, body);
      navigate(`/projects/${projectId}/judges/${judge.id}/runs/${run.id}`);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
      setBusy(false);
    }
  };
  const err = (name: string) =>
    errors.fields[name] ? (
      <span className="field-error error plain" role="alert">
        {errors.fields[name]}
      </span>
    ) : null;
  const num = (name: keyof RunValues, label: string, field: string, placeholder = "") => (
    <label className="jf-field">
      <span className="jf-label">{label}</span>
      <input aria-label={label} inputMode="numeric" placeholder={placeholder} value={String(v[name])} onChange={(e) => set({ [name]: e.target.value })} />
      {err(field)}
    </label>
  );
  return (
    <form className="card jf" onSubmit={submit} aria-label="Start a run" noValidate>
      <div className="jf-grid">
        <label className="jf-field">
          <span className="jf-label">Task</span>
          <select aria-label="Task" value={v.task} onChange={(e) => set({ task: e.target.value as JudgeTask, prompt_template: "" })}>
            {judge.tasks.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          {err("task")}
        </label>
        {usesPrompt && (
          <label className="jf-field">
            <span className="jf-label">Prompt template</span>
            <select aria-label="Prompt template" value={v.prompt_template} onChange={(e) => set({ prompt_template: e.target.value })}>
              <option value="">latest shipped</option>
              {templates
                .filter((t) => t.task === v.task)
                .map((t) => (
                  <option key={t.version} value={t.version}>
                    {t.version} ({t.source})
                  </option>
                ))}
            </select>
            {err("prompt_template")}
          </label>
        )}
        {num("limit", "First n items", "filters.limit", "all")}
        <label className="jf-field">
          <span className="jf-label">Search</span>
          <input aria-label="Search" value={v.search} onChange={(e) => set({ search: e.target.value })} placeholder="text in the prompt" />
          {err("filters.search")}
        </label>
        <label className="jf-field">
          <span className="jf-label">External ids</span>
          <input aria-label="External ids" value={v.external_ids} onChange={(e) => set({ external_ids: e.target.value })} placeholder="comma-separated" />
          {err("filters.external_ids")}
        </label>
        <label className="jf-field">
          <span className="jf-label">Gold items</span>
          <select aria-label="Gold items" value={v.is_gold} onChange={(e) => set({ is_gold: e.target.value as RunValues["is_gold"] })}>
            <option value="">gold and not</option>
            <option value="true">gold only</option>
            <option value="false">not gold</option>
          </select>
        </label>
        {num("min_annotations", "Min. annotations", "filters.min_annotations")}
        {num("max_annotations", "Max. annotations", "filters.max_annotations")}
        <label className="jf-field">
          <span className="jf-label">Annotated by</span>
          <input aria-label="Annotated by" value={v.annotated_by} onChange={(e) => set({ annotated_by: e.target.value })} placeholder="username" />
          {err("filters.annotated_by")}
        </label>
        {!pairwise && num("responses", "Responses", "options.responses", "all of the kind, e.g. 0, 1")}
        {v.task === "rubric" && (
          <label className="jf-field">
            <span className="jf-label">Criteria</span>
            <input aria-label="Criteria" value={v.criteria} onChange={(e) => set({ criteria: e.target.value })} placeholder="all" />
            {err("options.criteria")}
          </label>
        )}
        {pairwise && num("response_a", "Response A", "options.response_a", "0")}
        {pairwise && num("response_b", "Response B", "options.response_b", "1")}
        {pairwise && (
          <label className="jf-field">
            <span className="jf-label">Criterion</span>
            <input aria-label="Criterion" value={v.criterion} onChange={(e) => set({ criterion: e.target.value })} placeholder="overall" />
            {err("options.criterion")}
          </label>
        )}
        <label className="jf-field jf-check">
          <input type="checkbox" checked={v.unjudged_only} onChange={(e) => set({ unjudged_only: e.target.checked })} /> Skip items this judge already annotated
        </label>
      </div>
      {errors.detail && (
        <p className="error plain" role="alert" data-testid="run-form-error">
          {errors.detail}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Start run
        </button>
      </div>
    </form>
  );
}

export function JudgePage({ projectId, judgeId }: { projectId: number; judgeId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const judge = useAsync(() => getJudge(projectId, judgeId), [projectId, judgeId]);
  const runs = useAsync(() => getRuns(projectId, judgeId), [projectId, judgeId]);
  const isAdmin = setup.data?.project.role === "admin";
  const templates = useAsync(async () => (isAdmin ? getPromptTemplates(projectId) : []), [projectId, isAdmin]);
  const rewardModels = useAsync(async () => (isAdmin ? getRewardModels(projectId) : []), [projectId, isAdmin]);
  const hosts = useAsync(async () => (isAdmin ? getAllowedHosts(projectId) : null), [projectId, isAdmin]);
  const [editing, setEditing] = useState(false);
  const busy = (runs.data ?? []).some((r) => !runFinished(r.status));
  usePoll(busy, runs.reload, POLL_MS);
  if (setup.error || judge.error) return <main className="page"><p className="error">{(setup.error ?? judge.error)!.message}</p></main>;
  if (!setup.data || !judge.data) return <main className="page"><p className="muted">Loading…</p></main>;
  const j = judge.data;
  const base = `/projects/${projectId}/judges/${j.id}`;
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page" data-testid="judge">
        <p>
          <Link to={`/projects/${projectId}/judges`}>← judges</Link>
        </p>
        <h1 className="plain">
          {j.name} <span className="badge">{j.kind}</span>
        </h1>
        <p className="muted">
          model <span className="plain">{j.model_name || "—"}</span>
          {j.prompt_version ? (
            <>
              {" "}
              · prompt <span className="plain">{j.prompt_version}</span>
            </>
          ) : null}{" "}
          · tasks {j.tasks.join(", ") || "none"} · <Link to={`${base}/calibration`}>Calibration against humans</Link>
        </p>
        <section>
          <h2>Configuration</h2>
          {editing ? (
            <JudgeForm
              judge={j}
              errorTypes={setup.data.errorTypes}
              rewardModels={rewardModels.data ?? []}
              allowedHosts={hosts.data?.hosts ?? []}
              onCancel={() => setEditing(false)}
              onSave={async (body) => {
                await updateJudge(projectId, j.id, body);
                setEditing(false);
                judge.reload();
              }}
            />
          ) : (
            <>
              <ConfigSummary judge={j} />
              {j.suggestions_of_reward_model && (
                <p className="muted">
                  This judge carries the suggestions of a reward model (Training page); create a reward_model judge to run that model on items.
                </p>
              )}
              {isAdmin && j.configurable && (
                <div className="actions">
                  <button type="button" onClick={() => setEditing(true)}>
                    Edit configuration
                  </button>
                </div>
              )}
            </>
          )}
        </section>
        {isAdmin && j.config && j.tasks.length > 0 && !editing && (
          <section>
            <h2>Start a run</h2>
            <RunForm projectId={projectId} judge={j} templates={templates.data ?? []} />
          </section>
        )}
        <section>
          <h2>Runs</h2>
          {runs.error && <p className="error">{runs.error.message}</p>}
          <table className="table" data-testid="judge-runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Task</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Succeeded</th>
                <th>Failed</th>
                <th>Tokens (prompt / completion)</th>
                <th>Started by</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {(runs.data ?? [])
                .slice()
                .reverse()
                .map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link to={`${base}/runs/${r.id}`}>run {r.id}</Link>
                    </td>
                    <td>{r.task}</td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>
                      <Progress done={r.processed} total={r.total} label={`Run ${r.id} progress`} />
                    </td>
                    <td>{r.succeeded_count}</td>
                    <td className={r.failed_count ? "error" : ""}>{r.failed_count}</td>
                    <td>
                      {r.prompt_tokens} / {r.completion_tokens}
                    </td>
                    <td className="plain">{r.created_by}</td>
                    <td>{new Date(r.created_at).toLocaleString()}</td>
                  </tr>
                ))}
              {runs.data?.length === 0 && (
                <tr>
                  <td colSpan={9} className="muted">
                    No runs yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </section>
      </main>
    </>
  );
}
