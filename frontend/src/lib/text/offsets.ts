/**
 * Offsets at the browser's edge (DESIGN §2).
 *
 * The DOM, Selection and String APIs count UTF-16 code units; the wire and the database count
 * Unicode code points. Every span crosses this module exactly once in each direction.
 * A span boundary must also never split a user-perceived character: boundaries are snapped to
 * grapheme-cluster boundaries (Intl.Segmenter) that the server's own rule (core/text.py)
 * accepts as well.
 */

/** Maps between UTF-16 and code point offsets of one text, in O(1) after an O(n) build. */
export class TextOffsets {
  readonly text: string;
  /** utf16 index -> code point index; -1 inside a surrogate pair. */
  private readonly toCp: Int32Array;
  /** code point index -> utf16 index. */
  private readonly toU16: Int32Array;

  constructor(text: string) {
    this.text = text;
    const n = text.length;
    this.toCp = new Int32Array(n + 1);
    const u16: number[] = [];
    let cp = 0;
    for (let i = 0; i < n; i++) {
      const code = text.charCodeAt(i);
      this.toCp[i] = cp;
      u16.push(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          this.toCp[i + 1] = -1;
          i++;
        }
      }
      cp++;
    }
    this.toCp[n] = cp;
    u16.push(n);
    this.toU16 = Int32Array.from(u16);
  }

  /** Number of code points in the text. */
  get length(): number {
    return this.toU16.length - 1;
  }

  /** UTF-16 offset -> code point offset. Throws inside a surrogate pair. */
  toCodePoint(u16: number): number {
    if (!Number.isInteger(u16) || u16 < 0 || u16 > this.text.length) {
      throw new RangeError(`UTF-16 offset ${u16} is outside the text`);
    }
    const cp = this.toCp[u16]!;
    if (cp < 0) throw new RangeError(`UTF-16 offset ${u16} splits a surrogate pair`);
    return cp;
  }

  /** Code point offset -> UTF-16 offset. */
  toUtf16(cp: number): number {
    if (!Number.isInteger(cp) || cp < 0 || cp > this.length) {
      throw new RangeError(`code point offset ${cp} is outside the text`);
    }
    return this.toU16[cp]!;
  }
}

/** Code point offset of a UTF-16 offset (one-off; use TextOffsets for many). */
export function utf16ToCodePoint(text: string, u16: number): number {
  return new TextOffsets(text).toCodePoint(u16);
}

/** UTF-16 offset of a code point offset (one-off; use TextOffsets for many). */
export function codePointToUtf16(text: string, cp: number): number {
  return new TextOffsets(text).toUtf16(cp);
}

// --- the server's rule (core/text.py), at a UTF-16 boundary --------------------------------

const MARK = /^\p{M}$/u;
const ZWJ = 0x200d;

function extendsPrevious(code: number): boolean {
  return (
    MARK.test(String.fromCodePoint(code)) ||
    code === ZWJ ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x1f3fb && code <= 0x1f3ff) ||
    (code >= 0xe0020 && code <= 0xe007f) ||
    (code >= 0xe0100 && code <= 0xe01ef)
  );
}

function regionalIndicator(code: number): boolean {
  return code >= 0x1f1e6 && code <= 0x1f1ff;
}

/** The code point that ends at UTF-16 offset `i` (i > 0). */
function codePointBefore(text: string, i: number): number {
  const low = text.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(i - 2)!;
  }
  return low;
}

/** Whether a boundary at UTF-16 offset `i` cuts a character, by the server's rule. */
export function splitsCharacter(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const here = text.charCodeAt(i);
  const prev = text.charCodeAt(i - 1);
  if (here >= 0xdc00 && here <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) return true;
  const before = codePointBefore(text, i);
  const after = text.codePointAt(i)!;
  if (before === 0x0d && after === 0x0a) return true;
  if (extendsPrevious(after) || before === ZWJ) return true;
  if (regionalIndicator(before) && regionalIndicator(after)) {
    let run = 0;
    let j = i;
    while (j > 0) {
      const cp = codePointBefore(text, j);
      if (!regionalIndicator(cp)) break;
      run++;
      j -= 2;
    }
    return run % 2 === 1;
  }
  return false;
}

// --- grapheme and word boundaries ------------------------------------------------------------

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const words = new Intl.Segmenter(undefined, { granularity: "word" });

/**
 * Sorted UTF-16 offsets where a span may start or end: grapheme-cluster boundaries that the
 * server accepts too (0 and text.length included).
 */
export function caretStops(text: string): Int32Array {
  const stops: number[] = [];
  for (const { index } of graphemes.segment(text)) {
    if (!splitsCharacter(text, index)) stops.push(index);
  }
  if (stops[stops.length - 1] !== text.length) stops.push(text.length);
  if (stops[0] !== 0) stops.unshift(0);
  return Int32Array.from(stops);
}

/** Index of the last stop <= pos (binary search). */
function floorIndex(stops: Int32Array, pos: number): number {
  let lo = 0;
  let hi = stops.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (stops[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The nearest stop at or before `pos`. */
export function snapDown(stops: Int32Array, pos: number): number {
  return stops[floorIndex(stops, pos)]!;
}

/** The nearest stop at or after `pos`. */
export function snapUp(stops: Int32Array, pos: number): number {
  const i = floorIndex(stops, pos);
  const at = stops[i]!;
  if (at >= pos) return at;
  return stops[Math.min(i + 1, stops.length - 1)]!;
}

/** The stop `delta` grapheme clusters away from `pos` (clamped to the text). */
export function stepStop(stops: Int32Array, pos: number, delta: number): number {
  let i = floorIndex(stops, pos);
  // Inside a cluster the floor stop is already one step back.
  if (delta < 0 && stops[i]! < pos) i += 1;
  const target = Math.max(0, Math.min(stops.length - 1, i + delta));
  return stops[target]!;
}

export type Range16 = { start: number; end: number };

/** Widen a UTF-16 range to whole characters: start down, end up; empty stays empty. */
export function snapRange(stops: Int32Array, range: Range16): Range16 {
  const a = Math.min(range.start, range.end);
  const b = Math.max(range.start, range.end);
  if (a === b) return { start: snapDown(stops, a), end: snapDown(stops, a) };
  return { start: snapDown(stops, a), end: snapUp(stops, b) };
}

type WordSeg = { start: number; end: number };

/** Word-like segments (letters, digits, CJK) of a text, in order. */
export function wordSegments(text: string): WordSeg[] {
  const out: WordSeg[] = [];
  for (const seg of words.segment(text)) {
    if (seg.isWordLike) out.push({ start: seg.index, end: seg.index + seg.segment.length });
  }
  return out;
}

/**
 * Widen a range to whole words: a start inside a word moves to the word's start, an end inside
 * a word to its end; whitespace at either edge is dropped. Empty ranges stay empty.
 */
export function snapRangeToWords(text: string, segs: WordSeg[], range: Range16): Range16 {
  let { start, end } = range;
  if (start >= end) return range;
  for (const w of segs) {
    if (w.start < start && start < w.end) start = w.start;
    if (w.start < end && end < w.end) end = w.end;
  }
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

/** Where ctrl+arrow goes: the end of the next word (dir=1) or the start of the previous one. */
export function nextWordBoundary(segs: WordSeg[], textLength: number, pos: number, dir: 1 | -1) {
  if (dir > 0) {
    for (const w of segs) if (w.end > pos) return w.end;
    return textLength;
  }
  for (let i = segs.length - 1; i >= 0; i--) {
    const w = segs[i]!;
    if (w.start < pos) return w.start;
  }
  return 0;
}

/** A span on the wire, converted from a UTF-16 range (snapped to characters first). */
export function toWireRange(offsets: TextOffsets, stops: Int32Array, r: Range16) {
  const snapped = snapRange(stops, r);
  return { start: offsets.toCodePoint(snapped.start), end: offsets.toCodePoint(snapped.end) };
}
