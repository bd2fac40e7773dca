import { useEffect, useRef, useState } from 'preact/hooks';
import { count, usd } from './format';

export interface Bar {
  key: string;
  /** Axis label (shown for as many bars as fit). */
  label: string;
  value: number;
  /** The tooltip: exact figures. */
  detail: string;
}

const H = 240;
const PAD = { top: 12, right: 8, bottom: 28, left: 64 };
/** Room one axis label needs. */
const TICK_PX = 64;

/** A rounded-up axis maximum: 1, 2 or 5 times a power of ten. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

/** Inline SVG bars with a value axis, drawn at the width it is given so text keeps its size. */
export function BarChart({ bars, label }: { bars: Bar[]; label: string }) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(760);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(280, Math.round(entry.contentRect.width))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const plotW = width - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, bars.length);
  const barW = Math.max(2, Math.min(28, step * 0.7));
  // Label the newest bar and every n-th before it, as many as fit.
  const every = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(plotW / TICK_PX))));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const total = bars.reduce((n, b) => n + b.value, 0);
  return (
    <figure class="chart" ref={ref}>
      <svg width={width} height={H} viewBox={`0 0 ${width} ${H}`} role="img" aria-label={`${label}: ${usd(total)} in ${count(bars.length)} bars`}>
        {grid.map((g) => (
          <g key={g}>
            <line class="chart-grid" x1={PAD.left} x2={width - PAD.right} y1={y(g)} y2={y(g)} />
            <text class="chart-axis" x={PAD.left - 8} y={y(g)} dy="0.32em" text-anchor="end">
              {usd(g)}
            </text>
          </g>
        ))}
        {bars.map((b, i) => {
          const x = PAD.left + i * step + (step - barW) / 2;
          const h = (b.value / max) * plotH;
          return (
            <g key={b.key} class="chart-bar">
              <title>{b.detail}</title>
              {/* A full-height hit area, so thin or empty bars still show their tooltip. */}
              <rect class="chart-hit" x={PAD.left + i * step} y={PAD.top} width={step} height={plotH} />
              <rect class="chart-fill" x={x} y={y(b.value)} width={barW} height={Math.max(b.value > 0 ? 1.5 : 0, h)} rx={Math.min(3, barW / 4)} />
              {(bars.length - 1 - i) % every === 0 && (
                <text class="chart-axis" x={x + barW / 2} y={H - 8} text-anchor="middle">
                  {b.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
