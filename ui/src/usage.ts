// Pure helpers of the Spend page: key labels, chart series from the usage answer, CSV export.
// (`.js` in the import: the unit specs type-check this file with Node's resolution too.)
import type { KeyUsage, Latency, Totals, Usage, UsagePoint } from './api.js';

export interface Series {
  label: string;
  /** One value per x; null = no point. */
  values: Array<number | null>;
}

/** Requests made with the master key are booked with an empty key hash, as LiteLLM does. */
export const MASTER = '';
export const OTHER = '__other__';

/** How a key is named on the page: alias, else masked key; a deleted one says so (with what its last request knew of it). */
export function keyLabel(hash: string, k: Pick<KeyUsage, 'key_alias' | 'key_name' | 'deleted'> | undefined): string {
  if (hash === MASTER) return 'Master key';
  if (!k) return `${hash.slice(0, 8)}…`;
  const name = [k.key_alias, k.key_name].filter(Boolean).join(' · ') || `${hash.slice(0, 8)}…`;
  return k.deleted ? `deleted key ${name}` : k.key_alias || k.key_name || name;
}

const HOUR = 3600;
const DAY = 86_400;

/** Every bucket start (epoch seconds) from `start` up to `end` (or now), so empty hours or days show as zero. */
export function buckets(start: string, end: string, granularity: 'hour' | 'day'): number[] {
  const step = granularity === 'hour' ? HOUR : DAY;
  const first = Math.floor(Date.parse(start) / 1000 / step) * step;
  // Not into the future: "today" ends now.
  const last = Math.min(Date.parse(end), Date.now()) / 1000;
  const out: number[] = [];
  for (let t = first; t < last && out.length < 5000; t += step) out.push(t);
  return out;
}

export type Metric = 'spend' | 'requests' | 'failed_requests' | 'total_tokens';

/** One series per group (or one without split), values per bucket. */
export function seriesOf(usage: Usage, metric: Metric, nameOf: (group: string | null) => string): { x: number[]; series: Series[] } {
  const x = buckets(usage.start, usage.end, usage.granularity);
  const index = new Map(x.map((t, i) => [t, i]));
  const groups = new Map<string | null, Array<number | null>>();
  for (const p of usage.series) {
    if (!groups.has(p.group))
      groups.set(
        p.group,
        x.map(() => 0),
      );
    const i = index.get(Date.parse(p.bucket) / 1000);
    if (i !== undefined) groups.get(p.group)![i] = (groups.get(p.group)![i] ?? 0) + Number(p[metric]);
  }
  if (groups.size === 0)
    groups.set(
      null,
      x.map(() => 0),
    );
  // "Other" last, the rest by their total.
  const total = (v: Array<number | null>) => v.reduce<number>((n, y) => n + (y ?? 0), 0);
  const ordered = [...groups].sort(([a, va], [b, vb]) => (a === OTHER ? 1 : b === OTHER ? -1 : total(vb) - total(va)));
  return { x, series: ordered.map(([g, values]) => ({ label: g === OTHER ? 'Other' : nameOf(g), values })) };
}

/** p50/p90/p99 lines of latency or time to first token, per bucket. */
export function percentileSeries(latency: Latency, usage: Usage, which: 'latency_ms' | 'ttft_ms'): { x: number[]; series: Series[] } {
  const x = buckets(usage.start, usage.end, usage.granularity);
  const at = new Map(latency.series.map((p) => [Date.parse(p.bucket) / 1000, p[which]]));
  const line = (q: 'p50' | 'p90' | 'p99') => ({ label: q, values: x.map((t) => at.get(t)?.[q] ?? null) });
  return { x, series: [line('p50'), line('p90'), line('p99')] };
}

const CSV_COLUMNS: Array<keyof Totals> = ['spend', 'requests', 'failed_requests', 'prompt_tokens', 'completion_tokens', 'total_tokens'];

function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The series the charts show, one row per bucket and group, as CSV (RFC 4180). */
export function usageCsv(usage: Usage, nameOf: (group: string | null) => string): string {
  const rows: unknown[][] = [[usage.granularity === 'hour' ? 'hour_utc' : 'day_utc', 'group', ...CSV_COLUMNS]];
  for (const p of usage.series as UsagePoint[]) {
    rows.push([p.bucket, p.group === null ? '' : p.group === OTHER ? 'Other' : nameOf(p.group), ...CSV_COLUMNS.map((c) => p[c])]);
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
