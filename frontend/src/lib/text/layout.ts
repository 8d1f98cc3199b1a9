/**
 * Layout of overlapping spans over one text: each span gets a lane (its underline's row), and
 * the text is cut into segments at every span boundary so that each segment is covered by a
 * fixed set of spans. Offsets here are UTF-16 (the DOM's).
 */

export type LaidSpan = { id: string; start: number; end: number };

/**
 * Greedy interval partitioning: spans sorted by start (longer first on ties) take the lowest
 * lane whose previous span ended at or before their start. Overlapping spans never share a
 * lane, and the number of lanes equals the deepest overlap.
 */
export function assignLanes(spans: readonly LaidSpan[]): { lanes: Map<string, number>; count: number } {
  const order = [...spans].sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  for (const span of order) {
    let lane = laneEnds.findIndex((end) => end <= span.start);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(span.end);
    } else {
      laneEnds[lane] = span.end;
    }
    lanes.set(span.id, lane);
  }
  return { lanes, count: laneEnds.length };
}

export type Segment = { start: number; end: number; spans: string[] };

/**
 * Cut [0, length) at every span boundary (and at `extraCuts`); each segment lists the ids of the
 * spans covering it, in input order. O((n + k) log k) for k spans.
 */
export function segmentText(
  length: number,
  spans: readonly LaidSpan[],
  extraCuts: readonly number[] = [],
): Segment[] {
  const cuts = new Set<number>([0, length]);
  for (const s of spans) {
    cuts.add(Math.max(0, Math.min(length, s.start)));
    cuts.add(Math.max(0, Math.min(length, s.end)));
  }
  for (const c of extraCuts) if (c >= 0 && c <= length) cuts.add(c);
  const points = [...cuts].sort((a, b) => a - b);
  const opening = new Map<number, LaidSpan[]>();
  const closing = new Map<number, Set<string>>();
  spans.forEach((s) => {
    if (s.end <= s.start) return;
    (opening.get(s.start) ?? opening.set(s.start, []).get(s.start)!).push(s);
    (closing.get(s.end) ?? closing.set(s.end, new Set()).get(s.end)!).add(s.id);
  });
  const order = new Map(spans.map((s, i) => [s.id, i]));
  let active: string[] = [];
  const out: Segment[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const closed = closing.get(a);
    if (closed) active = active.filter((id) => !closed.has(id));
    const opened = opening.get(a);
    if (opened) {
      active = [...active, ...opened.map((s) => s.id)];
      active.sort((x, y) => order.get(x)! - order.get(y)!);
    }
    if (b > a) out.push({ start: a, end: b, spans: active });
  }
  return out;
}
