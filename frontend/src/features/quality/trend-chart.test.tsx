import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { LineChart } from "./charts";
import { DEFAULT_SHOWN, TrendChart, type TrendLine } from "./trend-chart";

afterEach(cleanup);

const MEASURES = [
  { key: "f1", label: "F1" },
  { key: "alpha", label: "α" },
];

/** ``n`` annotators over two snapshots, heaviest first as the API sends them. */
function annotators(n: number): TrendLine[] {
  return Array.from({ length: n }, (_, k) => ({
    key: `user:${k}`,
    label: `ann${k}`,
    values: { f1: [0.1 + k / 100, 0.2 + k / 100], alpha: [-0.1 * k, k === 1 ? null : 0.5] },
  }));
}

function renderTrend(lines: TrendLine[], colorOf?: (key: string) => string | undefined) {
  return render(
    <TrendChart
      title="by annotator"
      testId="trend"
      noun="annotators"
      empty="nothing yet"
      xLabels={["t1", "t2"]}
      lines={lines}
      measures={MEASURES}
      colorOf={colorOf}
    />,
  );
}

const drawn = (container: HTMLElement) =>
  [...container.querySelectorAll("[data-testid=trend] [data-series]")].map((g) => g.getAttribute("data-series"));

describe("TrendChart", () => {
  it("draws the first lines by default and lets the reader pick others", () => {
    const { container } = renderTrend(annotators(9));
    expect(DEFAULT_SHOWN).toBe(6);
    expect(drawn(container)).toEqual(["user:0", "user:1", "user:2", "user:3", "user:4", "user:5"]);
    expect(screen.getByText("6 of 9 annotators shown")).toBeTruthy();
    const picker = screen.getByRole("group", { name: "by annotator: annotators shown" });
    fireEvent.click(within(picker).getByRole("checkbox", { name: "ann0" }));
    fireEvent.click(within(picker).getByRole("checkbox", { name: "ann8" }));
    expect(drawn(container)).toEqual(["user:1", "user:2", "user:3", "user:4", "user:5", "user:8"]);
    expect(screen.getByText("6 of 9 annotators shown")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "all" }));
    expect(drawn(container)).toHaveLength(9);
    fireEvent.click(screen.getByRole("button", { name: "none" }));
    expect(drawn(container)).toEqual([]);
    fireEvent.click(screen.getByRole("button", { name: "top 6" }));
    expect(drawn(container)).toHaveLength(6);
  });

  it("switches the measure, keeping each line's colour, with gaps for missing values", () => {
    const { container } = renderTrend(annotators(2));
    const line = () => container.querySelector("[data-series='user:1']")!;
    const stroke = line().querySelector("path")?.getAttribute("stroke");
    expect([...line().querySelectorAll("circle title")].map((t) => t.textContent)).toEqual(["ann1 · t1: 0.110", "ann1 · t2: 0.210"]);
    fireEvent.change(screen.getByRole("combobox", { name: "by annotator: measure" }), { target: { value: "alpha" } });
    expect(screen.getByRole("img", { name: "by annotator: α" })).toBeTruthy();
    expect([...line().querySelectorAll("circle title")].map((t) => t.textContent)).toEqual(["ann1 · t1: -0.100"]);
    expect(line().querySelector("path")?.getAttribute("stroke")).toBe(stroke);
  });

  it("uses a line's own colour, else the palette, dashed once the palette repeats", () => {
    const { container } = renderTrend(annotators(12), (key) => (key === "user:0" ? "#123456" : undefined));
    fireEvent.click(screen.getByRole("button", { name: "all" }));
    const path = (key: string) => container.querySelector(`[data-series='${key}'] path`)!;
    expect(path("user:0").getAttribute("stroke")).toBe("#123456");
    expect(path("user:1").getAttribute("stroke-dasharray")).toBeNull();
    expect(path("user:11").getAttribute("stroke-dasharray")).toBe("6 4");
    expect(path("user:11").getAttribute("stroke")).toBe(path("user:1").getAttribute("stroke"));
  });

  it("says so when there are no lines", () => {
    renderTrend([]);
    expect(screen.getByText("nothing yet")).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
  });
});

describe("LineChart", () => {
  it("grows taller when the legend has more lines than fit", () => {
    const many = Array.from({ length: 20 }, (_, k) => ({ key: `s${k}`, label: `s${k}`, values: [0.5] }));
    const { container } = render(<LineChart title="t" xLabels={["a"]} series={many} />);
    const height = Number(container.querySelector("svg")?.getAttribute("viewBox")?.split(" ")[3]);
    expect(height).toBeGreaterThanOrEqual(16 + 20 * 20);
  });
});
