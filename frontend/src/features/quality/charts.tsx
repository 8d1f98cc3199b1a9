/**
 * Small SVG charts for the quality dashboard: a multi-series line chart over time, grouped
 * horizontal bars, a heatmap (annotator pairs, error-type confusion) and daily bars with a
 * line. Values are plain numbers; null means "not defined" and is drawn as a gap or a hatched
 * cell, never as zero.
 */
import { useId } from "react";

export const SERIES_COLORS = ["#2f5fd0", "#d2612c", "#2b9348", "#8e44ad", "#c0392b", "#6c7a89", "#b8860b", "#138d9c", "#d63384", "#6d4c41"];

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "—" : v.toFixed(digits));

/** One line; ``color`` defaults to the palette by position, ``dashed`` tells apart lines that
 * share a colour (more lines than colours). */
export type Series = { label: string; values: (number | null)[]; color?: string; dashed?: boolean; key?: string };

/** Lines over ``xLabels`` on a y range (default −0.2 … 1 for agreement coefficients); the
 * chart grows taller when the legend needs it. */
export function LineChart(props: {
  title: string;
  xLabels: string[];
  series: Series[];
  yMin?: number;
  yMax?: number;
  testId?: string;
}) {
  const { xLabels, series, yMin = -0.2, yMax = 1 } = props;
  const width = 720;
  const left = 44;
  const right = 150;
  const top = 16;
  const bottom = 40;
  const height = Math.max(260, top + series.length * 20 + bottom);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = Math.max(1, xLabels.length - 1);
  const x = (i: number) => left + (xLabels.length === 1 ? plotW / 2 : (plotW * i) / n);
  const y = (v: number) => top + plotH * (1 - (Math.max(yMin, Math.min(yMax, v)) - yMin) / (yMax - yMin));
  const ticks = [yMin, 0, 0.2, 0.4, 0.6, 0.8, 1].filter((t) => t >= yMin && t <= yMax);
  const every = Math.max(1, Math.ceil(xLabels.length / 8));
  return (
    <svg className="chart q-chart" role="img" aria-label={props.title} viewBox={`0 0 ${width} ${height}`} width="100%" data-testid={props.testId}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={left} x2={left + plotW} y1={y(t)} y2={y(t)} className={t === 0 ? "q-axis" : "q-grid"} />
          <text x={left - 6} y={y(t) + 4} textAnchor="end" className="chart-label">
            {t.toFixed(1)}
          </text>
        </g>
      ))}
      {xLabels.map((label, i) =>
        i % every === 0 || i === xLabels.length - 1 ? (
          <text key={i} x={x(i)} y={height - bottom + 16} textAnchor="middle" className="chart-note">
            {label}
          </text>
        ) : null,
      )}
      {series.map((s, k) => {
        const color = s.color ?? SERIES_COLORS[k % SERIES_COLORS.length]!;
        const parts: string[] = [];
        let pen = "M";
        s.values.forEach((v, i) => {
          if (v === null) {
            pen = "M";
            return;
          }
          parts.push(`${pen}${x(i).toFixed(1)},${y(v).toFixed(1)}`);
          pen = "L";
        });
        return (
          <g key={s.key ?? s.label} data-series={s.key ?? s.label}>
            <path d={parts.join(" ")} fill="none" stroke={color} strokeWidth={2} strokeDasharray={s.dashed ? "6 4" : undefined} />
            {s.values.map((v, i) =>
              v === null ? null : (
                <circle key={i} cx={x(i)} cy={y(v)} r={3} fill={color}>
                  <title>{`${s.label} · ${xLabels[i]}: ${fmt(v, 3)}`}</title>
                </circle>
              ),
            )}
            <rect x={left + plotW + 14} y={top + k * 20} width={12} height={12} fill={s.dashed ? "none" : color} stroke={color} strokeWidth={s.dashed ? 2 : 0} strokeDasharray={s.dashed ? "3 2" : undefined} />
            <text x={left + plotW + 32} y={top + k * 20 + 10} className="chart-label">
              <title>{s.label}</title>
              {s.label.length > 20 ? `${s.label.slice(0, 19)}…` : s.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Horizontal bars: one group per row, one bar per measure (null values are marked "n/a"). */
export function GroupedBars(props: {
  title: string;
  rows: { label: string; color?: string; values: (number | null)[] }[];
  measures: string[];
  min?: number;
  max?: number;
  testId?: string;
}) {
  const { rows, measures, min = 0, max = 1 } = props;
  const barH = 12;
  const groupH = measures.length * (barH + 2) + 12;
  const labelW = 170;
  const width = 720;
  const plotW = width - labelW - 70;
  const height = rows.length * groupH + 10;
  const x = (v: number) => labelW + (plotW * (Math.max(min, Math.min(max, v)) - min)) / (max - min);
  return (
    <figure className="q-figure" data-testid={props.testId}>
      <svg className="chart q-chart" role="img" aria-label={props.title} viewBox={`0 0 ${width} ${height}`} width="100%">
      {min < 0 && <line x1={x(0)} x2={x(0)} y1={4} y2={height - 4} className="q-axis" />}
      {rows.map((row, r) => {
        const y0 = 6 + r * groupH;
        return (
          <g key={row.label}>
            {row.color && <rect x={labelW - 20} y={y0 + 2} width={10} height={10} rx={2} fill={row.color} />}
            <text x={labelW - 26} y={y0 + 11} textAnchor="end" className="chart-label">
              {row.label}
            </text>
            {row.values.map((v, k) => {
              const y = y0 + k * (barH + 2);
              const color = SERIES_COLORS[k % SERIES_COLORS.length]!;
              if (v === null) {
                return (
                  <text key={k} x={x(0) + 4} y={y + barH - 2} className="chart-note">
                    n/a
                  </text>
                );
              }
              const a = x(Math.min(0, v));
              const b = x(Math.max(0, v));
              return (
                <g key={k}>
                  <rect x={a} y={y} width={Math.max(1, b - a)} height={barH} fill={color}>
                    <title>{`${row.label} · ${measures[k]}: ${fmt(v, 3)}`}</title>
                  </rect>
                  <text x={Math.max(a, b) + 4} y={y + barH - 2} className="chart-value">
                    {fmt(v)}
                  </text>
                </g>
              );
            })}
          </g>
        );
      })}
      </svg>
      <Legend labels={measures} />
    </figure>
  );
}

/** Colour keys under a chart, in HTML so that long labels wrap instead of overlapping. */
export function Legend({ labels }: { labels: string[] }) {
  return (
    <figcaption className="q-legend">
      {labels.map((label, k) => (
        <span key={label}>
          <i style={{ background: SERIES_COLORS[k % SERIES_COLORS.length] }} />
          {label}
        </span>
      ))}
    </figcaption>
  );
}

/** A matrix of values with a colour scale; ``rows``×``cols`` cells, null drawn hatched. */
export function Heatmap(props: {
  title: string;
  rows: string[];
  cols: string[];
  values: (number | null)[][];
  /** "agreement": −1 (red) … 1 (green); "count": 0 (white) … max (dark blue). */
  scale: "agreement" | "count";
  testId?: string;
  caption?: string;
}) {
  const pattern = useId().replace(/:/g, "");
  const { values, scale } = props;
  const short = (label: string) => (label.length > 18 ? `${label.slice(0, 17)}…` : label);
  const rows = props.rows.map(short);
  const cols = props.cols.map(short);
  const longest = Math.max(4, ...cols.map((c) => c.length));
  const cell = Math.max(34, Math.min(64, Math.floor(520 / Math.max(1, cols.length))));
  const labelW = Math.max(70, 7 * Math.max(4, ...rows.map((r) => r.length)) + 14);
  // Column labels are rotated by 40°: their height and overhang grow with their length.
  const top = Math.round(16 + 4.4 * longest);
  const width = Math.max(labelW + cols.length * cell + Math.round(5.2 * longest), labelW + 6.4 * (props.caption?.length ?? 0));
  const height = top + rows.length * cell + 30;
  const max = Math.max(1, ...values.flat().filter((v): v is number => v !== null));
  const color = (v: number) => {
    if (scale === "count") {
      const t = Math.sqrt(v / max);
      const c = (a: number, b: number) => Math.round(a + (b - a) * t);
      return `rgb(${c(255, 31)},${c(255, 71)},${c(255, 160)})`;
    }
    const t = Math.max(-1, Math.min(1, v));
    if (t >= 0) return `rgb(${Math.round(250 - 180 * t)},${Math.round(245 - 70 * t)},${Math.round(240 - 150 * t)})`;
    return `rgb(${Math.round(250 - 20 * -t)},${Math.round(245 - 170 * -t)},${Math.round(240 - 170 * -t)})`;
  };
  const dark = (v: number) => (scale === "count" ? Math.sqrt(v / max) > 0.55 : Math.abs(v) > 0.75);
  return (
    <svg className="chart q-chart" role="img" aria-label={props.title} viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: `${width}px` }} data-testid={props.testId}>
      <defs>
        <pattern id={pattern} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <line x1={0} y1={0} x2={0} y2={6} stroke="#c9ced8" strokeWidth={2} />
        </pattern>
      </defs>
      {cols.map((c, j) => (
        <text key={j} transform={`translate(${labelW + j * cell + cell / 2},${top - 6}) rotate(-40)`} className="chart-label">
          {c}
        </text>
      ))}
      {rows.map((r, i) => (
        <g key={i}>
          <text x={labelW - 6} y={top + i * cell + cell / 2 + 4} textAnchor="end" className="chart-label">
            {r}
          </text>
          {cols.map((c, j) => {
            const v = values[i]?.[j] ?? null;
            return (
              <g key={j}>
                <rect x={labelW + j * cell} y={top + i * cell} width={cell - 2} height={cell - 2} fill={v === null ? `url(#${pattern})` : color(v)}>
                  <title>{`${r} × ${c}: ${v === null ? "n/a" : scale === "count" ? String(v) : fmt(v, 3)}`}</title>
                </rect>
                {v !== null && (
                  <text x={labelW + j * cell + cell / 2 - 1} y={top + i * cell + cell / 2 + 4} textAnchor="middle" className={dark(v) ? "q-cell q-cell-dark" : "q-cell"}>
                    {scale === "count" ? v : fmt(v)}
                  </text>
                )}
              </g>
            );
          })}
        </g>
      ))}
      {props.caption && (
        <text x={labelW} y={height - 8} className="chart-note">
          {props.caption}
        </text>
      )}
    </svg>
  );
}

/** Daily counts as bars (left axis) with a line for seconds per item (right axis). */
export function ThroughputChart(props: { days: { date: string; annotations: number; mean_time_ms: number }[]; testId?: string }) {
  const { days } = props;
  const width = 720;
  const height = 240;
  const left = 44;
  const right = 60;
  const top = 16;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxCount = Math.max(1, ...days.map((d) => d.annotations));
  const maxTime = Math.max(1, ...days.map((d) => d.mean_time_ms / 1000));
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(4, Math.min(40, slot * 0.6));
  const cx = (i: number) => left + slot * i + slot / 2;
  const yCount = (v: number) => top + plotH * (1 - v / maxCount);
  const yTime = (v: number) => top + plotH * (1 - v / maxTime);
  const line = days.map((d, i) => `${i ? "L" : "M"}${cx(i).toFixed(1)},${yTime(d.mean_time_ms / 1000).toFixed(1)}`).join(" ");
  const every = Math.max(1, Math.ceil(days.length / 8));
  return (
    <svg className="chart q-chart" role="img" aria-label="Throughput and time per item" viewBox={`0 0 ${width} ${height}`} width="100%" data-testid={props.testId}>
      <line x1={left} x2={left + plotW} y1={top + plotH} y2={top + plotH} className="q-axis" />
      <text x={left - 6} y={top + 8} textAnchor="end" className="chart-label">
        {maxCount}
      </text>
      <text x={left - 6} y={top + plotH} textAnchor="end" className="chart-label">
        0
      </text>
      <text x={left + plotW + 6} y={top + 8} className="chart-label">
        {Math.round(maxTime)} s
      </text>
      {days.map((d, i) => (
        <g key={d.date}>
          <rect x={cx(i) - bar / 2} y={yCount(d.annotations)} width={bar} height={top + plotH - yCount(d.annotations)} fill="#9db5ee">
            <title>{`${d.date}: ${d.annotations} annotations, ${(d.mean_time_ms / 1000).toFixed(1)} s per item`}</title>
          </rect>
          {(i % every === 0 || i === days.length - 1) && (
            <text x={cx(i)} y={height - bottom + 16} textAnchor="middle" className="chart-note">
              {d.date.slice(5)}
            </text>
          )}
        </g>
      ))}
      <path d={line} fill="none" stroke="#d2612c" strokeWidth={2} />
      {days.map((d, i) => (
        <circle key={d.date} cx={cx(i)} cy={yTime(d.mean_time_ms / 1000)} r={3} fill="#d2612c" />
      ))}
      <text x={left} y={height - 6} className="chart-note">
        bars: annotations submitted per day (left axis) · line: mean seconds per item (right axis)
      </text>
    </svg>
  );
}
