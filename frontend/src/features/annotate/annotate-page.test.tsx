/**
 * Moving from one item to another (next, skip, back) while the new item is still loading: the
 * annotate view must wait for it, never start on the previous item's data (whose draft it
 * would then load, show and send as this item's).
 */
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { api } from "@/lib/api/client";
import { type ApiOpts, annotationRecord, gate, irrelevantSpan, ok, PUBLISHED_TAXONOMIES, textItem } from "@/testing/fixtures";

import { AnnotatePage } from "./annotate-page";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  localStorage.clear();
});

const TEXTS: Record<number, string> = { 1: "alpha beta gamma", 2: "delta epsilon zeta" };
// Each item's saved draft: one span, at different offsets.
const SPANS: Record<number, [number, number]> = { 1: [0, 5], 2: [6, 13] };

const item = (id: number) => textItem(id, TEXTS[id]!);

function draftOf(itemId: number) {
  const [start, end] = SPANS[itemId]!;
  return annotationRecord({
    id: 100 + itemId,
    item: itemId,
    client_id: `00000000-0000-4000-8000-00000000000${itemId}`,
    author: "anna",
    status: "draft",
    spans: [irrelevantSpan(start, end)],
  });
}

describe("AnnotatePage between items", () => {
  it("waits for the new item instead of starting on the previous one's data", async () => {
    const item2 = gate();
    const draftsAsked: number[] = [];
    vi.spyOn(api, "GET").mockImplementation(((path: string, opts: ApiOpts) => {
      const q = opts.params.query ?? {};
      switch (path) {
        case "/api/v1/projects/{id}/":
          return ok({ id: 1, name: "P", role: "annotator", guidelines: "", overlap: 1 });
        case "/api/v1/projects/{project_id}/taxonomies/":
          return ok(PUBLISHED_TAXONOMIES);
        case "/api/v1/projects/{project_id}/rubrics/":
          return ok([]);
        case "/api/v1/projects/{project_id}/items/{id}/": {
          const id = opts.params.path.id!;
          return id === 2 ? item2.wait.then(() => ok(item(2))) : ok(item(id));
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

    item2.open();
    await waitFor(() => expect(screen.getByTestId("sync-status").textContent).toMatch(/^saved/));
    const li = screen.getByTestId("span-list").querySelector("li")!;
    expect([li.dataset.start, li.dataset.end]).toEqual(["6", "13"]);
    expect(li.querySelector("q")!.textContent).toBe("epsilon");
    expect(screen.getByTestId("prompt").textContent).toBe("Question 2?");
    expect(draftsAsked).toEqual([1, 2]);
  });
});
