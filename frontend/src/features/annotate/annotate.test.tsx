/**
 * Keyboard handling of the annotate view's panels, driven through the real components: the
 * span layer (caret mode, selections over emoji, hotkeys, the palette, span focus), steps
 * (ratings, stop at first error), image regions, rubric and pairwise keys; and machine
 * suggestions drawn distinctly where they apply.
 */
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useReducer, type ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ErrorType, ResponseOut, RubricCriterion } from "@/types";

import { ImageResponse } from "./components/image-response";
import { PairwisePanel } from "./components/pairwise-panel";
import { RubricPanel } from "./components/rubric-panel";
import { StepsResponse } from "./components/steps-response";
import { TextResponse, type ShownSpan } from "./components/text-response";
import { SHORTCUTS } from "./shortcuts";
import { emptyUnits, unitsReducer, type Units, type UnitsAction } from "./units";

afterEach(cleanup);

const TYPES: ErrorType[] = [
  { key: "irrelevant", name: "Irrelevant", description: "", color: "#1f77b4", hotkey: "1", severity_levels: [], unit_kinds: ["span", "step"] },
  { key: "wrong", name: "Wrong", description: "", color: "#ff7f0e", hotkey: "2", severity_levels: [], unit_kinds: ["span", "region"] },
];

function press(el: Element, key: string, mods: { shift?: boolean; ctrl?: boolean; alt?: boolean } = {}) {
  fireEvent.keyDown(el, { key, shiftKey: !!mods.shift, ctrlKey: !!mods.ctrl, altKey: !!mods.alt });
}

function times(n: number, f: () => void) {
  for (let i = 0; i < n; i++) f();
}

/** What Python's text[start:end] gives for code point offsets. */
const cpSlice = (text: string, r: { start: number; end: number }) => Array.from(text).slice(r.start, r.end).join("");

function spanLayer(props: Partial<Parameters<typeof TextResponse>[0]> & { text: string }) {
  const onCreate = vi.fn();
  const utils = render(<TextResponse spans={[]} errorTypes={TYPES} onCreate={onCreate} {...props} />);
  const layer = screen.getByTestId("span-layer");
  act(() => layer.focus());
  return { ...utils, layer, onCreate };
}

describe("span layer keyboard", () => {
  const TEXT = "Family 👨‍👩‍👧 went to 東京 🇯🇵 and שלום.";

  it("moves by whole characters over emoji and sends code points", () => {
    const { layer, onCreate } = spanLayer({ text: TEXT });
    press(layer, "Home");
    times(7, () => press(layer, "ArrowRight"));
    times(6, () => press(layer, "ArrowRight", { shift: true }));
    // The family emoji is one step (8 UTF-16 units, 5 code points).
    expect(layer.getAttribute("data-selection")).toBe("7:17");
    press(layer, "1");
    expect(onCreate).toHaveBeenCalledTimes(1);
    const [range, type] = onCreate.mock.calls[0]!;
    expect(type).toBe("irrelevant");
    expect(cpSlice(TEXT, range)).toBe("👨‍👩‍👧 went");
    // After labelling, the selection collapses to the caret.
    expect(layer.getAttribute("data-selection")).toBe("");
  });

  it("extends by words, shrinks back, and Escape drops the selection", () => {
    const { layer, onCreate } = spanLayer({ text: TEXT });
    press(layer, "End");
    press(layer, "Home");
    times(2, () => press(layer, "ArrowRight", { ctrl: true, shift: true }));
    expect(cpSlice(TEXT, rangeOf(layer))).toBe("Family 👨‍👩‍👧 went");
    press(layer, "ArrowLeft", { shift: true });
    expect(cpSlice(TEXT, rangeOf(layer))).toBe("Family 👨‍👩‍👧 wen");
    press(layer, "Escape");
    expect(layer.getAttribute("data-selection")).toBe("");
    press(layer, "1");
    expect(onCreate).not.toHaveBeenCalled();
  });

  it("selects across CJK, a flag and right-to-left text without splitting them", () => {
    const { layer, onCreate } = spanLayer({ text: TEXT });
    const start = Array.from(TEXT).indexOf("東");
    press(layer, "Home");
    // Graphemes before 東: "Family " (7), the family emoji (1), " went to " (9).
    times(17, () => press(layer, "ArrowRight"));
    press(layer, "End", { shift: true });
    press(layer, "2");
    const [range] = onCreate.mock.calls[0]!;
    expect(range.start).toBe(start);
    expect(cpSlice(TEXT, range)).toBe("東京 🇯🇵 and שלום.");
  });

  it("picks an error type from the palette", () => {
    const { layer, onCreate } = spanLayer({ text: "Bloom was released in 2018." });
    press(layer, "Home");
    times(5, () => press(layer, "ArrowRight", { shift: true }));
    press(layer, "p");
    const options = screen.getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Irrelevant1", "Wrong2"]);
    press(layer, "ArrowDown");
    expect(options[1]!.getAttribute("aria-selected")).toBe("true");
    press(layer, "Enter");
    expect(onCreate).toHaveBeenCalledWith({ start: 0, end: 5 }, "wrong");
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("snaps a partial selection to whole words when asked", () => {
    const { layer, onCreate } = spanLayer({ text: "Bloom was released in 2018.", snapWords: true });
    press(layer, "Home");
    times(2, () => press(layer, "ArrowRight"));
    times(6, () => press(layer, "ArrowRight", { shift: true }));
    expect(layer.getAttribute("data-selection")).toBe("0:9");
    press(layer, "1");
    expect(onCreate).toHaveBeenCalledWith({ start: 0, end: 9 }, "irrelevant");
  });

  it("steps through spans and deletes, edits, retypes or decides the focused one", () => {
    const text = "Bloom was released in 2018.";
    const spans: ShownSpan[] = [
      { id: "mine", start: 0, end: 5, error_type: "irrelevant" },
      { id: "judge.span.0", start: 10, end: 18, error_type: "wrong", machine: true },
    ];
    const handlers = {
      onFocusSpan: vi.fn(),
      onDeleteSpan: vi.fn(),
      onEditSpan: vi.fn(),
      onSetType: vi.fn(),
      onAcceptSuggestion: vi.fn(),
      onRejectSuggestion: vi.fn(),
    };
    const { layer, rerender } = spanLayer({ text, spans, ...handlers });
    press(layer, "Home");
    press(layer, ".");
    expect(handlers.onFocusSpan).toHaveBeenLastCalledWith("mine");

    rerender(<TextResponse text={text} spans={spans} errorTypes={TYPES} focusedId="mine" {...handlers} />);
    press(layer, "Enter");
    expect(handlers.onEditSpan).toHaveBeenCalledWith("mine");
    press(layer, "2");
    expect(handlers.onSetType).toHaveBeenCalledWith("mine", "wrong");
    press(layer, "Delete");
    expect(handlers.onDeleteSpan).toHaveBeenCalledWith("mine");
    press(layer, ".");
    expect(handlers.onFocusSpan).toHaveBeenLastCalledWith("judge.span.0");

    rerender(<TextResponse text={text} spans={spans} errorTypes={TYPES} focusedId="judge.span.0" {...handlers} />);
    press(layer, "a");
    expect(handlers.onAcceptSuggestion).toHaveBeenCalledWith("judge.span.0");
    press(layer, "Delete");
    expect(handlers.onRejectSuggestion).toHaveBeenCalledWith("judge.span.0");
    expect(handlers.onDeleteSpan).toHaveBeenCalledTimes(1);
  });

  it("draws overlapping spans in separate lanes and suggestions dashed", () => {
    const text = "Bloom was released in 2018.";
    render(
      <TextResponse
        text={text}
        spans={[
          { id: "a", start: 0, end: 9, error_type: "irrelevant" },
          { id: "b", start: 6, end: 18, error_type: "wrong" },
          { id: "m", start: 6, end: 9, error_type: "wrong", machine: true },
        ]}
        errorTypes={TYPES}
      />,
    );
    const layer = screen.getByTestId("span-layer");
    const shared = layer.querySelector<HTMLElement>('[data-s="6"]')!;
    expect(shared.dataset.spans).toBe("a,b,m");
    expect(shared.textContent).toBe("was");
    const lanes = shared.style.backgroundPosition.split(",").map((p) => p.trim());
    expect(new Set(lanes).size).toBe(3);
    expect(shared.style.backgroundImage).toContain("repeating-linear-gradient");
    expect(shared.title).toBe("Irrelevant · Wrong · Wrong (suggestion)");
  });
});

function rangeOf(layer: HTMLElement) {
  const [start, end] = layer.getAttribute("data-selection")!.split(":").map(Number);
  return { start: start!, end: end! };
}

/** Renders a panel bound to the real units reducer and shows the units as JSON. */
function Bound({ children }: { children: (units: Units, dispatch: (a: UnitsAction) => void) => ReactNode }) {
  const [units, dispatch] = useReducer(unitsReducer, undefined, emptyUnits);
  return (
    <>
      {children(units, dispatch)}
      <pre data-testid="units">{JSON.stringify(units)}</pre>
    </>
  );
}

const unitsNow = (): Units => JSON.parse(screen.getByTestId("units").textContent!) as Units;

describe("steps keyboard", () => {
  const STEPS = ["a = 1", "b = 2", "a + b = 4", "so 4"];

  it("rates +1 / 0 / −1 and moves on, with an error type by hotkey", () => {
    render(<Bound>{(u, d) => <StepsResponse responseIndex={2} steps={STEPS} labels={u.steps} errorTypes={TYPES} dispatch={d} />}</Bound>);
    const grid = screen.getByTestId("steps");
    press(grid, "+");
    press(grid, "0");
    press(grid, "-");
    press(grid, "1"); // step 4 is not rated: the hotkey does nothing
    press(grid, "ArrowUp");
    press(grid, "1"); // step 3 is rated: it takes the step error type
    expect(unitsNow().steps).toEqual([
      { response: 2, step_index: 0, rating: 1, error_type: null, comment: "" },
      { response: 2, step_index: 1, rating: 0, error_type: null, comment: "" },
      { response: 2, step_index: 2, rating: -1, error_type: "irrelevant", comment: "" },
    ]);
    press(grid, "Backspace");
    expect(unitsNow().steps.map((s) => s.step_index)).toEqual([0, 1]);
  });

  it("stops at the first error: later ratings are cleared and the rest is locked", () => {
    render(<Bound>{(u, d) => <StepsResponse responseIndex={0} steps={STEPS} labels={u.steps} errorTypes={TYPES} dispatch={d} />}</Bound>);
    const grid = screen.getByTestId("steps");
    times(3, () => press(grid, "ArrowDown"));
    press(grid, "+"); // step 4 rated first
    press(grid, "s");
    expect(screen.getByRole("checkbox", { name: /Stop at first/ })).toHaveProperty("checked", true);
    times(3, () => press(grid, "ArrowUp"));
    press(grid, "+");
    press(grid, "-"); // step 2 is wrong: step 4's rating goes, steps 3 and 4 lock
    expect(unitsNow().steps.map((s) => [s.step_index, s.rating])).toEqual([
      [0, 1],
      [1, -1],
    ]);
    press(grid, "ArrowDown");
    press(grid, "+");
    expect(unitsNow().steps).toHaveLength(2);
    const rows = screen.getAllByRole("row");
    expect(rows.map((r) => r.classList.contains("locked"))).toEqual([false, false, true, true]);
  });

  it("draws a machine rating in its step row, with accept and reject", () => {
    const onAccept = vi.fn();
    const onReject = vi.fn();
    render(
      <StepsResponse
        responseIndex={0}
        steps={STEPS}
        labels={[]}
        errorTypes={TYPES}
        dispatch={() => {}}
        suggestions={[{ id: "9.step.0", step_index: 2, rating: -1, error_type: "irrelevant", judge: "prm" }]}
        onAcceptSuggestion={onAccept}
        onRejectSuggestion={onReject}
      />,
    );
    const rows = screen.getAllByRole("row");
    expect(rows[2]!.querySelector("[data-suggestion='9.step.0']")?.textContent).toContain("prm −1 Irrelevant");
    expect(rows[1]!.querySelector("[data-suggestion]")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Accept the suggestion for step 3" }));
    fireEvent.click(screen.getByRole("button", { name: "Reject the suggestion for step 3" }));
    expect(onAccept).toHaveBeenCalledWith("9.step.0");
    expect(onReject).toHaveBeenCalledWith("9.step.0");
  });
});

describe("image regions keyboard", () => {
  it("adds a box, moves it, resizes it and retypes it from the keyboard", () => {
    render(
      <Bound>
        {(u, d) => <ImageResponse responseIndex={3} url="data:," width={640} height={400} regions={u.regions} errorTypes={TYPES} dispatch={d} />}
      </Bound>,
    );
    const zone = screen.getByTestId("image-zone");
    press(zone, "n");
    press(zone, "ArrowRight");
    press(zone, "ArrowDown", { shift: true });
    press(zone, "ArrowRight", { alt: true });
    const [region] = unitsNow().regions;
    expect(region!.shape).toBe("box");
    expect(region!.error_type).toBe("wrong");
    expect(region!.points).toEqual([
      [0.41, 0.45],
      [0.62, 0.65],
    ]);
    expect(region!.points.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
    press(zone, "Delete");
    expect(unitsNow().regions).toEqual([]);
  });

  // A region-only type with its own hotkey, to check that keyboard polygons take the chosen type.
  const REGION_TYPES: ErrorType[] = [...TYPES, { key: "blurry", name: "Blurry", description: "", color: "#2ca02c", hotkey: "3", severity_levels: ["minor", "major"], unit_kinds: ["region"] }];

  function imageZone() {
    render(
      <Bound>
        {(u, d) => <ImageResponse responseIndex={1} url="data:," width={640} height={400} regions={u.regions} errorTypes={REGION_TYPES} dispatch={d} />}
      </Bound>,
    );
    return screen.getByTestId("image-zone");
  }
  const cursorAt = () => {
    const c = screen.getByTestId("vertex-cursor");
    return [Number(c.getAttribute("data-x")), Number(c.getAttribute("data-y"))];
  };
  const announced = () => screen.getByTestId("image-announcement").textContent;

  it("draws a polygon from the keyboard: cursor, vertices, undo, type, close on the first vertex", () => {
    const zone = imageZone();
    expect(screen.queryByTestId("vertex-cursor")).toBeNull();
    press(zone, "g");
    expect(screen.getByRole("button", { name: /polygon/ }).getAttribute("aria-pressed")).toBe("true");
    expect(cursorAt()).toEqual([0.5, 0.5]);
    expect(screen.getByRole("img", { name: "Vertex cursor at 50% across, 50% down" })).toBeTruthy();
    expect(announced()).toContain("Vertex cursor at 50% across, 50% down");

    times(8, () => press(zone, "ArrowLeft", { shift: true }));
    times(8, () => press(zone, "ArrowUp", { shift: true }));
    expect(cursorAt()).toEqual([0.1, 0.1]);
    expect(announced()).toBe("Cursor at 10% across, 10% down.");
    press(zone, "Enter");
    expect(announced()).toBe("Vertex 1 placed at 10% across, 10% down.");
    press(zone, "Enter"); // the same place twice is no vertex
    expect(announced()).toMatch(/^Vertex 1 is already here/);
    times(6, () => press(zone, "ArrowRight", { shift: true }));
    press(zone, " ");
    times(3, () => press(zone, "ArrowLeft", { shift: true }));
    times(6, () => press(zone, "ArrowDown", { shift: true }));
    press(zone, "ArrowRight"); // one small step too far: place it, then take it back
    press(zone, "Enter");
    expect(screen.getByTestId("polygon-status").textContent).toContain("3 vertices");
    press(zone, "Backspace");
    expect(announced()).toBe("Vertex 3 removed; 2 left.");
    expect(screen.getByTestId("polygon-status").textContent).toContain("2 vertices");
    press(zone, "ArrowLeft");
    expect(cursorAt()).toEqual([0.25, 0.4]);
    press(zone, "Enter");
    expect(unitsNow().regions).toEqual([]); // nothing is saved before it closes

    press(zone, "3"); // the type of the region to come
    press(zone, "Home");
    expect(cursorAt()).toEqual([0.1, 0.1]);
    expect(announced()).toContain("Enter closes the polygon");
    expect(screen.getByTestId("vertex-cursor").getAttribute("class")).toContain("on-first");
    press(zone, "Enter");
    expect(announced()).toBe("Polygon closed with 3 vertices, Blurry.");
    const [region] = unitsNow().regions;
    expect(region).toMatchObject({
      response: 1,
      shape: "polygon",
      error_type: "blurry",
      points: [
        [0.1, 0.1],
        [0.4, 0.1],
        [0.25, 0.4],
      ],
    });
    // The new region is selected: its comment and severity, as for boxes.
    fireEvent.change(screen.getByLabelText("Region comment"), { target: { value: "smudged" } });
    fireEvent.click(screen.getByRole("radio", { name: "major" }));
    expect(unitsNow().regions[0]).toMatchObject({ comment: "smudged", severity: 2, error_type: "blurry" });
    // The cursor stays for the next polygon; arrows move it, not the selected region.
    press(zone, "ArrowRight");
    expect(cursorAt()).toEqual([0.11, 0.1]);
    expect(unitsNow().regions[0]!.points[0]).toEqual([0.1, 0.1]);
  });

  it("closes with c, keeps the cursor inside the image, fine steps with alt, Escape cancels", () => {
    const zone = imageZone();
    press(zone, "g");
    times(15, () => press(zone, "ArrowLeft", { shift: true }));
    times(15, () => press(zone, "ArrowUp", { shift: true }));
    expect(cursorAt()).toEqual([0, 0]);
    press(zone, " ");
    press(zone, "ArrowRight", { alt: true });
    press(zone, "ArrowDown", { shift: true });
    expect(cursorAt()).toEqual([0.001, 0.05]);
    press(zone, "Enter");
    press(zone, "c"); // two vertices: no polygon yet
    expect(announced()).toBe("A polygon needs 3 vertices; 2 placed.");
    expect(unitsNow().regions).toEqual([]);
    times(30, () => press(zone, "ArrowRight", { shift: true }));
    expect(cursorAt()).toEqual([1, 0.05]);
    press(zone, "Enter");
    press(zone, "Escape");
    expect(announced()).toBe("Polygon cancelled.");
    expect(screen.getByTestId("polygon-status").textContent).toContain("0 vertices");
    press(zone, "c");
    expect(unitsNow().regions).toEqual([]);

    press(zone, "Enter");
    press(zone, "ArrowDown");
    press(zone, "Enter");
    press(zone, "ArrowLeft");
    press(zone, "Enter");
    press(zone, "c");
    const [region] = unitsNow().regions;
    expect(region!.shape).toBe("polygon");
    expect(region!.error_type).toBe("wrong");
    expect(region!.points).toEqual([
      [1, 0.05],
      [1, 0.06],
      [0.99, 0.06],
    ]);
    expect(region!.points.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
    // Back to the box tool: the cursor goes, arrows move the selected polygon again.
    press(zone, "b");
    expect(screen.queryByTestId("vertex-cursor")).toBeNull();
    press(zone, "ArrowLeft");
    expect(unitsNow().regions[0]!.points).toEqual([
      [0.99, 0.05],
      [0.99, 0.06],
      [0.98, 0.06],
    ]);
  });

  it("lists the keyboard polygon keys in the shortcut overlay", () => {
    const image = SHORTCUTS.filter((s) => s.group === "Image");
    const keysFor = (word: RegExp) => image.filter((s) => word.test(s.label)).flatMap((s) => s.keys);
    expect(keysFor(/place a vertex/)).toEqual(["Enter", "Space"]);
    expect(keysFor(/close it/)).toEqual(["c"]);
    expect(keysFor(/remove the last vertex/)).toEqual(["Backspace"]);
    expect(keysFor(/cancel/)).toEqual(["Escape"]);
    expect(keysFor(/vertex cursor/)).toEqual(["g", "arrows"]);
  });

  it("draws machine regions dashed and unfilled, apart from one's own", () => {
    const { container } = render(
      <ImageResponse
        responseIndex={3}
        url="data:,"
        width={640}
        height={400}
        regions={[{ id: "r1", response: 3, shape: "box", points: [[0.1, 0.1], [0.3, 0.3]], error_type: "wrong", severity: null, comment: "" }]}
        errorTypes={TYPES}
        dispatch={() => {}}
        suggestions={[{ id: "7.region.0", shape: "polygon", points: [[0.5, 0.5], [0.9, 0.5], [0.7, 0.9]], error_type: "wrong", judge: "vlm" }]}
      />,
    );
    const suggested = container.querySelector("polygon[data-suggestion='7.region.0']")!;
    expect(suggested.getAttribute("stroke-dasharray")).toBe("6 4");
    expect(suggested.getAttribute("fill")).toBe("none");
    expect(suggested.getAttribute("points")).toBe("0.5,0.5 0.9,0.5 0.7,0.9");
    expect(suggested.textContent).toBe("Wrong (suggested by vlm)");
    const own = container.querySelector("polygon[data-region='r1']")!;
    expect(own.getAttribute("stroke-dasharray")).toBeNull();
  });
});

const CRITERIA: RubricCriterion[] = [
  { key: "factuality", name: "Factuality", description: "Is it true?", levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}`, description: `level ${v} text` })) },
  { key: "fluency", name: "Fluency", description: "", levels: [{ value: 0, label: "bad" }, { value: 1, label: "ok" }] },
];
const RESPONSES = [{ index: 0 }, { index: 1 }] as ResponseOut[];

describe("rubric and preference keyboard", () => {
  it("scores with keys 1..N per criterion and response, and shows every level's text", () => {
    render(<Bound>{(u, d) => <RubricPanel criteria={CRITERIA} responses={RESPONSES} scores={u.rubric_scores} dispatch={d} />}</Bound>);
    const grid = screen.getByTestId("rubric");
    expect(grid.textContent).toContain("level 5 text");
    press(grid, "4");
    press(grid, "ArrowDown");
    press(grid, "3"); // fluency has two levels: 3 is no level
    press(grid, "2");
    press(grid, "ArrowRight");
    press(grid, "1");
    expect(unitsNow().rubric_scores).toEqual([
      { response: 0, criterion: "factuality", score: 4, rationale: "" },
      { response: 0, criterion: "fluency", score: 1, rationale: "" },
      { response: 1, criterion: "fluency", score: 0, rationale: "" },
    ]);
  });

  it("grades a pair from −3 to +3, nudges it, and keeps per-criterion grades apart", () => {
    render(<Bound>{(u, d) => <PairwisePanel responses={RESPONSES} criteria={CRITERIA} preferences={u.preferences} dispatch={d} />}</Bound>);
    const grid = screen.getByTestId("pairwise");
    press(grid, "1");
    expect(unitsNow().preferences).toEqual([{ response_a: 0, response_b: 1, criterion: null, value: -3, rationale: "" }]);
    press(grid, "ArrowRight");
    press(grid, "8"); // no grade
    expect(unitsNow().preferences[0]!.value).toBe(-2);
    fireEvent.change(screen.getByLabelText("Preference criterion"), { target: { value: "fluency" } });
    press(grid, "7");
    expect(unitsNow().preferences).toEqual([
      { response_a: 0, response_b: 1, criterion: null, value: -2, rationale: "" },
      { response_a: 0, response_b: 1, criterion: "fluency", value: 3, rationale: "" },
    ]);
    press(grid, "Delete");
    expect(unitsNow().preferences.map((p) => p.criterion)).toEqual([null]);
  });
});
