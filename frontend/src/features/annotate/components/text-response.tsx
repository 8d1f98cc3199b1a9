/**
 * One text response with its span layer: the text cut into segments at span boundaries, each
 * segment drawn with one underline per covering span in that span's lane, so overlapping
 * spans stay distinguishable. Select with the mouse, or from the keyboard in caret mode
 * (arrows move, shift+arrows extend, ctrl+shift+arrows extend by word); press an error type's
 * hotkey to label the selection. Offsets inside are UTF-16; what goes out is code points.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";

import { comboOf } from "@/lib/keys";
import { assignLanes, segmentText, type LaidSpan } from "@/lib/text/layout";
import {
  TextOffsets,
  caretStops,
  nextWordBoundary,
  snapDown,
  snapRange,
  snapRangeToWords,
  stepStop,
  wordSegments,
} from "@/lib/text/offsets";
import { appliesTo, type ErrorType } from "@/types";

export type ShownSpan = {
  id: string;
  start: number; // code points
  end: number;
  error_type: string;
  machine?: boolean;
  label?: string;
};

export type TextResponseProps = {
  text: string;
  spans: readonly ShownSpan[];
  errorTypes: readonly ErrorType[];
  focusedId?: string | null;
  snapWords?: boolean;
  readOnly?: boolean;
  label?: string;
  onCreate?: (range: { start: number; end: number }, errorType: string) => void;
  onFocusSpan?: (id: string | null) => void;
  onDeleteSpan?: (id: string) => void;
  onEditSpan?: (id: string) => void;
  onSetType?: (id: string, errorType: string) => void;
  onAcceptSuggestion?: (id: string) => void;
  onRejectSuggestion?: (id: string) => void;
  onToggleSnap?: () => void;
};

type Sel = { anchor: number; focus: number };
const LANE_PX = 4;

type Info = { color: string; machine: boolean; lane: number; name: string };

const Segment = memo(function Segment(props: {
  start: number;
  end: number;
  text: string;
  deco: string;
  info: Map<string, Info>;
  laneCount: number;
}) {
  const { start, end, text, deco, info, laneCount } = props;
  const [ids, flags] = deco.split("|") as [string, string];
  if (!ids && !flags) {
    return (
      <span data-s={start} data-e={end}>
        {text}
      </span>
    );
  }
  const spanIds = ids ? ids.split(",") : [];
  const images: string[] = [];
  const positions: string[] = [];
  const sizes: string[] = [];
  let tint = "";
  const names: string[] = [];
  for (const id of spanIds) {
    const i = info.get(id);
    if (!i) continue;
    names.push(i.machine ? `${i.name} (suggestion)` : i.name);
    images.push(
      i.machine
        ? `repeating-linear-gradient(90deg, ${i.color} 0 5px, transparent 5px 8px)`
        : `linear-gradient(${i.color}, ${i.color})`,
    );
    positions.push(`0 calc(100% - ${i.lane * LANE_PX}px)`);
    sizes.push(`100% ${i.machine ? 2 : 3}px`);
    if (!i.machine) tint = i.color;
  }
  const classes = ["seg"];
  if (flags.includes("s")) classes.push("sel");
  if (flags.includes("f")) classes.push("focused");
  if (flags.includes("c")) classes.push("caret-before");
  if (flags.includes("C")) classes.push("caret-after");
  const style =
    spanIds.length > 0
      ? {
          backgroundImage: images.join(","),
          backgroundPosition: positions.join(","),
          backgroundSize: sizes.join(","),
          backgroundRepeat: "no-repeat",
          backgroundColor: tint ? `${tint}22` : undefined,
          paddingBottom: `${laneCount * LANE_PX}px`,
        }
      : undefined;
  return (
    <span
      data-s={start}
      data-e={end}
      data-spans={ids || undefined}
      className={classes.join(" ")}
      style={style}
      title={names.length ? names.join(" · ") : undefined}
    >
      {text}
    </span>
  );
});

/** Offset (UTF-16) of a DOM point inside the text root, or null when outside it. */
function pointOffset(root: HTMLElement, node: Node, offset: number): number | null {
  if (!root.contains(node)) return null;
  if (node.nodeType === Node.TEXT_NODE) {
    const seg = node.parentElement?.closest<HTMLElement>("[data-s]");
    return seg ? Number(seg.dataset.s) + offset : null;
  }
  const el = node as HTMLElement;
  if (el === root) {
    const child = root.childNodes[offset] as HTMLElement | undefined;
    if (child?.dataset?.s) return Number(child.dataset.s);
    const last = root.lastElementChild as HTMLElement | null;
    return last?.dataset.e ? Number(last.dataset.e) : 0;
  }
  const seg = el.closest<HTMLElement>("[data-s]");
  if (!seg) return null;
  return offset === 0 ? Number(seg.dataset.s) : Number(seg.dataset.e);
}

export const TextResponse = memo(function TextResponse(props: TextResponseProps) {
  const { text, spans, errorTypes, focusedId = null, snapWords = false, readOnly = false } = props;
  const rootRef = useRef<HTMLDivElement>(null);
  const [sel, setSel] = useState<Sel | null>(null);
  const [hasFocus, setHasFocus] = useState(false);
  const [palette, setPalette] = useState<number | null>(null);

  const offsets = useMemo(() => new TextOffsets(text), [text]);
  const stops = useMemo(() => caretStops(text), [text]);
  const words = useMemo(() => wordSegments(text), [text]);
  const spanTypes = useMemo(() => errorTypes.filter((t) => appliesTo(t, "span")), [errorTypes]);
  const byHotkey = useMemo(() => new Map(spanTypes.filter((t) => t.hotkey).map((t) => [t.hotkey, t])), [spanTypes]);

  // Spans in UTF-16, their lanes and colours: recomputed only when the spans change.
  const { laid, info, laneCount } = useMemo(() => {
    const types = new Map(errorTypes.map((t) => [t.key, t]));
    const laid: (LaidSpan & { machine: boolean })[] = [];
    for (const s of spans) {
      if (s.end > offsets.length || s.start >= s.end) continue;
      laid.push({ id: s.id, start: offsets.toUtf16(s.start), end: offsets.toUtf16(s.end), machine: !!s.machine });
    }
    const { lanes, count } = assignLanes(laid);
    const info = new Map<string, Info>();
    for (const s of spans) {
      const t = types.get(s.error_type);
      info.set(s.id, {
        color: t?.color ?? "#888888",
        machine: !!s.machine,
        lane: lanes.get(s.id) ?? 0,
        name: s.label ?? t?.name ?? s.error_type,
      });
    }
    return { laid, info, laneCount: count };
  }, [spans, errorTypes, offsets]);

  const range = useMemo(
    () => (sel ? { start: Math.min(sel.anchor, sel.focus), end: Math.max(sel.anchor, sel.focus) } : null),
    [sel],
  );
  const showCaret = hasFocus && !readOnly && sel !== null && sel.anchor === sel.focus;
  const cuts = useMemo(() => (range ? [range.start, range.end] : []), [range]);
  const segments = useMemo(() => segmentText(text.length, laid, cuts), [text.length, laid, cuts]);

  const focusedRange = useMemo(() => {
    const f = laid.find((s) => s.id === focusedId);
    return f ? { start: f.start, end: f.end } : null;
  }, [laid, focusedId]);

  const selectedRange = useCallback(() => {
    if (!range || range.start === range.end) return null;
    let r = snapRange(stops, range);
    if (snapWords) r = snapRange(stops, snapRangeToWords(text, words, r));
    if (r.start >= r.end) return null;
    return { start: offsets.toCodePoint(r.start), end: offsets.toCodePoint(r.end) };
  }, [range, stops, snapWords, text, words, offsets]);

  const create = useCallback(
    (key: string) => {
      const r = selectedRange();
      if (!r || !props.onCreate) return false;
      props.onCreate(r, key);
      setSel((s) => (s ? { anchor: s.focus, focus: s.focus } : s));
      setPalette(null);
      return true;
    },
    [selectedRange, props],
  );

  // Keep the focused span visible when it changes from the keyboard.
  useEffect(() => {
    if (!focusedRange || !rootRef.current) return;
    const el = rootRef.current.querySelector(`[data-s="${focusedRange.start}"]`);
    (el as HTMLElement | null)?.scrollIntoView?.({ block: "nearest" });
  }, [focusedRange]);

  const ordered = useMemo(() => [...laid].sort((a, b) => a.start - b.start || a.end - b.end), [laid]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (readOnly) return;
    const combo = comboOf(e);
    const caret = sel?.focus ?? 0;
    const move = (to: number, extend: boolean) => {
      setSel(extend && sel ? { anchor: sel.anchor, focus: to } : { anchor: to, focus: to });
      props.onFocusSpan?.(null);
    };
    const handled = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (palette !== null) {
      if (combo === "ArrowDown") setPalette((p) => ((p ?? 0) + 1) % Math.max(1, spanTypes.length));
      else if (combo === "ArrowUp") setPalette((p) => ((p ?? 0) + spanTypes.length - 1) % Math.max(1, spanTypes.length));
      else if (combo === "Enter") {
        const t = spanTypes[palette];
        if (t) create(t.key);
        setPalette(null);
      } else if (combo === "Escape") setPalette(null);
      else if (byHotkey.has(combo)) create(byHotkey.get(combo)!.key);
      else return;
      return handled();
    }
    switch (combo) {
      case "ArrowRight":
      case "shift+ArrowRight":
        move(sel && sel.anchor !== sel.focus && combo === "ArrowRight" ? Math.max(sel.anchor, sel.focus) : stepStop(stops, caret, 1), combo.startsWith("shift"));
        return handled();
      case "ArrowLeft":
      case "shift+ArrowLeft":
        move(sel && sel.anchor !== sel.focus && combo === "ArrowLeft" ? Math.min(sel.anchor, sel.focus) : stepStop(stops, caret, -1), combo.startsWith("shift"));
        return handled();
      case "ctrl+ArrowRight":
      case "ctrl+shift+ArrowRight":
      case "alt+shift+ArrowRight":
        move(snapDown(stops, nextWordBoundary(words, text.length, caret, 1)), combo.includes("shift"));
        return handled();
      case "ctrl+ArrowLeft":
      case "ctrl+shift+ArrowLeft":
      case "alt+shift+ArrowLeft":
        move(snapDown(stops, nextWordBoundary(words, text.length, caret, -1)), combo.includes("shift"));
        return handled();
      case "Home":
      case "shift+Home":
        move(0, combo.startsWith("shift"));
        return handled();
      case "End":
      case "shift+End":
        move(text.length, combo.startsWith("shift"));
        return handled();
      case "Escape":
        if (sel && sel.anchor !== sel.focus) setSel({ anchor: sel.focus, focus: sel.focus });
        else if (focusedId) props.onFocusSpan?.(null);
        else return;
        return handled();
      case ".":
      case ",": {
        if (!ordered.length) return handled();
        const i = ordered.findIndex((s) => s.id === focusedId);
        const next =
          combo === "."
            ? ordered[i === -1 ? ordered.findIndex((s) => s.start >= caret) : i + 1] ?? ordered[0]!
            : ordered[i === -1 ? ordered.length - 1 : (i - 1 + ordered.length) % ordered.length]!;
        props.onFocusSpan?.(next.id);
        setSel({ anchor: next.start, focus: next.start });
        return handled();
      }
      case "Enter":
        if (focusedId) props.onEditSpan?.(focusedId);
        else if (range && range.start !== range.end) setPalette(0);
        else return;
        return handled();
      case "Delete":
      case "Backspace":
        if (focusedId && !info.get(focusedId)?.machine) props.onDeleteSpan?.(focusedId);
        else if (focusedId) props.onRejectSuggestion?.(focusedId);
        else return;
        return handled();
      case "p":
        if (range && range.start !== range.end) setPalette(0);
        return handled();
      case "w":
        props.onToggleSnap?.();
        return handled();
      case "a":
        if (focusedId && info.get(focusedId)?.machine) {
          props.onAcceptSuggestion?.(focusedId);
          return handled();
        }
        break;
      case "x":
        if (focusedId && info.get(focusedId)?.machine) {
          props.onRejectSuggestion?.(focusedId);
          return handled();
        }
        break;
    }
    const t = byHotkey.get(combo);
    if (t) {
      if (!create(t.key) && focusedId && !info.get(focusedId)?.machine) props.onSetType?.(focusedId, t.key);
      return handled();
    }
  };

  const onMouseUp = (e: MouseEvent<HTMLDivElement>) => {
    const root = rootRef.current;
    if (!root || readOnly || e.button !== 0) return;
    const s = window.getSelection();
    if (s && s.rangeCount > 0 && !s.isCollapsed) {
      const a = pointOffset(root, s.anchorNode!, s.anchorOffset);
      const f = pointOffset(root, s.focusNode!, s.focusOffset);
      if (a !== null && f !== null && a !== f) {
        const r = snapRange(stops, { start: Math.min(a, f), end: Math.max(a, f) });
        setSel(a <= f ? { anchor: r.start, focus: r.end } : { anchor: r.end, focus: r.start });
        s.removeAllRanges();
        props.onFocusSpan?.(null);
        root.focus({ preventScroll: true });
        return;
      }
    }
    const seg = (e.target as HTMLElement).closest<HTMLElement>("[data-s]");
    if (!seg) return;
    const ids = seg.dataset.spans?.split(",") ?? [];
    if (ids.length) {
      // The innermost (shortest) span under the pointer.
      const pick = ids
        .map((id) => laid.find((l) => l.id === id)!)
        .filter(Boolean)
        .sort((x, y) => x.end - x.start - (y.end - y.start))[0];
      if (pick) {
        props.onFocusSpan?.(pick.id);
        setSel({ anchor: pick.start, focus: pick.start });
      }
    } else {
      const at = s && s.anchorNode ? pointOffset(root, s.anchorNode, s.anchorOffset) : null;
      const pos = snapDown(stops, at ?? Number(seg.dataset.s));
      setSel({ anchor: pos, focus: pos });
      props.onFocusSpan?.(null);
    }
    root.focus({ preventScroll: true });
  };

  const lastIndex = segments.length - 1;
  const children = segments.map((seg, i) => {
    let flags = "";
    if (range && range.start < range.end && seg.start >= range.start && seg.end <= range.end) flags += "s";
    if (focusedRange && seg.start >= focusedRange.start && seg.end <= focusedRange.end) flags += "f";
    if (showCaret && sel!.focus === seg.start) flags += "c";
    if (showCaret && i === lastIndex && sel!.focus === text.length) flags += "C";
    return (
      <Segment
        key={seg.start}
        start={seg.start}
        end={seg.end}
        text={text.slice(seg.start, seg.end)}
        deco={`${seg.spans.join(",")}|${flags}`}
        info={info}
        laneCount={laneCount}
      />
    );
  });

  const selInfo = range && range.start !== range.end ? selectedRange() : null;
  return (
    <div className="text-response-wrap">
      <div
        ref={rootRef}
        className={`text-response zone-target${readOnly ? " read-only" : ""}`}
        style={{ lineHeight: `calc(1.65em + ${laneCount * LANE_PX}px)` }}
        tabIndex={0}
        role="document"
        aria-label={props.label ?? "Response text"}
        data-testid="span-layer"
        data-selection={selInfo ? `${selInfo.start}:${selInfo.end}` : ""}
        onKeyDown={onKeyDown}
        onMouseUp={onMouseUp}
        onFocus={() => {
          setHasFocus(true);
          setSel((s) => s ?? { anchor: 0, focus: 0 });
        }}
        onBlur={() => setHasFocus(false)}
      >
        {text.length === 0 ? <span className="muted">(empty response)</span> : children}
      </div>
      {palette !== null && (
        <ul className="palette" role="listbox" aria-label="Error types">
          {spanTypes.map((t, i) => (
            <li
              key={t.key}
              role="option"
              aria-selected={i === palette}
              className={i === palette ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                create(t.key);
              }}
            >
              <span className="swatch" style={{ background: t.color }} />
              {t.name}
              {t.hotkey ? <kbd>{t.hotkey}</kbd> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});
