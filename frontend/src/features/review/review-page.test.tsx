/**
 * Moving from one review item to the next while the new one is still loading: the review page
 * must wait for the item in the URL — its annotations, its agreement and its consensus — and
 * never show (or let the reviewer act on) the previous item's columns meanwhile. The route is
 * keyed by item (app.tsx), so nothing the page held for the item before survives either.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "@/app/app";
import { api } from "@/lib/api/client";
import { RouterProvider } from "@/lib/router";
import { type ApiOpts, annotationRecord, type Gate, gate, irrelevantSpan, ok, PUBLISHED_TAXONOMIES, textItem } from "@/testing/fixtures";

import { ReviewItemPage } from "./review-page";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  window.history.replaceState(null, "", "/");
});

const TEXTS: Record<number, string> = { 1: "alpha beta gamma", 2: "delta epsilon zeta" };
// Each item's one submitted span, which the rule also proposes as its consensus.
const SPANS: Record<number, [number, number]> = { 1: [0, 5], 2: [6, 13] };
const SCORES: Record<number, number> = { 1: 0.25, 2: 0.75 };

const item = (id: number) => textItem(id, TEXTS[id]!);
const span = (id: number) => irrelevantSpan(SPANS[id]![0], SPANS[id]![1]);

function annotationOf(id: number) {
  return annotationRecord({
    id: 10 + id,
    item: id,
    client_id: `00000000-0000-4000-8000-00000000001${id}`,
    author: `annotator${id}`,
    status: "submitted",
    spans: [span(id)],
  });
}

function reviewOf(id: number) {
  return {
    item: id,
    agreement: { score: SCORES[id], annotators: 2, parts: { spans: SCORES[id] } },
    overlap_threshold: 0.5,
    clusters: [],
    annotations: [{ id: 10 + id, spans: [{ cluster: 0, agreed: true }], steps_disputed: [], rubric_disputed: [], preferences_disputed: [] }],
    consensus: null,
    proposal: { spans: [span(id)], steps: [], regions: [], rubric_scores: [], preferences: [], critiques: [], missing_info: [] },
  };
}

/** Mock the API; item 2's item, annotations and review each wait for their own gate. */
function mockApi() {
  const gates = { item: gate(), annotations: gate(), review: gate() };
  const held = (id: number, g: Gate, data: unknown) => (id === 2 ? g.wait.then(() => ok(data)) : ok(data));
  vi.spyOn(api, "GET").mockImplementation(((path: string, opts: ApiOpts) => {
    const p = opts.params.path;
    switch (path) {
      case "/api/v1/projects/{id}/":
        return ok({ id: 1, name: "P", role: "reviewer", guidelines: "", overlap: 2 });
      case "/api/v1/projects/{project_id}/taxonomies/":
        return ok(PUBLISHED_TAXONOMIES);
      case "/api/v1/projects/{project_id}/rubrics/":
        return ok([]);
      case "/api/v1/projects/{project_id}/quality/settings/":
        return ok({ low_agreement_threshold: 0.5, consensus_judge: null });
      case "/api/v1/projects/{project_id}/items/{id}/":
        return held(p.id!, gates.item, item(p.id!));
      case "/api/v1/projects/{project_id}/annotations/": {
        const id = Number(opts.params.query!.item);
        return held(id, gates.annotations, { results: [annotationOf(id)], next: null });
      }
      case "/api/v1/projects/{project_id}/quality/items/{item_id}/review/":
        return held(p.item_id!, gates.review, reviewOf(p.item_id!));
    }
    throw new Error(`unexpected GET ${path}`);
  }) as unknown as typeof api.GET);
  return gates;
}

const settle = () => act(() => new Promise((r) => setTimeout(r, 50)));
const columnQuotes = () => screen.queryAllByRole("list", { name: "Spans on response 1" }).map((l) => l.querySelector("q")!.textContent);
const consensusQuotes = () =>
  within(screen.getByTestId("consensus-editor"))
    .getAllByRole("listitem")
    .map((li) => li.querySelector("q")!.textContent);

describe("ReviewItemPage between items", () => {
  it("waits for the new item's annotations and review instead of showing the previous item's", async () => {
    const gates = mockApi();
    // The same page instance gets the next item id, as a router reusing it would do.
    const { rerender } = render(<ReviewItemPage projectId={1} itemId={1} />);
    await waitFor(() => expect(screen.queryByTestId("consensus-editor")).not.toBeNull());
    expect(columnQuotes()).toEqual(["alpha"]);
    expect(consensusQuotes()).toEqual(["alpha"]);
    expect(screen.getByTestId("item-agreement").textContent).toContain("agreement 0.25");

    rerender(<ReviewItemPage projectId={1} itemId={2} />);
    await settle();
    expect(screen.queryByTestId("review-item")).toBeNull();
    expect(screen.getByText("Loading…")).toBeTruthy();

    // The item is in, but the annotations are still item 1's: keep waiting.
    gates.item.open();
    await settle();
    expect(screen.queryByTestId("review-item")).toBeNull();
    expect(screen.queryAllByRole("region", { name: /Annotation by/ })).toEqual([]);

    // Item and annotations are in, the review is not: no score or consensus of item 1.
    gates.annotations.open();
    await waitFor(() => expect(screen.getByTestId("review-prompt").textContent).toBe("Question 2?"));
    expect(columnQuotes()).toEqual(["epsilon"]);
    expect(screen.getByRole("region", { name: "Annotation by annotator2" })).toBeTruthy();
    expect(screen.queryByRole("region", { name: "Annotation by annotator1" })).toBeNull();
    expect(screen.getByTestId("item-agreement").textContent).toContain("not scored");
    expect(screen.queryByTestId("consensus-editor")).toBeNull();

    gates.review.open();
    await waitFor(() => expect(screen.queryByTestId("consensus-editor")).not.toBeNull());
    expect(screen.getByTestId("item-agreement").textContent).toContain("agreement 0.75");
    // The consensus editor starts from item 2's proposal, not from item 1's units.
    expect(consensusQuotes()).toEqual(["epsilon"]);
  });

  it("mounts a fresh page per item on the review route: nothing said about the item before stays", async () => {
    const gates = mockApi();
    const posted: unknown[] = [];
    vi.spyOn(api, "POST").mockImplementation(((path: string, opts: { body: unknown }) => {
      posted.push([path, opts.body]);
      return ok({});
    }) as unknown as typeof api.POST);
    window.history.replaceState(null, "", "/projects/1/review/1");
    render(
      <RouterProvider>
        <App />
      </RouterProvider>,
    );
    const column = await screen.findByRole("region", { name: "Annotation by annotator1" });
    fireEvent.click(within(column).getByRole("button", { name: /Accept/ }));
    await screen.findByText("annotator1: accepted.");
    expect(posted).toEqual([["/api/v1/projects/{project_id}/annotations/{id}/review/", { version: 1, decision: "accepted" }]]);

    // The browser goes to the next item (a link, "Review next" or history all end here).
    act(() => {
      window.history.pushState(null, "", "/projects/1/review/2");
      window.dispatchEvent(new PopStateEvent("popstate"));
    });
    await settle();
    expect(screen.getByText("Loading…")).toBeTruthy();
    expect(screen.queryByText("annotator1: accepted.")).toBeNull();
    gates.item.open();
    gates.annotations.open();
    gates.review.open();
    await screen.findByRole("region", { name: "Annotation by annotator2" });
    await waitFor(() => expect(screen.queryByTestId("consensus-editor")).not.toBeNull());
    expect(columnQuotes()).toEqual(["epsilon"]);
    expect(screen.queryByText("annotator1: accepted.")).toBeNull();
    expect(screen.queryByRole("status")).toBeNull();
  });
});
