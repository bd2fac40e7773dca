import { describe, expect, it } from 'vitest';
import type { Usage } from '../ui/src/api.js';
import { buckets, keyLabel, seriesOf, usageCsv } from '../ui/src/usage.js';

// The Spend page's pure helpers (ui/src/usage.ts); in a browser in ui-console.e2e-spec.ts.

const totals = { spend: 0, requests: 0, failed_requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
const usage = (series: Usage['series'], granularity: 'hour' | 'day' = 'day'): Usage => ({
  granularity,
  start: '2026-11-01T00:00:00.000Z',
  end: '2026-11-04T00:00:00.000Z',
  totals,
  series,
  by_key: [],
  by_team: [],
  by_model: [],
});

describe('keyLabel', () => {
  it('names the master key, a live key by alias, a deleted one by what its last row knew', () => {
    expect(keyLabel('', undefined)).toBe('Master key');
    expect(keyLabel('ab'.repeat(32), { key_alias: 'ci', key_name: 'sk-...abcd', deleted: false })).toBe('ci');
    expect(keyLabel('ab'.repeat(32), { key_alias: 'ci', key_name: 'sk-...abcd', deleted: true })).toBe('deleted key ci · sk-...abcd');
    expect(keyLabel('ab'.repeat(32), { key_alias: null, key_name: null, deleted: true })).toBe('deleted key abababab…');
  });
});

describe('buckets and seriesOf', () => {
  it('has one bucket per UTC day or hour of the range, empty ones as zero', () => {
    expect(buckets('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z', 'day')).toHaveLength(3);
    expect(buckets('2026-11-01T10:30:00Z', '2026-11-01T13:00:00Z', 'hour')).toEqual([10, 11, 12].map((h) => Date.UTC(2026, 10, 1, h) / 1000));
    const { x, series } = seriesOf(usage([{ ...totals, bucket: '2026-11-02T00:00:00.000Z', group: null, spend: 2 }]), 'spend', () => 'Spend');
    expect(x).toHaveLength(3);
    expect(series).toEqual([{ label: 'Spend', values: [0, 2, 0] }]);
  });

  it('orders groups by their total, "Other" last', () => {
    const p = (group: string, requests: number) => ({ ...totals, bucket: '2026-11-01T00:00:00.000Z', group, requests });
    const { series } = seriesOf(usage([p('__other__', 50), p('a', 1), p('b', 9)]), 'requests', (g) => `m:${g}`);
    expect(series.map((s) => s.label)).toEqual(['m:b', 'm:a', 'Other']);
  });
});

describe('usageCsv', () => {
  it('writes RFC 4180 rows: a header, then one row per bucket and group, quoting what needs it', () => {
    const csv = usageCsv(
      usage([{ ...totals, bucket: '2026-11-01T00:00:00.000Z', group: 'k1', spend: 0.5, requests: 3, total_tokens: 30 }], 'hour'),
      () => 'team "a", b',
    );
    expect(csv.split('\r\n')).toEqual([
      'hour_utc,group,spend,requests,failed_requests,prompt_tokens,completion_tokens,total_tokens',
      '2026-11-01T00:00:00.000Z,"team ""a"", b",0.5,3,0,0,0,30',
      '',
    ]);
  });
});
