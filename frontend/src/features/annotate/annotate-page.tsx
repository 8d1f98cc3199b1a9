/**
 * The annotate view for one item: prompt and context on the left, the responses in the middle
 * (text spans, steps, image regions, critiques), and on the right the error-type legend,
 * machine suggestions, rubric, pairwise preference and missing information. The draft autosaves
 * (use-draft-sync); ctrl+Enter submits and moves to the next item of the queue.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";

import { Dialog } from "@/components/dialog";
import { api, allPages, isNetworkError, unwrap } from "@/lib/api/client";
import { comboOf, isTypingTarget, worksWhileTyping } from "@/lib/keys";
import { Markdown } from "@/lib/markdown";
import { useRouter } from "@/lib/router";
import { useAsync } from "@/lib/use-async";
import { appliesTo, type Annotation, type ErrorType, type Item, type Passage } from "@/types";

import { getProjectSetup, username, type ProjectSetup } from "../projects/api";
import { ContextPanel } from "./components/context-panel";
import { ImageResponse } from "./components/image-response";
import { MissingInfoPanel } from "./components/missing-info-panel";
import { PairwisePanel } from "./components/pairwise-panel";
import { RubricPanel } from "./components/rubric-panel";
import { ShortcutOverlay } from "./components/shortcut-overlay";
import { SpanEditor } from "./components/span-editor";
import { StepsResponse } from "./components/steps-response";
import { SuggestionsPanel } from "./components/suggestions-panel";
import { TextResponse, type ShownSpan } from "./components/text-response";
import { useActiveTime } from "./hooks/use-active-time";
import { useDraftSync, type SyncStatus } from "./hooks/use-draft-sync";
import { SHORTCUTS } from "./shortcuts";
import { acceptActions, pending, suggestionsOf, type Suggestion } from "./suggestions";
import { emptyUnits, localId, unitsFromAnnotation, unitsReducer, type SuggestionDecisions, type UnitsAction } from "./units";

const historyKey = (projectId: number) => `finegrain:history:${projectId}`;

function readHistory(projectId: number): number[] {
  try {
    return JSON.parse(sessionStorage.getItem(historyKey(projectId)) ?? "[]") as number[];
  } catch {
    return [];
  }
}

/** Lease the next item and open it; 204 means the queue is empty for me. */
export async function openNextItem(projectId: number, navigate: (to: string, replace?: boolean) => void, replace = false) {
  const { data, response } = await api.POST("/api/v1/projects/{project_id}/items/next/", {
    params: { path: { project_id: projectId } },
  });
  if (response.status === 204 || !data) {
    navigate(`/projects/${projectId}/annotate/done`, replace);
    return;
  }
  navigate(`/projects/${projectId}/annotate/${data.item.id}`, replace);
}

export function AnnotateQueuePage({ projectId }: { projectId: number }) {
  const { navigate } = useRouter();
  const [error, setError] = useState("");
  useEffect(() => {
    openNextItem(projectId, navigate, true).catch((e: unknown) =>
      setError(isNetworkError(e) ? "Offline: cannot fetch the next item." : String((e as Error).message ?? e)),
    );
  }, [projectId, navigate]);
  return <main className="page">{error ? <p className="error">{error}</p> : <p className="muted">Finding the next item…</p>}</main>;
}

export function QueueDonePage({ projectId }: { projectId: number }) {
  const { navigate } = useRouter();
  return (
    <main className="page narrow">
      <h1>Nothing left in your queue</h1>
      <p>Every item of this project has the annotations it needs, or is being labelled by someone else.</p>
      <button type="button" onClick={() => void openNextItem(projectId, navigate)}>
        Check again
      </button>{" "}
      <button type="button" onClick={() => navigate(`/projects/${projectId}`)}>
        Project dashboard
      </button>
    </main>
  );
}

export function AnnotatePage({ projectId, itemId }: { projectId: number; itemId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const item = useAsync(
    () => unwrap(api.GET("/api/v1/projects/{project_id}/items/{id}/", { params: { path: { project_id: projectId, id: itemId } } })),
    [projectId, itemId],
  );
  const machine = useAsync(
    () =>
      allPages(
        api.GET("/api/v1/projects/{project_id}/annotations/", {
          params: { path: { project_id: projectId }, query: { item: itemId, source: "machine" } },
        }),
      ),
    [projectId, itemId],
  );
  const failed = setup.error ?? item.error;
  if (failed) return <main className="page"><p className="error">Could not load: {failed.message}</p></main>;
  // useAsync keeps the previous data until the new load answers: an Annotator started on
  // another item's data would sync that item's draft (and then send it as this one's).
  if (!setup.data || !item.data || item.data.id !== itemId) return <main className="page"><p className="muted">Loading…</p></main>;
  const suggestions = (machine.data ?? []).filter((a) => a.item === itemId);
  return <Annotator key={itemId} projectId={projectId} setup={setup.data} item={item.data} machine={suggestions} />;
}

function statusText(s: SyncStatus): string {
  return {
    loading: "loading…",
    idle: "not saved yet",
    dirty: "unsaved changes",
    saving: "saving…",
    saved: "saved",
    offline: "offline — kept locally",
    error: "save failed",
    conflict: "conflict",
  }[s];
}

function Annotator({ projectId, setup, item, machine }: { projectId: number; setup: ProjectSetup; item: Item; machine: Annotation[] }) {
  const { navigate } = useRouter();
  const { errorTypes, criteria, project } = setup;
  const [units, dispatchRaw] = useReducer(unitsReducer, undefined, emptyUnits);
  const [decisions, setDecisions] = useState<SuggestionDecisions>({ accepted: [], rejected: [] });
  const [focusedSpan, setFocusedSpan] = useState<string | null>(null);
  const [editSpan, setEditSpan] = useState(false);
  const [snapWords, setSnapWords] = useState(false);
  const [help, setHelp] = useState(false);
  const [guidelines, setGuidelines] = useState(false);
  const [activeMissing, setActiveMissing] = useState<string | null>(null);
  const [message, setMessage] = useState("");
  const elapsed = useActiveTime(item.id);
  const base = useRef(0);
  const loadedUnits = useRef(false);
  const changed = useRef(0);
  // Nothing is editable until the draft is known: an edit made earlier would be replaced.
  const [ready, setReady] = useState(false);

  const unitsRef = useRef(units);
  unitsRef.current = units;
  const decisionsRef = useRef(decisions);
  decisionsRef.current = decisions;
  const snapshot = useCallback(
    () => ({ units: unitsRef.current, decisions: decisionsRef.current, time_spent_ms: base.current + elapsed() }),
    [elapsed],
  );
  const sync = useDraftSync({ projectId, itemId: item.id, username: username(), snapshot });

  // Start from the server copy (or the unsent local record) once it is known.
  useEffect(() => {
    if (!sync.initial || loadedUnits.current) return;
    loadedUnits.current = true;
    base.current = sync.initial.time_spent_ms;
    // Unsent work recovered from this browser counts as a change, so it is sent.
    if (sync.recovered) changed.current++;
    dispatchRaw({ type: "replace", units: sync.initial.units });
    setDecisions(sync.initial.decisions);
    setReady(true);
  }, [sync.initial, sync.recovered]);

  const dispatch = useCallback((a: UnitsAction) => {
    changed.current++;
    dispatchRaw(a);
  }, []);
  const lastSeen = useRef(0);
  const { markDirty } = sync;
  useEffect(() => {
    if (changed.current !== lastSeen.current) {
      lastSeen.current = changed.current;
      markDirty();
    }
  }, [units, decisions, markDirty]);

  // Remember the path through the queue for "go back".
  useEffect(() => {
    const h = readHistory(projectId).filter((id) => id !== item.id);
    h.push(item.id);
    sessionStorage.setItem(historyKey(projectId), JSON.stringify(h.slice(-50)));
  }, [projectId, item.id]);

  const allSuggestions = useMemo(() => suggestionsOf(machine), [machine]);
  const open = useMemo(() => pending(allSuggestions, decisions), [allSuggestions, decisions]);
  const decide = (s: Suggestion, accepted: boolean) => {
    changed.current++;
    setDecisions((d) => ({
      accepted: accepted ? [...d.accepted, s.id] : d.accepted,
      rejected: accepted ? d.rejected : [...d.rejected, s.id],
    }));
  };
  const accept = (s: Suggestion, edit = false) => {
    const a = acceptActions(s);
    dispatch(a.action);
    if ("then" in a && a.then) dispatch(a.then);
    decide(s, true);
    if (s.kind === "span") {
      setFocusedSpan(a.id);
      setEditSpan(edit);
    }
  };
  const acceptAll = () => open.forEach((s) => accept(s));
  const findSuggestion = (id: string) => open.find((s) => s.id === id);

  const submit = async () => {
    const result = await sync.saveNow("submitted");
    if (result && result.status === "submitted") {
      localStorage.removeItem(`finegrain:draft:${projectId}:${item.id}`);
      setMessage("Submitted.");
      try {
        await openNextItem(projectId, navigate);
      } catch {
        setMessage("Submitted. Could not fetch the next item.");
      }
    }
  };
  const skip = async () => {
    try {
      await unwrap(api.POST("/api/v1/projects/{project_id}/items/{id}/skip/", { params: { path: { project_id: projectId, id: item.id } } }));
      await openNextItem(projectId, navigate);
    } catch (e) {
      setMessage(isNetworkError(e) ? "Offline: cannot skip now." : `Skip failed: ${(e as Error).message}`);
    }
  };
  const back = () => {
    const h = readHistory(projectId);
    const i = h.lastIndexOf(item.id);
    const prev = i > 0 ? h[i - 1] : undefined;
    if (prev) navigate(`/projects/${projectId}/annotate/${prev}`);
    else setMessage("No earlier item in this session.");
  };

  // Global shortcuts; panels handle their own keys first and stop them.
  const actions = useRef({ submit, skip, back, acceptAll, save: () => void sync.saveNow("draft") });
  actions.current = { submit, skip, back, acceptAll, save: () => void sync.saveNow("draft") };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const combo = comboOf(e);
      if (isTypingTarget(e.target) && !worksWhileTyping(combo)) return;
      const a = actions.current;
      const run = (f: () => void) => {
        e.preventDefault();
        f();
      };
      switch (combo) {
        case "?":
          return run(() => setHelp((h) => !h));
        case "ctrl+s":
          return run(a.save);
        case "ctrl+Enter":
          return run(() => void a.submit());
        case "alt+s":
          return run(() => void a.skip());
        case "alt+b":
          return run(a.back);
        case "alt+g":
          return run(() => setGuidelines((g) => !g));
        case "alt+a":
          return run(a.acceptAll);
        case "[":
        case "]": {
          const zones = Array.from(document.querySelectorAll<HTMLElement>(".zone-target"));
          if (!zones.length) return;
          const i = zones.findIndex((z) => z === document.activeElement || z.contains(document.activeElement));
          const next = combo === "]" ? (i + 1) % zones.length : (i - 1 + zones.length) % zones.length;
          return run(() => zones[next]?.focus());
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const passages = item.context as Passage[];
  const missingActive = units.missing_info.find((m) => m.id === activeMissing) ?? null;
  const typesByKey = useMemo(() => new Map(errorTypes.map((t) => [t.key, t])), [errorTypes]);
  const focused = units.spans.find((s) => s.id === focusedSpan) ?? null;

  const responseCards = item.responses.map((r) => {
    const critique = units.critiques.find((c) => c.response === r.index)?.text ?? "";
    return (
      <article key={r.index} className="response-card" aria-label={`Response ${r.index + 1}`} data-testid={`response-${r.index}`}>
        <header>
          <h3>
            Response {r.index + 1} <span className="muted">{r.model_name}</span>
          </h3>
          <span className="kind">{r.kind}</span>
        </header>
        {r.kind === "text" && (
          <TextBlock
            responseIndex={r.index}
            text={r.text}
            units={units.spans}
            suggestions={open}
            errorTypes={errorTypes}
            typesByKey={typesByKey}
            focusedId={focusedSpan}
            snapWords={snapWords}
            dispatch={dispatch}
            setFocused={(id) => {
              setFocusedSpan(id);
              setEditSpan(false);
            }}
            onEdit={(id) => {
              setFocusedSpan(id);
              setEditSpan(true);
            }}
            onToggleSnap={() => setSnapWords((v) => !v)}
            onAccept={(id) => {
              const s = findSuggestion(id);
              if (s) accept(s);
            }}
            onReject={(id) => {
              const s = findSuggestion(id);
              if (s) decide(s, false);
              setFocusedSpan(null);
            }}
          />
        )}
        {r.kind === "text" && focused && focused.response === r.index && (
          <SpanEditor
            span={focused}
            quote={Array.from(r.text).slice(focused.start, focused.end).join("")}
            errorTypes={errorTypes}
            dispatch={dispatch}
            focusComment={editSpan}
            onClose={() => {
              setEditSpan(false);
              (document.querySelector(`[data-testid="response-${r.index}"] .text-response`) as HTMLElement | null)?.focus();
            }}
          />
        )}
        {r.kind === "steps" && (
          <StepsResponse
            responseIndex={r.index}
            steps={r.steps}
            labels={units.steps.filter((s) => s.response === r.index)}
            errorTypes={errorTypes}
            dispatch={dispatch}
            suggestions={open.flatMap((s) =>
              s.kind === "step" && s.unit.response === r.index
                ? [{ id: s.id, step_index: s.unit.step_index, rating: s.unit.rating, error_type: s.unit.error_type, judge: s.judge }]
                : [],
            )}
            onAcceptSuggestion={(id) => {
              const s = findSuggestion(id);
              if (s) accept(s);
            }}
            onRejectSuggestion={(id) => {
              const s = findSuggestion(id);
              if (s) decide(s, false);
            }}
          />
        )}
        {r.kind === "image" && (
          <ImageResponse
            responseIndex={r.index}
            url={r.image_url}
            width={r.image_width}
            height={r.image_height}
            regions={units.regions.filter((x) => x.response === r.index)}
            errorTypes={errorTypes}
            dispatch={dispatch}
            suggestions={open.flatMap((s) =>
              s.kind === "region" && s.unit.response === r.index
                ? [{ id: s.id, shape: s.unit.shape, points: s.unit.points, error_type: s.unit.error_type, judge: s.judge }]
                : [],
            )}
          />
        )}
        <details className="critique" open={critique !== ""}>
          <summary>Critique</summary>
          <textarea
            aria-label={`Critique of response ${r.index + 1}`}
            placeholder="What is wrong or missing, in your words"
            value={critique}
            onChange={(e) => dispatch({ type: "critique", response: r.index, text: e.target.value })}
          />
        </details>
      </article>
    );
  });

  if (!ready) {
    return (
      <main className="page">
        <p className="muted">{sync.status === "error" ? `Could not load the draft: ${sync.error}` : "Loading the draft…"}</p>
      </main>
    );
  }
  return (
    <div className="annotate">
      <div className="annotate-bar" role="toolbar" aria-label="Item actions">
        <span className="crumb">
          <a href={`/projects/${projectId}`} onClick={(e) => (e.preventDefault(), navigate(`/projects/${projectId}`))}>
            {project.name}
          </a>{" "}
          › <span className="plain">{item.external_id}</span>
        </span>
        <span className={`sync sync-${sync.status}`} data-testid="sync-status" role="status">
          {statusText(sync.status)}
          {sync.annotation ? ` · v${sync.annotation.version} ${sync.annotation.status}` : ""}
          {sync.recovered ? " · recovered from this browser" : ""}
        </span>
        <span className="spacer" />
        <label className="snap">
          <input type="checkbox" checked={snapWords} onChange={(e) => setSnapWords(e.target.checked)} /> snap to words <kbd>w</kbd>
        </label>
        <button type="button" onClick={back} title="alt+b">
          Back
        </button>
        <button type="button" onClick={() => void skip()} title="alt+s">
          Skip
        </button>
        <button type="button" onClick={() => void sync.saveNow("draft")} title="ctrl+s">
          Save
        </button>
        <button type="button" className="primary" onClick={() => void submit()} title="ctrl+Enter">
          Submit <kbd>ctrl+↵</kbd>
        </button>
        <button type="button" onClick={() => setGuidelines(true)} title="alt+g">
          Guidelines
        </button>
        <button type="button" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">
          ?
        </button>
      </div>
      {(message || sync.error) && (
        <p className={sync.status === "error" ? "error banner" : "banner"} role="alert">
          {message || sync.error}
        </p>
      )}
      <div className="annotate-grid">
        <aside className="col-left">
          <ContextPanel
            item={item}
            linking={missingActive ? { passage: missingActive.passage_index, sentences: missingActive.sentence_indices } : null}
            onPickSentence={(p, s) => {
              if (!missingActive) return;
              const has = missingActive.passage_index === p && missingActive.sentence_indices.includes(s);
              const base = missingActive.passage_index === p ? missingActive.sentence_indices : [];
              dispatch({
                type: "updateMissing",
                id: missingActive.id,
                patch: { passage_index: p, sentence_indices: has ? base.filter((x) => x !== s) : [...base, s].sort((a, b) => a - b) },
              });
            }}
          />
        </aside>
        <main className="col-main">{responseCards}</main>
        <aside className="col-right">
          <section>
            <h2>Error types</h2>
            <Legend errorTypes={errorTypes} />
          </section>
          {allSuggestions.length > 0 && (
            <section>
              <h2>Machine suggestions</h2>
              <SuggestionsPanel
                suggestions={open}
                item={item}
                errorTypes={errorTypes}
                onAccept={(s) => accept(s)}
                onEdit={(s) => accept(s, true)}
                onReject={(s) => decide(s, false)}
                onAcceptAll={acceptAll}
              />
            </section>
          )}
          {criteria.length > 0 && (
            <section>
              <h2>Rubric</h2>
              <div className="zone-target-wrap">
                <RubricPanel criteria={criteria} responses={item.responses} scores={units.rubric_scores} dispatch={dispatch} />
              </div>
            </section>
          )}
          {item.responses.length >= 2 && (
            <section>
              <h2>Preference</h2>
              <PairwisePanel responses={item.responses} criteria={criteria} preferences={units.preferences} dispatch={dispatch} />
            </section>
          )}
          {errorTypes.some((t) => appliesTo(t, "missing_info")) && (
            <section>
              <h2>Missing information</h2>
              <MissingInfoPanel
                units={units.missing_info}
                responses={item.responses}
                passages={passages}
                errorTypes={errorTypes}
                dispatch={dispatch}
                activeId={activeMissing}
                setActiveId={setActiveMissing}
              />
            </section>
          )}
        </aside>
      </div>
      <ShortcutOverlay
        open={help}
        onClose={() => setHelp(false)}
        shortcuts={SHORTCUTS}
        hotkeys={errorTypes.filter((t) => t.hotkey).map((t) => ({ key: t.hotkey, name: t.name, color: t.color }))}
      />
      <Dialog open={guidelines} title="Guidelines" onClose={() => setGuidelines(false)} className="drawer" testId="guidelines">
        {project.guidelines ? <Markdown source={project.guidelines} /> : <p className="muted">This project has no guidelines.</p>}
      </Dialog>
      <Dialog open={sync.conflict !== null} title="This annotation changed elsewhere" onClose={() => sync.resolveConflict("mine")} testId="conflict-dialog">
        {sync.conflict && (
          <ConflictBody
            current={sync.conflict}
            mineCount={countUnits(units)}
            onMine={() => sync.resolveConflict("mine")}
            onTheirs={() => {
              const current = sync.resolveConflict("theirs");
              if (current) {
                dispatchRaw({ type: "replace", units: unitsFromAnnotation(current) });
                setDecisions((current.metadata?.suggestions as SuggestionDecisions | undefined) ?? { accepted: [], rejected: [] });
              }
            }}
          />
        )}
      </Dialog>
    </div>
  );
}

function countUnits(u: { [k: string]: unknown[] }): number {
  return Object.values(u).reduce((n, list) => n + list.length, 0);
}

function ConflictBody(props: { current: Annotation; mineCount: number; onMine: () => void; onTheirs: () => void }) {
  const c = props.current;
  const theirs = countUnits({
    spans: c.spans,
    steps: c.steps,
    regions: c.regions,
    rubric_scores: c.rubric_scores,
    preferences: c.preferences,
    critiques: c.critiques,
    missing_info: c.missing_info,
  });
  return (
    <div className="conflict">
      <p>
        The server has version <b>{c.version}</b> ({c.status}, updated {new Date(c.updated_at).toLocaleString()}), saved from
        another tab or device after the version this page started from.
      </p>
      <table>
        <tbody>
          <tr>
            <th>Yours (this page)</th>
            <td>{props.mineCount} labels</td>
          </tr>
          <tr>
            <th>On the server</th>
            <td>{theirs} labels</td>
          </tr>
        </tbody>
      </table>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={props.onMine} autoFocus>
          Keep mine (overwrite version {c.version})
        </button>
        <button type="button" onClick={props.onTheirs}>
          Load the server's version
        </button>
      </div>
    </div>
  );
}

function Legend({ errorTypes }: { errorTypes: ErrorType[] }) {
  return (
    <ul className="legend">
      {errorTypes.map((t) => (
        <li key={t.key} title={t.description}>
          <span className="swatch" style={{ background: t.color }} />
          <span className="plain">{t.name}</span>
          {t.hotkey && <kbd>{t.hotkey}</kbd>}
          <span className="muted kinds">{t.unit_kinds.join(", ")}</span>
        </li>
      ))}
    </ul>
  );
}

/** A text response's span layer bound to the draft, plus its machine suggestions. */
export function TextBlock(props: {
  responseIndex: number;
  text: string;
  units: { id: string; response: number; start: number; end: number; error_type: string }[];
  suggestions: Suggestion[];
  errorTypes: ErrorType[];
  typesByKey: Map<string, ErrorType>;
  focusedId: string | null;
  snapWords: boolean;
  dispatch: (a: UnitsAction) => void;
  setFocused: (id: string | null) => void;
  onEdit: (id: string) => void;
  onToggleSnap: () => void;
  onAccept: (id: string) => void;
  onReject: (id: string) => void;
}) {
  const { responseIndex, dispatch, setFocused } = props;
  const shown = useMemo<ShownSpan[]>(() => {
    const mine = props.units.filter((s) => s.response === responseIndex);
    const machine = props.suggestions
      .filter((s) => s.kind === "span" && s.unit.response === responseIndex)
      .map((s) => ({ id: s.id, start: (s.unit as { start: number }).start, end: (s.unit as { end: number }).end, error_type: s.unit.error_type as string, machine: true }));
    return [...mine, ...machine];
  }, [props.units, props.suggestions, responseIndex]);
  const onCreate = useCallback(
    (r: { start: number; end: number }, errorType: string) => {
      const id = localId("s");
      dispatch({ type: "addSpan", span: { id, response: responseIndex, start: r.start, end: r.end, error_type: errorType, severity: null, comment: "" } });
      setFocused(id);
    },
    [dispatch, responseIndex, setFocused],
  );
  return (
    <div className="zone">
      <TextResponse
        text={props.text}
        spans={shown}
        errorTypes={props.errorTypes}
        focusedId={props.focusedId}
        snapWords={props.snapWords}
        label={`Response ${responseIndex + 1} text`}
        onCreate={onCreate}
        onFocusSpan={setFocused}
        onDeleteSpan={(id) => {
          dispatch({ type: "deleteSpan", id });
          setFocused(null);
        }}
        onEditSpan={(id) => (id.includes(".span.") ? undefined : props.onEdit(id))}
        onSetType={(id, key) => dispatch({ type: "updateSpan", id, patch: { error_type: key, severity: null } })}
        onAcceptSuggestion={props.onAccept}
        onRejectSuggestion={props.onReject}
        onToggleSnap={props.onToggleSnap}
      />
      <SpanList spans={props.units.filter((s) => s.response === responseIndex)} text={props.text} typesByKey={props.typesByKey} focusedId={props.focusedId} onFocus={props.setFocused} />
    </div>
  );
}

function SpanList(props: {
  spans: { id: string; start: number; end: number; error_type: string }[];
  text: string;
  typesByKey: Map<string, ErrorType>;
  focusedId: string | null;
  onFocus: (id: string) => void;
}) {
  const cps = useMemo(() => Array.from(props.text), [props.text]);
  if (!props.spans.length) return null;
  const sorted = [...props.spans].sort((a, b) => a.start - b.start || a.end - b.end);
  return (
    <ol className="span-list" aria-label="Spans" data-testid="span-list">
      {sorted.map((s) => {
        const t = props.typesByKey.get(s.error_type);
        const quote = cps.slice(s.start, s.end).join("");
        return (
          <li key={s.id} className={s.id === props.focusedId ? "focused" : undefined} data-start={s.start} data-end={s.end} data-type={s.error_type}>
            <button type="button" tabIndex={-1} onClick={() => props.onFocus(s.id)}>
              <span className="swatch" style={{ background: t?.color ?? "#888" }} />
              <span className="type plain">{t?.name ?? s.error_type}</span>{" "}
              <q className="plain">{quote.length > 80 ? `${quote.slice(0, 80)}…` : quote}</q>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
