/**
 * Span-layer benchmark page (benchmarks/ui.py drives it). It mounts the annotate view's real
 * text block (TextResponse + span list, bound to the same reducer) on synthetic data and
 * exposes window.__bench:
 *   render(spanCount)  -> ms from render call to laid-out DOM, and to the next painted frame
 *   createSpan()       -> ms from the hotkey keydown to the laid-out DOM with the new span
 */
import { useReducer } from "react";
import { flushSync } from "react-dom";
import { createRoot, type Root } from "react-dom/client";

import "../src/styles.css";
import { TextBlock } from "../src/features/annotate/annotate-page";
import { emptyUnits, unitsReducer, type SpanUnit } from "../src/features/annotate/units";
import type { ErrorType } from "../src/types";

const TYPES: ErrorType[] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"].map((color, i) => ({
  key: `t${i + 1}`,
  name: `Type ${i + 1}`,
  description: "",
  color,
  hotkey: String(i + 1),
  severity_levels: [],
  unit_kinds: ["span"],
}));
const byKey = new Map(TYPES.map((t) => [t.key, t]));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const WORDS = ["model", "answer", "the", "album", "was", "released", "in", "2018", "by", "EMI", "passage", "claims", "東京", "👍🏽", "café", "and", "not", "supported"];

export function makeText(length: number, seed = 1): string {
  const r = rng(seed);
  let out = "";
  while (out.length < length) {
    out += WORDS[Math.floor(r() * WORDS.length)]!;
    out += r() < 0.08 ? ".\n" : " ";
  }
  // Cut on a code point boundary.
  return Array.from(out.slice(0, length)).join("").replace(/[\ud800-\udbff]$/, "");
}

export function makeSpans(text: string, count: number, seed = 2): SpanUnit[] {
  const r = rng(seed);
  const cps = Array.from(text).length;
  return Array.from({ length: count }, (_, i) => {
    const start = Math.floor(r() * (cps - 80));
    const end = start + 3 + Math.floor(r() * 60);
    return { id: `b${i}`, response: 0, start, end, error_type: TYPES[i % TYPES.length]!.key, severity: null, comment: "" };
  });
}

function Harness({ text, spans }: { text: string; spans: SpanUnit[] }) {
  const [units, dispatch] = useReducer(unitsReducer, undefined, () => ({ ...emptyUnits(), spans }));
  return (
    <TextBlock
      responseIndex={0}
      text={text}
      units={units.spans}
      suggestions={[]}
      errorTypes={TYPES}
      typesByKey={byKey}
      focusedId={null}
      snapWords={false}
      dispatch={dispatch}
      setFocused={() => {}}
      onEdit={() => {}}
      onToggleSnap={() => {}}
      onAccept={() => {}}
      onReject={() => {}}
    />
  );
}

const container = document.getElementById("root")!;
let root: Root | null = null;
const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const layout = () => container.getBoundingClientRect().height + container.offsetHeight;

async function render(spanCount: number, textLength = 20_000) {
  root?.unmount();
  container.textContent = "";
  const text = makeText(textLength);
  const spans = makeSpans(text, spanCount);
  await nextFrame();
  root = createRoot(container);
  const t0 = performance.now();
  flushSync(() => root!.render(<Harness text={text} spans={spans} />));
  layout();
  const t1 = performance.now();
  await nextFrame();
  const t2 = performance.now();
  return { render_ms: t1 - t0, paint_ms: t2 - t0, segments: container.querySelectorAll("[data-s]").length };
}

/** Select a random 20-character range with the DOM Selection + mouseup (the mouse path),
 * then time the hotkey that turns it into a span. */
async function createSpan(seed: number) {
  const layer = container.querySelector<HTMLElement>("[data-testid=span-layer]")!;
  const segs = Array.from(layer.querySelectorAll<HTMLElement>("[data-s]")).filter((s) => (s.textContent ?? "").length > 25);
  const seg = segs[Math.floor(rng(seed)() * segs.length)]!;
  const node = seg.firstChild as Text;
  const range = document.createRange();
  range.setStart(node, 2);
  range.setEnd(node, 22);
  const sel = window.getSelection()!;
  sel.removeAllRanges();
  sel.addRange(range);
  layer.dispatchEvent(new MouseEvent("mouseup", { bubbles: true, button: 0 }));
  flushSync(() => {});
  await nextFrame();
  const count = () => container.querySelectorAll("[data-testid=span-list] li").length;
  const before = count();
  const t0 = performance.now();
  layer.dispatchEvent(new KeyboardEvent("keydown", { key: "1", bubbles: true, cancelable: true }));
  flushSync(() => {});
  layout();
  const t1 = performance.now();
  await nextFrame();
  const t2 = performance.now();
  const after = count();
  return { create_ms: t1 - t0, paint_ms: t2 - t0, changed: after !== before };
}

declare global {
  interface Window {
    __bench: { render: typeof render; createSpan: typeof createSpan; ready: boolean };
  }
}
window.__bench = { render, createSpan, ready: true };
