/**
 * An image response with its regions: boxes and polygons drawn in an SVG laid over the image,
 * in normalised coordinates (viewBox 0..1, DESIGN §2); pixels exist only on screen.
 * Tools: b box, g polygon (click vertices, Enter or a click on the first vertex closes it),
 * v select (drag a region to move it, drag a handle to resize). Keyboard: n adds a box,
 * arrows move the selected region (shift: further), alt+arrows resize a box, the error type's
 * hotkey sets its type, Delete removes it, . and , step through regions.
 * Polygons by keyboard: in the polygon tool a crosshair vertex cursor (starting in the middle)
 * moves with the arrows (shift: 5 %, alt: 0.1 %, else 1 %); Enter or Space places a vertex
 * there, or closes the polygon when the cursor is on the first vertex (Home jumps there);
 * c closes it, Backspace removes the last vertex, Escape cancels. The cursor's position and
 * every step are announced through a live region. A mouse click hides the cursor (Enter then
 * closes the polygon, as before); an arrow brings it back at the last vertex. Pending machine
 * suggestions are drawn dashed and unfilled, and take no pointer events (the suggestions
 * panel accepts or rejects them).
 */
import { useRef, useState, type KeyboardEvent, type PointerEvent } from "react";

import { comboOf } from "@/lib/keys";
import { appliesTo, type ErrorType } from "@/types";

import { localId, type RegionUnit, type UnitsAction } from "../units";

type Pt = [number, number];

/** A pending machine region, as the annotate view passes it in. */
export type RegionSuggestion = { id: string; shape: "box" | "polygon"; points: Pt[]; error_type: string; judge: string };

type Tool = "box" | "polygon" | "select";
type Drag =
  | { kind: "new-box"; from: Pt; to: Pt }
  | { kind: "move"; id: string; from: Pt; orig: Pt[] }
  | { kind: "handle"; id: string; index: number; orig: Pt[] };

const clamp = (v: number) => Math.max(0, Math.min(1, v));
const round = (v: number) => Math.round(v * 10000) / 10000;
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
const at = (p: Pt) => `${pct(p[0])} across, ${pct(p[1])} down`;
const samePt = (a: Pt, b: Pt) => Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6;
/** The keyboard cursor's steps: plain arrows, shift+arrows, alt+arrows. */
const CURSOR_STEP = { plain: 0.01, shift: 0.05, alt: 0.001 };

function normBox(a: Pt, b: Pt): Pt[] {
  return [
    [round(Math.min(a[0], b[0])), round(Math.min(a[1], b[1]))],
    [round(Math.max(a[0], b[0])), round(Math.max(a[1], b[1]))],
  ];
}

function boxCorners(p: Pt[]): Pt[] {
  const [[x1, y1], [x2, y2]] = p as [Pt, Pt];
  return [
    [x1, y1],
    [x2, y1],
    [x2, y2],
    [x1, y2],
  ];
}

export function ImageResponse(props: {
  responseIndex: number;
  url: string;
  width: number | null;
  height: number | null;
  regions: RegionUnit[];
  errorTypes: ErrorType[];
  dispatch: (a: UnitsAction) => void;
  readOnly?: boolean;
  suggestions?: RegionSuggestion[];
}) {
  const { responseIndex, url, regions, errorTypes, dispatch, readOnly, suggestions = [] } = props;
  const svgRef = useRef<SVGSVGElement>(null);
  const regionTypes = errorTypes.filter((t) => appliesTo(t, "region"));
  const types = new Map(errorTypes.map((t) => [t.key, t]));
  const [tool, setTool] = useState<Tool>("box");
  const [selected, setSelected] = useState<string | null>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [poly, setPoly] = useState<Pt[]>([]);
  // The keyboard's vertex cursor in the polygon tool; null while hidden (after a mouse click).
  const [cursor, setCursor] = useState<Pt | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [currentType, setCurrentType] = useState(regionTypes[0]?.key ?? "");
  const sel = regions.find((r) => r.id === selected) ?? null;
  const aspect = props.width && props.height ? props.width / props.height : undefined;

  const point = (e: PointerEvent): Pt => {
    const r = svgRef.current!.getBoundingClientRect();
    return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)];
  };

  const add = (shape: "box" | "polygon", points: Pt[]) => {
    if (!currentType) return false;
    const id = localId("r");
    dispatch({
      type: "addRegion",
      region: { id, response: responseIndex, shape, points, error_type: currentType, severity: null, comment: "" },
    });
    setSelected(id);
    return true;
  };

  const typeName = (key: string) => types.get(key)?.name ?? key;

  const choose = (t: Tool) => {
    setTool(t);
    if (t === "polygon") {
      setPoly([]);
      const c = cursor ?? [0.5, 0.5];
      setCursor(c);
      setAnnouncement(`Polygon tool. Vertex cursor at ${at(c)}. Arrows move it, Enter places a vertex.`);
    } else {
      setAnnouncement(`${t === "box" ? "Box" : "Select"} tool.`);
    }
  };

  /** Close the polygon being drawn (three vertices at least) into a region. */
  const closePoly = () => {
    if (poly.length < 3) {
      setAnnouncement(`A polygon needs 3 vertices; ${poly.length} placed.`);
      return;
    }
    if (add("polygon", poly.map(([x, y]) => [round(x), round(y)]))) {
      setAnnouncement(`Polygon closed with ${poly.length} vertices, ${typeName(currentType)}.`);
    } else {
      setAnnouncement("No error type applies to regions: the polygon was not kept.");
    }
    setPoly([]);
  };

  /** Enter or Space: place a vertex at the cursor, or close the polygon on its first vertex. */
  const placeVertex = (c: Pt) => {
    if (poly.length >= 3 && samePt(c, poly[0]!)) return closePoly();
    if (poly.length && samePt(c, poly[poly.length - 1]!)) {
      setAnnouncement(`Vertex ${poly.length} is already here; move the cursor, or press c to close.`);
      return;
    }
    setPoly([...poly, c]);
    setAnnouncement(`Vertex ${poly.length + 1} placed at ${at(c)}.`);
  };

  const update = (id: string, points: Pt[]) => dispatch({ type: "updateRegion", id, patch: { points } });

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (readOnly || e.button !== 0) return;
    const p = point(e);
    const target = e.target as SVGElement;
    const handle = target.dataset.handle;
    const regionId = target.dataset.region;
    svgRef.current?.setPointerCapture?.(e.pointerId);
    if (handle !== undefined && regionId) {
      const r = regions.find((x) => x.id === regionId)!;
      setSelected(regionId);
      setDrag({ kind: "handle", id: regionId, index: Number(handle), orig: r.shape === "box" ? boxCorners(r.points) : r.points });
      return;
    }
    if (tool === "polygon") {
      setCursor(null);
      if (poly.length >= 3) {
        const first = poly[0]!;
        const r = svgRef.current!.getBoundingClientRect();
        if (Math.hypot((first[0] - p[0]) * r.width, (first[1] - p[1]) * r.height) < 10) {
          add("polygon", poly.map(([x, y]) => [round(x), round(y)]));
          setPoly([]);
          return;
        }
      }
      setPoly([...poly, p]);
      return;
    }
    if (regionId && (tool === "select" || tool === "box")) {
      const r = regions.find((x) => x.id === regionId)!;
      setSelected(regionId);
      setDrag({ kind: "move", id: regionId, from: p, orig: r.points });
      return;
    }
    if (tool === "box") setDrag({ kind: "new-box", from: p, to: p });
    else setSelected(null);
  };

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (!drag) return;
    const p = point(e);
    if (drag.kind === "new-box") setDrag({ ...drag, to: p });
    else if (drag.kind === "move") {
      const dx0 = p[0] - drag.from[0];
      const dy0 = p[1] - drag.from[1];
      const xs = drag.orig.map((q) => q[0]);
      const ys = drag.orig.map((q) => q[1]);
      const dx = Math.max(-Math.min(...xs), Math.min(1 - Math.max(...xs), dx0));
      const dy = Math.max(-Math.min(...ys), Math.min(1 - Math.max(...ys), dy0));
      update(drag.id, drag.orig.map(([x, y]) => [round(x + dx), round(y + dy)]));
    } else {
      const r = regions.find((x) => x.id === drag.id);
      if (!r) return;
      if (r.shape === "box") {
        const opposite = drag.orig[(drag.index + 2) % 4]!;
        update(drag.id, normBox(opposite, p));
      } else {
        update(drag.id, drag.orig.map((q, i) => (i === drag.index ? [round(p[0]), round(p[1])] : q)));
      }
    }
  };

  const onPointerUp = () => {
    if (drag?.kind === "new-box") {
      const [a, b] = normBox(drag.from, drag.to) as [Pt, Pt];
      if (b[0] - a[0] > 0.005 && b[1] - a[1] > 0.005) add("box", [a, b]);
    }
    setDrag(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (readOnly) return;
    const tag = (e.target as HTMLElement).tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    const combo = comboOf(e);
    const done = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (combo === "b") return (choose("box"), done());
    if (combo === "g") return (choose("polygon"), done());
    if (combo === "v") return (choose("select"), done());
    if (combo === "n") return (add("box", [[0.4, 0.4], [0.6, 0.6]]), done());
    const arrows: Record<string, Pt> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const key = combo.replace(/^(shift\+|alt\+|alt\+shift\+)/, "");
    if (tool === "polygon") {
      if (arrows[key]) {
        const step = combo.includes("shift") ? CURSOR_STEP.shift : combo.startsWith("alt") ? CURSOR_STEP.alt : CURSOR_STEP.plain;
        const from = cursor ?? poly[poly.length - 1] ?? [0.5, 0.5];
        const c: Pt = [round(clamp(from[0] + arrows[key]![0] * step)), round(clamp(from[1] + arrows[key]![1] * step))];
        setCursor(c);
        const onFirst = poly.length >= 3 && samePt(c, poly[0]!);
        setAnnouncement(`Cursor at ${at(c)}${onFirst ? ", on the first vertex: Enter closes the polygon" : ""}.`);
        return done();
      }
      if (combo === "Enter" || combo === "Space") {
        if (cursor) placeVertex(cursor);
        else if (combo === "Enter" && poly.length >= 3) closePoly();
        else if (combo === "Space") {
          const c = poly[poly.length - 1] ?? [0.5, 0.5];
          setCursor(c);
          setAnnouncement(`Vertex cursor at ${at(c)}.`);
        }
        return done();
      }
      if (combo === "c" && poly.length) return (closePoly(), done());
      if (combo === "Home" && poly.length) {
        setCursor(poly[0]!);
        setAnnouncement(`Cursor on the first vertex, at ${at(poly[0]!)}${poly.length >= 3 ? ": Enter closes the polygon" : ""}.`);
        return done();
      }
      if (combo === "Backspace" && poly.length) {
        setPoly(poly.slice(0, -1));
        setAnnouncement(`Vertex ${poly.length} removed; ${poly.length - 1} left.`);
        return done();
      }
    }
    if (combo === "Enter" && poly.length >= 3) return (closePoly(), done());
    if (combo === "Escape") {
      if (poly.length) {
        setPoly([]);
        setAnnouncement("Polygon cancelled.");
      } else setSelected(null);
      return done();
    }
    if (combo === "." || combo === ",") {
      if (!regions.length) return done();
      const i = regions.findIndex((r) => r.id === selected);
      const next = combo === "." ? (i + 1) % regions.length : (i - 1 + regions.length) % regions.length;
      setSelected(regions[next]!.id);
      return done();
    }
    if (sel && arrows[key]) {
      const step = combo.includes("shift") ? 0.05 : 0.01;
      const [dx, dy] = [arrows[key]![0] * step, arrows[key]![1] * step];
      if (combo.startsWith("alt") && sel.shape === "box") {
        const [a, b] = sel.points as [Pt, Pt];
        update(sel.id, normBox(a, [clamp(b[0] + dx), clamp(b[1] + dy)]));
      } else {
        const xs = sel.points.map((q) => q[0]);
        const ys = sel.points.map((q) => q[1]);
        const mx = Math.max(-Math.min(...xs), Math.min(1 - Math.max(...xs), dx));
        const my = Math.max(-Math.min(...ys), Math.min(1 - Math.max(...ys), dy));
        update(sel.id, sel.points.map(([x, y]) => [round(x + mx), round(y + my)]));
      }
      return done();
    }
    if (sel && (combo === "Delete" || combo === "Backspace")) {
      dispatch({ type: "deleteRegion", id: sel.id });
      setSelected(null);
      return done();
    }
    const t = regionTypes.find((x) => x.hotkey && x.hotkey === combo);
    if (t) {
      setCurrentType(t.key);
      if (sel) dispatch({ type: "updateRegion", id: sel.id, patch: { error_type: t.key } });
      return done();
    }
  };

  const draft = drag?.kind === "new-box" ? normBox(drag.from, drag.to) : null;
  return (
    <div className="image-response zone-target" tabIndex={0} role="application" aria-label="Image regions" data-testid="image-zone" onKeyDown={onKeyDown}>
      {!readOnly && (
        <div className="toolbar" role="toolbar" aria-label="Region tools">
          {(["box", "polygon", "select"] as Tool[]).map((t) => (
            <button key={t} type="button" aria-pressed={tool === t} onClick={() => choose(t)} tabIndex={-1}>
              {t} <kbd>{t === "box" ? "b" : t === "polygon" ? "g" : "v"}</kbd>
            </button>
          ))}
          <label>
            type{" "}
            <select aria-label="Type for new regions" value={currentType} onChange={(e) => setCurrentType(e.target.value)}>
              {regionTypes.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          {tool === "polygon" && (
            <span className="muted small" data-testid="polygon-status">
              {cursor ? `cursor ${pct(cursor[0])}, ${pct(cursor[1])} · ` : ""}
              {poly.length} {poly.length === 1 ? "vertex" : "vertices"}
              {cursor ? " — Enter/Space places, c closes, Backspace undoes, Esc cancels" : poly.length ? " — Enter closes" : ""}
            </span>
          )}
        </div>
      )}
      <p className="sr-only" aria-live="polite" data-testid="image-announcement">
        {announcement}
      </p>
      <div className="image-stage" style={aspect ? { aspectRatio: String(aspect) } : undefined}>
        <img src={url} alt="Response image" draggable={false} />
        <svg
          ref={svgRef}
          viewBox="0 0 1 1"
          preserveAspectRatio="none"
          data-testid="region-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          className={`tool-${tool}`}
        >
          {suggestions.map((r) => {
            const color = types.get(r.error_type)?.color ?? "#d62728";
            const pts = r.shape === "box" ? boxCorners(r.points) : r.points;
            return (
              <polygon
                key={r.id}
                data-suggestion={r.id}
                className="region-suggestion"
                points={pts.map((p) => p.join(",")).join(" ")}
                fill="none"
                stroke={color}
                strokeWidth={2}
                strokeDasharray="6 4"
                vectorEffect="non-scaling-stroke"
              >
                <title>{`${types.get(r.error_type)?.name ?? r.error_type} (suggested by ${r.judge})`}</title>
              </polygon>
            );
          })}
          {regions.map((r) => {
            const color = types.get(r.error_type)?.color ?? "#d62728";
            const pts = r.shape === "box" ? boxCorners(r.points) : r.points;
            const isSel = r.id === selected;
            return (
              <g key={r.id}>
                <polygon
                  data-region={r.id}
                  points={pts.map((p) => p.join(",")).join(" ")}
                  fill={`${color}33`}
                  stroke={color}
                  strokeWidth={isSel ? 3 : 2}
                  vectorEffect="non-scaling-stroke"
                >
                  <title>{types.get(r.error_type)?.name ?? r.error_type}</title>
                </polygon>
                {isSel &&
                  !readOnly &&
                  pts.map((p, i) => (
                    <rect
                      key={i}
                      data-region={r.id}
                      data-handle={i}
                      x={p[0] - 0.008}
                      y={p[1] - 0.008}
                      width={0.016}
                      height={0.016}
                      fill="#fff"
                      stroke={color}
                      vectorEffect="non-scaling-stroke"
                      className="handle"
                    />
                  ))}
              </g>
            );
          })}
          {draft && (
            <rect
              x={draft[0]![0]}
              y={draft[0]![1]}
              width={draft[1]![0] - draft[0]![0]}
              height={draft[1]![1] - draft[0]![1]}
              fill="none"
              stroke="#333"
              strokeDasharray="4 3"
              vectorEffect="non-scaling-stroke"
            />
          )}
          {poly.length > 0 && (
            <polyline points={poly.map((p) => p.join(",")).join(" ")} fill="none" stroke="#333" vectorEffect="non-scaling-stroke" />
          )}
          {poly.map((p, i) => (
            <rect
              key={`v${i}`}
              className={i === 0 ? "poly-vertex first" : "poly-vertex"}
              x={p[0] - 0.006}
              y={p[1] - 0.006}
              width={0.012}
              height={0.012}
              vectorEffect="non-scaling-stroke"
            />
          ))}
          {!readOnly && tool === "polygon" && cursor && (
            <g
              className={poly.length >= 3 && samePt(cursor, poly[0]!) ? "vertex-cursor on-first" : "vertex-cursor"}
              data-testid="vertex-cursor"
              data-x={cursor[0]}
              data-y={cursor[1]}
              role="img"
              aria-label={`Vertex cursor at ${at(cursor)}`}
            >
              {poly.length > 0 && (
                <line
                  className="preview"
                  x1={poly[poly.length - 1]![0]}
                  y1={poly[poly.length - 1]![1]}
                  x2={cursor[0]}
                  y2={cursor[1]}
                  vectorEffect="non-scaling-stroke"
                />
              )}
              {[0, 1].map((k) => (
                <g key={k} className={k === 0 ? "halo" : "ink"}>
                  <line x1={cursor[0] - 0.03} y1={cursor[1]} x2={cursor[0] + 0.03} y2={cursor[1]} vectorEffect="non-scaling-stroke" />
                  <line x1={cursor[0]} y1={cursor[1] - 0.04} x2={cursor[0]} y2={cursor[1] + 0.04} vectorEffect="non-scaling-stroke" />
                  <rect x={cursor[0] - 0.008} y={cursor[1] - 0.008} width={0.016} height={0.016} fill="none" vectorEffect="non-scaling-stroke" />
                </g>
              ))}
            </g>
          )}
        </svg>
      </div>
      {sel && !readOnly && (
        <div className="unit-editor" aria-label="Selected region">
          <strong>{sel.shape}</strong>
          <select
            aria-label="Region error type"
            value={sel.error_type}
            onChange={(e) => dispatch({ type: "updateRegion", id: sel.id, patch: { error_type: e.target.value } })}
          >
            {regionTypes.map((t) => (
              <option key={t.key} value={t.key}>
                {t.name}
              </option>
            ))}
          </select>
          <SeverityPicker
            levels={types.get(sel.error_type)?.severity_levels ?? []}
            value={sel.severity}
            onChange={(v) => dispatch({ type: "updateRegion", id: sel.id, patch: { severity: v } })}
          />
          <input
            aria-label="Region comment"
            placeholder="comment"
            value={sel.comment}
            onChange={(e) => dispatch({ type: "updateRegion", id: sel.id, patch: { comment: e.target.value } })}
          />
          <button type="button" onClick={() => (dispatch({ type: "deleteRegion", id: sel.id }), setSelected(null))}>
            Delete
          </button>
        </div>
      )}
    </div>
  );
}

export function SeverityPicker(props: { levels: string[]; value: number | null; onChange: (v: number | null) => void }) {
  if (!props.levels.length) return null;
  return (
    <span className="severity" role="radiogroup" aria-label="Severity">
      {props.levels.map((label, i) => (
        <button
          key={label}
          type="button"
          role="radio"
          aria-checked={props.value === i + 1}
          onClick={() => props.onChange(props.value === i + 1 ? null : i + 1)}
        >
          {label}
        </button>
      ))}
    </span>
  );
}
