/**
 * API payloads and helpers shared by page tests that mock `api.GET`.
 */

import { emptyUnits } from "@/features/annotate/units";

/** What `api.GET` resolves to for a 200 answer. */
export const ok = (data: unknown) => Promise.resolve({ data, response: { ok: true, status: 200 } as Response });

/** The options a mocked `api.GET` receives. */
export type ApiOpts = { params: { path: Record<string, number>; query?: Record<string, unknown> } };

/** A promise held until `open()` is called: a response that arrives late. */
export type Gate = { wait: Promise<void>; open: () => void };

export function gate(): Gate {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The project's taxonomy list: one published version with the error type "irrelevant" (hotkey 1). */
export const PUBLISHED_TAXONOMIES = [
  { status: "published", version: 1, error_types: [{ key: "irrelevant", name: "Irrelevant", hotkey: "1", unit_kinds: ["span"] }] },
];

/** An item with one text response. */
export function textItem(id: number, text: string) {
  return {
    id,
    external_id: `x${id}`,
    prompt: `Question ${id}?`,
    messages: [],
    context: [],
    responses: [{ index: 0, kind: "text", text, model_name: "m", steps: [], image_url: "", image_width: null, image_height: null }],
  };
}

/** An "irrelevant" span on response 0. */
export const irrelevantSpan = (start: number, end: number) => ({
  response: 0,
  start,
  end,
  error_type: "irrelevant",
  severity: null,
  comment: "",
  confidence: null,
});

/** An annotation as the API returns it, with no units unless `fields` adds them. */
export function annotationRecord(fields: { id: number; item: number; client_id: string; author: string; status: string; spans?: unknown[] }) {
  return {
    judge: null,
    version: 1,
    time_spent_ms: 1000,
    metadata: {},
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...emptyUnits(),
    ...fields,
  };
}
