/**
 * A forest plot, hand-made in SVG: one row per treatment and metric, its relative effect as a point and its
 * interval as a line, against a line at no effect. It needs a linear scale and a few shapes, which a chart
 * library would bring with some 50–200 kB of code to configure around; as plain SVG it is ~100 lines, styled
 * by the console's CSS, scales with its container (viewBox) and is described for screen readers (the figures
 * are also in the table beside it).
 */
export interface ForestRow {
  readonly label: string;
  readonly group: string;
  /** Relative effect (0.1 = +10 %), or null when there is none yet. */
  readonly effect: number | null;
  readonly interval: readonly [number, number] | null;
  readonly outcome: 'better' | 'worse' | 'inconclusive';
}

const WIDTH = 720;
const LABEL_WIDTH = 220;
const ROW_HEIGHT = 32;
const TOP = 28;
const RIGHT = 48;

export const percent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** A symmetric, rounded domain that holds every interval and 0. */
function domain(rows: readonly ForestRow[]): number {
  const extent = Math.max(
    0.01,
    ...rows.flatMap((r) => [...(r.interval ?? []), r.effect ?? 0].map((x) => Math.abs(x))),
  );
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10];
  return steps.find((s) => s >= extent * 1.1) ?? Math.ceil(extent);
}

export function ForestPlot({ rows, title }: { rows: readonly ForestRow[]; title: string }) {
  const bound = domain(rows);
  const plotWidth = WIDTH - LABEL_WIDTH - RIGHT;
  const x = (value: number) => LABEL_WIDTH + ((value + bound) / (2 * bound)) * plotWidth;
  const height = TOP + rows.length * ROW_HEIGHT + 24;
  const ticks = [-bound, -bound / 2, 0, bound / 2, bound];
  const description = rows
    .map((r) =>
      r.effect === null || r.interval === null
        ? `${r.label}: no estimate yet`
        : `${r.label}: ${percent(r.effect)}, interval ${percent(r.interval[0])} to ${percent(r.interval[1])}, ${r.outcome}`,
    )
    .join('; ');
  return (
    <svg
      className="forest"
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-label={`${title}. ${description}`}
      data-testid="forest-plot"
    >
      {ticks.map((tick) => (
        <g key={tick}>
          <line
            x1={x(tick)}
            x2={x(tick)}
            y1={TOP - 6}
            y2={height - 20}
            className={tick === 0 ? 'zero' : 'grid'}
          />
          <text x={x(tick)} y={height - 6} textAnchor="middle" className="tick">
            {percent(tick)}
          </text>
        </g>
      ))}
      <text x={x(0)} y={14} textAnchor="middle" className="tick">
        no effect
      </text>
      {rows.map((row, i) => {
        const y = TOP + i * ROW_HEIGHT + ROW_HEIGHT / 2;
        const clamp = (v: number) => Math.min(bound, Math.max(-bound, v));
        return (
          <g key={`${row.group}/${row.label}`} className={`row ${row.outcome}`} data-outcome={row.outcome}>
            <text x={8} y={y + 4} className="label">
              {row.label}
            </text>
            {row.interval !== null ? (
              <line
                x1={x(clamp(row.interval[0]))}
                x2={x(clamp(row.interval[1]))}
                y1={y}
                y2={y}
                className="ci"
              />
            ) : null}
            {row.effect !== null ? (
              <rect x={x(clamp(row.effect)) - 5} y={y - 5} width={10} height={10} className="point" />
            ) : (
              <text x={x(0) + 8} y={y + 4} className="tick">
                no estimate yet
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
