import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ErrorType } from "@/types";

import { GroupedBars, Heatmap, LineChart } from "./charts";
import { DiffText } from "./diff-text";

const TYPES: ErrorType[] = [
  { key: "x", name: "Wrong", description: "", color: "#ff7f0e", hotkey: "1", severity_levels: [], unit_kinds: ["span"] },
];

describe("DiffText", () => {
  it("marks agreed, disputed and missed text by code points", () => {
    // "👍 ok fine": the emoji is one code point but two UTF-16 units.
    const text = "👍 ok fine";
    render(
      <DiffText
        text={text}
        label="Response 1"
        errorTypes={TYPES}
        spans={[
          { start: 0, end: 1, error_type: "x", agreed: true },
          { start: 2, end: 4, error_type: "x", agreed: false },
        ]}
        others={[[5, 9]]}
      />,
    );
    const doc = screen.getByRole("document", { name: "Response 1" });
    expect(doc.textContent).toBe(text);
    expect(doc.querySelector("[data-diff=agreed]")?.textContent).toBe("👍");
    expect(doc.querySelector("[data-diff=disputed]")?.textContent).toBe("ok");
    expect(doc.querySelector(".d-missed")?.textContent).toBe("fine");
  });
});

describe("charts", () => {
  it("draws a gap, not a zero, for undefined values", () => {
    const { container } = render(
      <LineChart title="over time" xLabels={["a", "b", "c"]} series={[{ label: "α", values: [0.5, null, 0.7] }]} />,
    );
    expect(screen.getByRole("img", { name: "over time" })).toBeTruthy();
    expect(container.querySelectorAll("circle")).toHaveLength(2);
    expect(container.querySelector("path")?.getAttribute("d")?.match(/M/g)).toHaveLength(2);
  });

  it("labels bars and marks missing measures n/a, with an HTML legend", () => {
    const { container } = render(<GroupedBars title="bars" measures={["F1", "α"]} rows={[{ label: "Wrong", values: [0.25, null] }]} />);
    const chart = screen.getByRole("img", { name: "bars" });
    expect(chart.textContent).toContain("0.25");
    expect(chart.textContent).toContain("n/a");
    expect(container.querySelector("figcaption")?.textContent).toBe("F1α");
  });

  it("hatches empty heatmap cells and prints the others", () => {
    const { container } = render(
      <Heatmap title="pairs" scale="agreement" rows={["a", "b"]} cols={["a", "b"]} values={[[null, 0.5], [0.5, null]]} />,
    );
    const cells = container.querySelectorAll("rect");
    expect([...cells].filter((r) => r.getAttribute("fill")?.startsWith("url(")).length).toBe(2);
    expect(screen.getByRole("img", { name: "pairs" }).textContent).toContain("0.50");
  });
});
