import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { assignLanes, segmentText, type LaidSpan } from "./layout";

const spansArb = fc
  .array(fc.tuple(fc.nat(60), fc.integer({ min: 1, max: 20 })), { maxLength: 30 })
  .map((pairs) => pairs.map(([s, len], i): LaidSpan => ({ id: `s${i}`, start: s, end: s + len })));

describe("assignLanes", () => {
  it("never puts overlapping spans in one lane, and uses as many lanes as the deepest overlap", () => {
    fc.assert(
      fc.property(spansArb, (spans) => {
        const { lanes, count } = assignLanes(spans);
        for (const a of spans)
          for (const b of spans) {
            if (a.id !== b.id && a.start < b.end && b.start < a.end) {
              expect(lanes.get(a.id)).not.toBe(lanes.get(b.id));
            }
          }
        let depth = 0;
        for (let x = 0; x < 100; x++) {
          depth = Math.max(depth, spans.filter((s) => s.start <= x && x < s.end).length);
        }
        expect(count).toBe(depth);
      }),
    );
  });

  it("stacks nested spans: the outer one takes lane 0", () => {
    const { lanes } = assignLanes([
      { id: "inner", start: 2, end: 4 },
      { id: "outer", start: 0, end: 10 },
    ]);
    expect(lanes.get("outer")).toBe(0);
    expect(lanes.get("inner")).toBe(1);
  });
});

describe("segmentText", () => {
  it("covers the text exactly and lists exactly the covering spans (property)", () => {
    fc.assert(
      fc.property(spansArb, (spans) => {
        const length = 90;
        const segs = segmentText(length, spans, [5, 50]);
        expect(segs[0]!.start).toBe(0);
        expect(segs[segs.length - 1]!.end).toBe(length);
        for (let i = 1; i < segs.length; i++) expect(segs[i]!.start).toBe(segs[i - 1]!.end);
        for (const seg of segs) {
          const want = spans
            .filter((s) => s.start <= seg.start && seg.end <= Math.min(s.end, length) && s.start < s.end)
            .map((s) => s.id);
          expect(seg.spans).toEqual(want);
        }
      }),
    );
  });

  it("returns one plain segment without spans", () => {
    expect(segmentText(5, [])).toEqual([{ start: 0, end: 5, spans: [] }]);
    expect(segmentText(0, [])).toEqual([]);
  });
});
