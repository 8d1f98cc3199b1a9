/**
 * Moving from one item to another (next, skip, back) while the new item is still loading: the
 * annotate view must wait for it, never start on the previous item's data (whose draft it
 * would then load, show and send as this item's).
 */
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { api } from "@/lib/api/client";

import { AnnotatePage } from "./annotate-page";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  localStorage.clear();
});

const ok = (data: unknown) => Promise.resolve({ data, response: { ok: true, status: 200 } as Response });

const TEXTS: Record<number, string> = { 1: "alpha beta gamma", 2: "delta epsilon zeta" };
// Each item's saved draft: one span, at different offsets.
const SPANS: Record<number, [number, number]> = { 1: [0, 5], 2: [6, 13] };

function item(id: number) {
  return {
    id,
    external_id: `x${id}`,
    prompt: `Question ${id}?`,
    messages: [],
    context: [],
    responses: [{ index: 0, kind: "text", text: TEXTS[id], model_name: "m", steps: [], image_url: "", image_width: null, image_height: null }],
  };
}

function draftOf(itemId: number) {
  const [start, end] = SPANS[itemId]!;
  return {
    id: 100 + itemId,
    item: itemId,
    client_id: `00000000-0000-4000-8000-00000000000${itemId}`,
    author: "anna",
    judge: null,
    status: "draft",
    version: 1,
    time_spent_ms: 1000,
    metadata: {},
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    spans: [{ response: 0, start, end, error_type: "irrelevant", severity: null, comment: "", confidence: null }],
    steps: [],
    regions: [],
    rubric_scores: [],
    preferences: [],
    critiques: [],
    missing_info: [],
  };
}

type Opts = { params: { path: Record<string, number>; query?: Record<string, unknown> } };

describe("AnnotatePage between items", () => {
  it("waits for the new item instead of starting on the previous one's data", async () => {
    let releaseItem2: () => void = () => {};
    const item2 = new Promise<void>((resolve) => (releaseItem2 = resolve));
    const draftsAsked: number[] = [];
    vi.spyOn(api, "GET").mockImplementation(((path: string, opts: Opts) => {
      const q = opts.params.query ?? {};
      switch (path) {
        case "/api/v1/projects/{id}/":
          return ok({ id: 1, name: "P", role: "annotator", guidelines: "", overlap: 1 });
        case "/api/v1/projects/{project_id}/taxonomies/":
          return ok([{ status: "published", version: 1, error_types: [{ key: "irrelevant", name: "Irrelevant", hotkey: "1", unit_kinds: ["span"] }] }]);
        case "/api/v1/projects/{project_id}/rubrics/":
          return ok([]);
        case "/api/v1/projects/{project_id}/items/{id}/": {
          const id = opts.params.path.id!;
          return id === 2 ? item2.then(() => ok(item(2))) : ok(item(id));
        }
        case "/api/v1/projects/{project_id}/annotations/":
          if (q.source === "machine") return ok({ results: [], next: null });
          draftsAsked.push(Number(q.item));
          return ok({ results: [draftOf(Number(q.item))], next: null });
      }
      throw new Error(`unexpected GET ${path}`);
    }) as unknown as typeof api.GET);

    // The same page instance gets the next item id, as a router reusing it would do.
    const { rerender } = render(<AnnotatePage projectId={1} itemId={1} />);
    const first = await screen.findByTestId("span-list");
    expect(first.querySelector("li")!.dataset.start).toBe("0");
    expect(first.textContent).toContain("alpha");

    rerender(<AnnotatePage projectId={1} itemId={2} />);
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByTestId("span-list")).toBeNull();
    expect(screen.getByText("Loading…")).toBeTruthy();
    expect(draftsAsked).toEqual([1]);

    releaseItem2();
    await waitFor(() => expect(screen.getByTestId("sync-status").textContent).toMatch(/^saved/));
    const li = screen.getByTestId("span-list").querySelector("li")!;
    expect([li.dataset.start, li.dataset.end]).toEqual(["6", "13"]);
    expect(li.querySelector("q")!.textContent).toBe("epsilon");
    expect(screen.getByTestId("prompt").textContent).toBe("Question 2?");
    expect(draftsAsked).toEqual([1, 2]);
  });
});
