import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  TextOffsets,
  caretStops,
  codePointToUtf16,
  nextWordBoundary,
  snapRange,
  snapRangeToWords,
  splitsCharacter,
  stepStop,
  toWireRange,
  utf16ToCodePoint,
  wordSegments,
} from "./offsets";

// User-perceived characters, several of them more than one code point or code unit; the same
// list as tests/annotator/api/test_offsets_roundtrip.py so both sides agree.
const GRAPHEMES = [
  "a",
  "Z",
  " ",
  "\r\n",
  "\n",
  "\t",
  "é",
  "e\u0301",
  "n\u0303\u0323",
  "\u{1f600}",
  "\u{1f44d}\u{1f3fd}",
  "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}",
  "\u{1f1eb}\u{1f1f7}",
  "\u2764\ufe0f",
  "中",
  "文",
  "\u{20000}",
  "ש",
  "ל",
  "ו",
  "م",
  "\u200f",
  "\u{1d54f}",
];

const pieces = fc.array(fc.constantFrom(...GRAPHEMES), { minLength: 0, maxLength: 40 });

/** Reference: code point index = length of Array.from over the prefix. */
const cpLen = (s: string) => Array.from(s).length;

describe("TextOffsets", () => {
  it("round-trips every code point boundary (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const o = new TextOffsets(text);
        expect(o.length).toBe(cpLen(text));
        for (let cp = 0; cp <= o.length; cp++) {
          const u16 = o.toUtf16(cp);
          expect(o.toCodePoint(u16)).toBe(cp);
          expect(cpLen(text.slice(0, u16))).toBe(cp);
        }
      }),
    );
  });

  it("counts astral characters as one code point", () => {
    const text = "a\u{1f600}b\u{20000}c";
    expect(text.length).toBe(7);
    expect(utf16ToCodePoint(text, 3)).toBe(2);
    expect(utf16ToCodePoint(text, 6)).toBe(4);
    expect(codePointToUtf16(text, 4)).toBe(6);
    expect(codePointToUtf16(text, 5)).toBe(7);
  });

  it("refuses an offset inside a surrogate pair or outside the text", () => {
    const o = new TextOffsets("x\u{1f600}");
    expect(() => o.toCodePoint(2)).toThrow(/surrogate/);
    expect(() => o.toCodePoint(4)).toThrow(RangeError);
    expect(() => o.toUtf16(3)).toThrow(RangeError);
  });

  it("gives the same slice in both worlds for any range of whole characters (property)", () => {
    fc.assert(
      fc.property(pieces, fc.nat(), fc.nat(), (parts, x, y) => {
        const text = parts.join("");
        const bounds = [0];
        for (const p of parts) bounds.push(bounds[bounds.length - 1]! + p.length);
        const a = bounds[x % bounds.length]!;
        const b = bounds[y % bounds.length]!;
        const [s, e] = a <= b ? [a, b] : [b, a];
        const o = new TextOffsets(text);
        const cps = Array.from(text);
        const wire = { start: o.toCodePoint(s), end: o.toCodePoint(e) };
        // What Python's text[start:end] would give, computed over code points:
        expect(cps.slice(wire.start, wire.end).join("")).toBe(text.slice(s, e));
      }),
    );
  });
});

describe("caret stops", () => {
  it("never stops inside a character the server would call split (property)", () => {
    fc.assert(
      fc.property(pieces, (parts) => {
        const text = parts.join("");
        const stops = caretStops(text);
        expect(stops[0]).toBe(0);
        expect(stops[stops.length - 1]).toBe(text.length);
        for (const s of stops) expect(splitsCharacter(text, s)).toBe(false);
        // Every boundary between the pieces we joined is a stop: a whole grapheme per piece.
        let at = 0;
        const set = new Set(stops);
        for (const p of parts) {
          expect(set.has(at)).toBe(true);
          at += p.length;
        }
      }),
    );
  });

  it("snaps any UTF-16 range outward to whole characters (property)", () => {
    fc.assert(
      fc.property(pieces, fc.nat(), fc.nat(), (parts, x, y) => {
        const text = parts.join("");
        const stops = caretStops(text);
        const a = text.length ? x % (text.length + 1) : 0;
        const b = text.length ? y % (text.length + 1) : 0;
        const r = snapRange(stops, { start: a, end: b });
        expect(r.start).toBeLessThanOrEqual(Math.min(a, b));
        if (a !== b) expect(r.end).toBeGreaterThanOrEqual(Math.max(a, b));
        expect(splitsCharacter(text, r.start)).toBe(false);
        expect(splitsCharacter(text, r.end)).toBe(false);
        const wire = toWireRange(new TextOffsets(text), stops, { start: a, end: b });
        expect(Array.from(text).slice(wire.start, wire.end).join("")).toBe(
          text.slice(r.start, r.end),
        );
      }),
    );
  });

  it("keeps family emoji, flags and combining marks whole", () => {
    const text = "a\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u{1f1eb}\u{1f1f7}e\u0301";
    const stops = Array.from(caretStops(text));
    expect(stops).toEqual([0, 1, 9, 13, 14, 15].filter((s) => s !== 14));
    expect(stepStop(caretStops(text), 1, 1)).toBe(9);
    expect(stepStop(caretStops(text), 9, -1)).toBe(1);
    expect(stepStop(caretStops(text), 5, -1)).toBe(1);
    expect(stepStop(caretStops(text), 5, 1)).toBe(9);
  });

  it("matches the server on CR LF and zero-width joiners", () => {
    expect(splitsCharacter("a\r\nb", 2)).toBe(true);
    expect(splitsCharacter("a\u200db", 2)).toBe(true);
    expect(caretStops("a\u200db")).not.toContain(2);
    expect(splitsCharacter("\u{1f1eb}\u{1f1f7}\u{1f1eb}\u{1f1f7}", 4)).toBe(false);
    expect(splitsCharacter("\u{1f1eb}\u{1f1f7}\u{1f1eb}\u{1f1f7}", 2)).toBe(true);
  });
});

describe("words", () => {
  it("widens a range to whole words and trims spaces", () => {
    const text = "Bloom was released in 2018.";
    const segs = wordSegments(text);
    expect(snapRangeToWords(text, segs, { start: 7, end: 12 })).toEqual({ start: 6, end: 18 });
    expect(snapRangeToWords(text, segs, { start: 5, end: 10 })).toEqual({ start: 6, end: 9 });
  });

  it("steps by words for ctrl+arrows", () => {
    const text = "one two  three";
    const segs = wordSegments(text);
    expect(nextWordBoundary(segs, text.length, 0, 1)).toBe(3);
    expect(nextWordBoundary(segs, text.length, 3, 1)).toBe(7);
    expect(nextWordBoundary(segs, text.length, 14, -1)).toBe(9);
    expect(nextWordBoundary(segs, text.length, 9, -1)).toBe(4);
    expect(nextWordBoundary(segs, text.length, 0, -1)).toBe(0);
    expect(nextWordBoundary(segs, text.length, 14, 1)).toBe(14);
  });
});
