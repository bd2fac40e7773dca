import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './usage';

/** Distinct colours that read on light and dark backgrounds. */
const PALETTE = ['#4f46e5', '#0e9384', '#dc6803', '#c11574', '#1570ef', '#7a5af8', '#98a2b3'];
const H = 220;
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#667085';

/**
 * A time series chart (uPlot, bundled): x in epoch seconds (UTC buckets), one line or bar set per
 * series, a legend with the values under the cursor, redrawn at its container's width.
 */
export function TimeChart({
  x,
  series,
  label,
  format,
  bars = false,
  lines = false,
  integer = false,
  hourly = false,
}: {
  x: number[];
  series: Series[];
  label: string;
  format: (v: number) => string;
  bars?: boolean;
  /** Plain lines, no area (percentiles, which overlap). */
  lines?: boolean;
  integer?: boolean;
  hourly?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } };
    const stamp = new Intl.DateTimeFormat(
      'en-GB',
      hourly ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' } : { month: 'short', day: 'numeric', timeZone: 'UTC' },
    );
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: H,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { ...axis, space: 60 },
        // Counts step by whole numbers (no "0.2 requests").
        { ...axis, size: 64, values: (_u, ticks) => ticks.map(format), incrs: integer ? INTEGER_STEPS : undefined },
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v === null ? '—' : `${stamp.format(new Date(v * 1000))} UTC`) },
        ...series.map((s, i) => {
          const color = PALETTE[i % PALETTE.length];
          return {
            label: s.label,
            stroke: color,
            width: bars ? 0 : 2,
            fill: bars ? color : lines ? undefined : `${color}14`,
            points: { show: !bars && x.length < 60 },
            paths: bars ? uPlot.paths.bars!({ size: [0.7, 48], align: 0 }) : undefined,
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)),
          };
        }),
      ],
    };
    const chart = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const observer = new ResizeObserver(([entry]) => chart.setSize({ width: Math.max(280, Math.round(entry.contentRect.width)), height: H }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [x, series, bars, lines, integer, hourly, format]);
  return <div class="chart" ref={ref} role="img" aria-label={label} />;
}
