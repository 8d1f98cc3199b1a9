/**
 * Autosave of the draft: to the server when it can be reached, to localStorage always first.
 *
 * - The first save POSTs the annotation with a client-generated `client_id`; repeating that POST
 *   (after a lost answer, or when back online) returns the same row, so nothing is doubled.
 * - Later saves PUT the whole unit set with the `version` they are based on; a stale version
 *   answers 409 with the server's `current` annotation, which opens the conflict dialog.
 * - Every change is written to localStorage before it is sent (a write-ahead record). While
 *   the server cannot be reached the record stays there; on the `online` event, on reload, or
 *   on the next change, it is sent once with the same client_id / version.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { api, ApiError, isNetworkError, unwrap } from "@/lib/api/client";
import { uuid4 } from "@/lib/uuid";
import type { Annotation } from "@/types";

import { unitsFromAnnotation, unitsToWire, type SuggestionDecisions, type Units } from "../units";

export type SyncStatus = "loading" | "idle" | "dirty" | "saving" | "saved" | "offline" | "error" | "conflict";

type Stored = {
  client_id: string;
  annotation_id: number | null;
  version: number | null;
  units: Units;
  decisions: SuggestionDecisions;
  time_spent_ms: number;
  pending: boolean;
  saved_at: number;
};

export const draftKey = (projectId: number, itemId: number) => `finegrain:draft:${projectId}:${itemId}`;

function readStored(key: string): Stored | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function writeStored(key: string, value: Stored) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the server copy is all there is.
  }
}

export type DraftSync = {
  status: SyncStatus;
  annotation: Annotation | null;
  error: string;
  conflict: Annotation | null;
  recovered: boolean;
  /** Units to start from once loaded (server copy, or the unsent local record). */
  initial: { units: Units; decisions: SuggestionDecisions; time_spent_ms: number } | null;
  markDirty: () => void;
  saveNow: (status?: "draft" | "submitted") => Promise<Annotation | null>;
  resolveConflict: (choice: "mine" | "theirs") => Annotation | null;
};

type Snapshot = () => { units: Units; decisions: SuggestionDecisions; time_spent_ms: number };

export function useDraftSync(opts: {
  projectId: number;
  itemId: number;
  username: string;
  snapshot: Snapshot;
  delayMs?: number;
}): DraftSync {
  const { projectId, itemId, username, snapshot } = opts;
  const delayMs = opts.delayMs ?? 800;
  const key = draftKey(projectId, itemId);
  const [status, setStatusState] = useState<SyncStatus>("loading");
  const statusRef = useRef<SyncStatus>("loading");
  const setStatus = useCallback((next: SyncStatus) => {
    statusRef.current = next;
    setStatusState(next);
  }, []);
  const [annotation, setAnnotation] = useState<Annotation | null>(null);
  const [conflict, setConflict] = useState<Annotation | null>(null);
  const [error, setError] = useState("");
  const [initial, setInitial] = useState<DraftSync["initial"]>(null);
  const [recovered, setRecovered] = useState(false);

  const meta = useRef({ clientId: "", id: null as number | null, version: null as number | null });
  const inFlight = useRef<Promise<Annotation | null> | null>(null);
  const again = useRef(false);
  const timer = useRef<number | undefined>(undefined);
  const snapshotRef = useRef(snapshot);
  const loaded = useRef(false);
  snapshotRef.current = snapshot;

  const record = useCallback(
    (pending: boolean) => {
      const s = snapshotRef.current();
      writeStored(key, {
        client_id: meta.current.clientId,
        annotation_id: meta.current.id,
        version: meta.current.version,
        units: s.units,
        decisions: s.decisions,
        time_spent_ms: s.time_spent_ms,
        pending,
        saved_at: Date.now(),
      });
    },
    [key],
  );

  const send = useCallback(
    async (submit: boolean): Promise<Annotation | null> => {
      const s = snapshotRef.current();
      const body = {
        ...unitsToWire(s.units),
        time_spent_ms: Math.round(s.time_spent_ms),
        metadata: { suggestions: s.decisions, client: "finegrain-ui" },
        ...(submit ? { status: "submitted" as const } : {}),
      };
      const m = meta.current;
      let result: Annotation;
      if (m.id === null) {
        const create = { ...body, client_id: m.clientId, status: submit ? ("submitted" as const) : ("draft" as const) };
        result = await unwrap(
          api.POST("/api/v1/projects/{project_id}/items/{item_id}/annotations/", {
            params: { path: { project_id: projectId, item_id: itemId } },
            body: create,
          }),
        );
      } else {
        result = await unwrap(
          api.PUT("/api/v1/projects/{project_id}/annotations/{id}/", {
            params: { path: { project_id: projectId, id: m.id } },
            body: { ...body, version: m.version ?? 1 },
          }),
        );
      }
      m.id = result.id;
      m.version = result.version;
      return result;
    },
    [projectId, itemId],
  );

  const saveNow = useCallback(
    async (want: "draft" | "submitted" = "draft"): Promise<Annotation | null> => {
      if (!loaded.current) return null;
      window.clearTimeout(timer.current);
      if (inFlight.current) {
        // One request at a time; run again with the newest state once this one is answered.
        if (want === "draft") {
          again.current = true;
          return inFlight.current;
        }
        await inFlight.current.catch(() => null);
      }
      record(true);
      setStatus("saving");
      const run = (async () => {
        try {
          const result = await send(want === "submitted");
          setAnnotation(result);
          setError("");
          record(false);
          setStatus(again.current ? "dirty" : "saved");
          return result;
        } catch (err) {
          if (isNetworkError(err)) {
            setStatus("offline");
            setError("Offline: the draft is kept in this browser and sent when the connection is back.");
          } else if (err instanceof ApiError && err.status === 409) {
            const body = err.body as { current?: Annotation; current_id?: number; extra?: { current_id?: number } };
            let current = body.current ?? null;
            const otherId = body.current_id ?? body.extra?.current_id;
            if (!current && otherId) {
              current = await unwrap(
                api.GET("/api/v1/projects/{project_id}/annotations/{id}/", {
                  params: { path: { project_id: projectId, id: otherId } },
                }),
              ).catch(() => null);
            }
            setConflict(current);
            setStatus("conflict");
            setError(err.message);
          } else {
            setStatus("error");
            setError(err instanceof Error ? err.message : String(err));
          }
          throw err;
        } finally {
          inFlight.current = null;
        }
      })();
      inFlight.current = run;
      const out = await run.catch(() => null);
      if (again.current && want === "draft") {
        again.current = false;
        return saveNow("draft");
      }
      again.current = false;
      return out;
    },
    [record, send, projectId, setStatus],
  );

  const markDirty = useCallback(() => {
    if (!loaded.current) return;
    record(true);
    if (statusRef.current === "conflict") return;
    setStatus("dirty");
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      if (statusRef.current !== "conflict") void saveNow("draft");
    }, delayMs);
  }, [record, saveNow, delayMs, setStatus]);

  // Load: the server's copy of my annotation, and any unsent local record.
  useEffect(() => {
    let cancelled = false;
    loaded.current = false;
    setStatus("loading");
    setConflict(null);
    setRecovered(false);
    const stored = readStored(key);
    (async () => {
      let mine: Annotation | null = null;
      let reachable = true;
      try {
        const page = await unwrap(
          api.GET("/api/v1/projects/{project_id}/annotations/", {
            params: { path: { project_id: projectId }, query: { item: itemId, author: username, source: "human" } },
          }),
        );
        mine = page.results[0] ?? null;
      } catch (err) {
        if (!isNetworkError(err)) throw err;
        reachable = false;
      }
      if (cancelled) return;
      meta.current = {
        clientId: mine?.client_id ?? stored?.client_id ?? uuid4(),
        id: mine?.id ?? stored?.annotation_id ?? null,
        version: mine?.version ?? stored?.version ?? null,
      };
      setAnnotation(mine);
      const decisions = (mine?.metadata?.suggestions as SuggestionDecisions | undefined) ?? {
        accepted: [],
        rejected: [],
      };
      if (stored?.pending && (!mine || stored.client_id === mine.client_id)) {
        // Unsent work from this browser wins over the server copy it was based on; if the
        // server moved on meanwhile, the PUT answers 409 and the dialog lets the person choose.
        setInitial({ units: stored.units, decisions: stored.decisions, time_spent_ms: stored.time_spent_ms });
        // The page replaces its units with these and then marks them dirty, which sends them.
        setRecovered(true);
        loaded.current = true;
        setStatus(reachable ? "dirty" : "offline");
        return;
      }
      setInitial(
        mine
          ? { units: unitsFromAnnotation(mine), decisions, time_spent_ms: mine.time_spent_ms }
          : { units: { spans: [], steps: [], regions: [], rubric_scores: [], preferences: [], critiques: [], missing_info: [] }, decisions, time_spent_ms: 0 },
      );
      loaded.current = true;
      setStatus(reachable ? (mine ? "saved" : "idle") : "offline");
    })().catch((err: unknown) => {
      if (!cancelled) {
        setStatus("error");
        setError(err instanceof Error ? err.message : String(err));
      }
    });
    return () => {
      cancelled = true;
      window.clearTimeout(timer.current);
    };
  }, [key, projectId, itemId, username, saveNow, setStatus]);

  // Back online: send the pending record once.
  useEffect(() => {
    const onOnline = () => {
      const stored = readStored(key);
      if (loaded.current && stored?.pending) void saveNow("draft");
    };
    window.addEventListener("online", onOnline);
    return () => window.removeEventListener("online", onOnline);
  }, [key, saveNow]);

  const resolveConflict = useCallback(
    (choice: "mine" | "theirs"): Annotation | null => {
      const current = conflict;
      setConflict(null);
      if (!current) return null;
      meta.current.id = current.id;
      meta.current.version = current.version;
      meta.current.clientId = current.client_id;
      setAnnotation(current);
      if (choice === "mine") {
        setStatus("dirty");
        window.setTimeout(() => void saveNow("draft"), 0);
        return null;
      }
      writeStored(key, {
        client_id: current.client_id,
        annotation_id: current.id,
        version: current.version,
        units: unitsFromAnnotation(current),
        decisions: (current.metadata?.suggestions as SuggestionDecisions | undefined) ?? { accepted: [], rejected: [] },
        time_spent_ms: current.time_spent_ms,
        pending: false,
        saved_at: Date.now(),
      });
      setStatus("saved");
      return current;
    },
    [conflict, saveNow, key, setStatus],
  );

  return { status, annotation, error, conflict, recovered, initial, markDirty, saveNow, resolveConflict };
}
