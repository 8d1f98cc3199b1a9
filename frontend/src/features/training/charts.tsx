/** Line charts drawn as SVG: training loss by step, held-out metric by epoch. */
export type Series = { label: string; color: string; points: { x: number; y: number }[] };

function ticks(min: number, max: number, count = 4): number[] {
  if (max === min) return [min];
  return Array.from({ length: count + 1 }, (_, i) => min + ((max - min) * i) / count);
}

export function LineChart(props: { title: string; xLabel: string; series: Series[]; yMin?: number; yMax?: number }) {
  const width = 560;
  const height = 220;
  const left = 52;
  const bottom = 34;
  const top = 24;
  const all = props.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (!all.length) {
    return <p className="muted">{props.title}: no points yet.</p>;
  }
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x));
  const yMin = props.yMin ?? Math.min(...all.map((p) => p.y));
  const yMax = props.yMax ?? Math.max(...all.map((p) => p.y));
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * (width - left - 12);
  const sy = (y: number) => top + (1 - (y - yMin) / (yMax - yMin || 1)) * (height - top - bottom);
  return (
    <svg className="chart" role="img" aria-label={props.title} viewBox={`0 0 ${width} ${height}`} width="100%">
      <text x={left} y={14} className="chart-label">
        {props.title}
      </text>
      {ticks(yMin, yMax).map((t) => (
        <g key={t}>
          <line x1={left} x2={width - 12} y1={sy(t)} y2={sy(t)} stroke="#e5e8ee" />
          <text x={left - 6} y={sy(t) + 4} textAnchor="end" className="chart-note">
            {Math.abs(t) >= 100 ? t.toFixed(0) : t.toFixed(3)}
          </text>
        </g>
      ))}
      <text x={width / 2} y={height - 6} textAnchor="middle" className="chart-note">
        {props.xLabel} ({xMin}–{xMax})
      </text>
      {props.series.map((s) => (
        <g key={s.label}>
          <polyline
            fill="none"
            stroke={s.color}
            strokeWidth={2}
            points={s.points
              .filter((p) => Number.isFinite(p.y))
              .map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
              .join(" ")}
          />
          {s.points.length <= 40 &&
            s.points.map((p) => <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={2.5} fill={s.color} />)}
        </g>
      ))}
      {props.series.length > 1 &&
        props.series.map((s, i) => (
          <text key={s.label} x={width - 12} y={top + 12 + i * 14} textAnchor="end" className="chart-note" style={{ fill: s.color }}>
            ■ {s.label}
          </text>
        ))}
    </svg>
  );
}
