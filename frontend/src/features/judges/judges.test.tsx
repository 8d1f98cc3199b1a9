import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ApiError } from "@/lib/api/client";

import type { JudgeResult } from "./api";
import { configToForm, fieldErrorsOf, formToConfig, parseRulesJson, rulesFromConfig, rulesToConfig, unshownErrors, type RuleRow } from "./config-form";
import { JudgeForm } from "./judge-form";
import { emptyRunValues, runBody } from "./run-form";
import { FailureTable } from "./run-page";

const form = (values: Record<string, string>) => ({ values, rules: [], rulesJson: null });

describe("formToConfig", () => {
  it("sends the filled openai fields as numbers and leaves the empty ones to the server", () => {
    const { config, problems } = formToConfig(
      "openai",
      form({ base_url: " https://llm.example/v1 ", model: "m", api_key_env: "FINEGRAIN_JUDGE_KEY_A", temperature: "0.2", max_concurrency: "8", timeout_s: "" }),
    );
    expect(problems).toEqual({});
    expect(config).toEqual({ base_url: "https://llm.example/v1", model: "m", api_key_env: "FINEGRAIN_JUDGE_KEY_A", temperature: 0.2, max_concurrency: 8 });
  });

  it("names the field of a missing, non-numeric or fractional value", () => {
    const { config, problems } = formToConfig("openai", form({ model: "m", temperature: "warm", max_retries: "1.5" }));
    expect(config).toBeNull();
    expect(Object.keys(problems).sort()).toEqual(["config.base_url", "config.max_retries", "config.temperature"]);
  });

  it("never sends something that is not a variable name as api_key_env (a pasted key)", () => {
    const { config, problems } = formToConfig("openai", form({ base_url: "https://x/v1", model: "m", api_key_env: "sk-live-123" }));
    expect(config).toBeNull();
    expect(problems["config.api_key_env"]).toMatch(/NAME of an environment variable/);
  });

  it("maps transformers and reward-model forms", () => {
    expect(formToConfig("transformers", form({ checkpoint_path: "/m/x", device: "cpu", dtype: "" })).config).toEqual({ checkpoint_path: "/m/x", device: "cpu" });
    expect(formToConfig("reward_model", form({ reward_model: "7", threshold: "" })).config).toEqual({ reward_model: 7, threshold: null });
    expect(formToConfig("reward_model", form({ reward_model: "7", threshold: "0.3" })).config).toEqual({ reward_model: 7, threshold: 0.3 });
    expect(formToConfig("reward_model", form({})).problems).toHaveProperty(["config.reward_model"]);
    expect(formToConfig("external", form({})).config).toBeNull();
  });

  it("round-trips a stored config through the form", () => {
    const stored = { base_url: "https://x/v1", model: "m", api_key_env: "", temperature: 0, max_tokens: 1024, structured_output: "json_schema" };
    const back = formToConfig("openai", configToForm("openai", stored)).config;
    expect(back).toEqual({ base_url: "https://x/v1", model: "m", temperature: 0, max_tokens: 1024, structured_output: "json_schema" });
  });
});

describe("rules", () => {
  const rows: RuleRow[] = [
    { error_type: "irrelevant", mode: "words", pattern: "", words: "was portrayed, stars , ", ignore_case: true, comment: "" },
    { error_type: "wrong-grounding", mode: "pattern", pattern: "\\b19\\d\\d\\b", words: "", ignore_case: false, comment: "a year" },
  ];

  it("turns table rows into the rules config and back", () => {
    const config = rulesToConfig(rows);
    expect(config).toEqual([
      { error_type: "irrelevant", words: ["was portrayed", "stars"], ignore_case: true },
      { error_type: "wrong-grounding", pattern: "\\b19\\d\\d\\b", ignore_case: false, comment: "a year" },
    ]);
    // The server stores pattern/words both, one null.
    const stored = config.map((r) => ({ pattern: null, words: null, comment: "", ...r }));
    expect(rulesToConfig(rulesFromConfig(stored))).toEqual(config);
  });

  it("sends the JSON editor's list as written, and refuses what is not a list", () => {
    const text = '{"rules": [{"error_type": "x", "pattern": "a", "extra": 1}]}';
    expect(formToConfig("rules", { values: {}, rules: [], rulesJson: text }).config).toEqual({ rules: [{ error_type: "x", pattern: "a", extra: 1 }] });
    expect(parseRulesJson("{")).toHaveProperty("error");
    expect(formToConfig("rules", { values: {}, rules: [], rulesJson: '{"a": 1}' }).problems).toHaveProperty(["config.rules"]);
  });
});

describe("fieldErrorsOf", () => {
  it("keys the API's errors by field and keeps the summary", () => {
    const body = {
      detail: "config.rules[0].pattern: Not a valid regular expression.",
      errors: [
        { field: "config.rules[0].pattern", message: "Not a valid regular expression." },
        { field: "name", message: "Too long." },
        { field: "name", message: "Blank." },
      ],
    };
    const errors = fieldErrorsOf(new ApiError(400, body));
    expect(errors.detail).toBe(body.detail);
    expect(errors.fields).toEqual({ "config.rules[0].pattern": "Not a valid regular expression.", name: "Too long. Blank." });
    expect(unshownErrors(errors.fields, (f) => f === "name")).toEqual([["config.rules[0].pattern", "Not a valid regular expression."]]);
    expect(fieldErrorsOf(new TypeError("offline"))).toEqual({ detail: "offline", fields: {} });
  });
});

describe("runBody", () => {
  it("sends only the filters and options given", () => {
    expect(runBody(emptyRunValues("spans")).body).toEqual({ task: "spans" });
    const v = { ...emptyRunValues("spans"), limit: "3", external_ids: "a, b\nc", is_gold: "false" as const, responses: "0 1", unjudged_only: true };
    expect(runBody(v).body).toEqual({
      task: "spans",
      filters: { limit: 3, external_ids: ["a", "b", "c"], is_gold: false, unjudged_only: true },
      options: { responses: [0, 1] },
    });
    const pair = { ...emptyRunValues("pairwise"), responses: "4", response_a: "0", response_b: "1" };
    expect(runBody(pair).body).toEqual({ task: "pairwise", options: { response_a: 0, response_b: 1 } });
  });

  it("names a malformed number", () => {
    const { body, problems } = runBody({ ...emptyRunValues("spans"), limit: "0", responses: "a" });
    expect(body).toBeNull();
    expect(Object.keys(problems).sort()).toEqual(["filters.limit", "options.responses"]);
  });
});

describe("FailureTable", () => {
  it("renders reasons, quotes and raw outputs as text", () => {
    const xss = "<img src=x onerror=alert(1)><script>window.x=1</script>";
    const failure = {
      id: 1,
      item: 5,
      item_external_id: xss,
      status: "failed",
      reason: `bad ${xss}`,
      outputs: [xss],
      unplaced: [{ response: 0, quote: xss, reason: "not found" }],
    } as unknown as JudgeResult;
    const { container } = render(<FailureTable projectId={1} failures={[failure]} />);
    expect(container.querySelector("img, script")).toBeNull();
    expect(screen.getByTestId("failure-reason").textContent).toBe(`bad ${xss}`);
  });
});

describe("JudgeForm", () => {
  const types = [{ key: "irrelevant", name: "Irrelevant", description: "", color: "#1f77b4", hotkey: "1", severity_levels: [], unit_kinds: ["span" as const] }];

  it("puts the API's field errors next to their inputs and lists the others", async () => {
    const body = {
      detail: "config.rules[0].words: Must be a list.",
      errors: [
        { field: "config.rules[0].words", message: "Must be a list." },
        { field: "config", message: "this judge carries a reward model's suggestions." },
      ],
    };
    const saved: unknown[] = [];
    const onSave = (b: unknown) => {
      saved.push(b);
      return Promise.reject(new ApiError(400, body));
    };
    render(<JudgeForm errorTypes={types} rewardModels={[]} allowedHosts={[]} onSave={onSave} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "r" } });
    fireEvent.change(screen.getByLabelText("Words of rule 1"), { target: { value: "a, b" } });
    fireEvent.click(screen.getByRole("button", { name: "Create judge" }));
    await waitFor(() => expect(screen.getByLabelText("Words of rule 1").getAttribute("aria-invalid")).toBe("true"));
    expect(saved).toEqual([{ name: "r", kind: "rules", config: { rules: [{ error_type: "irrelevant", words: ["a", "b"], ignore_case: true }] } }]);
    expect(document.getElementById("err-config.rules[0].words")?.textContent).toBe("Must be a list.");
    expect(screen.getByTestId("judge-form-error").textContent).toBe("config: this judge carries a reward model's suggestions.");
  });
});
