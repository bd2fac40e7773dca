import { describe, expect, it } from 'vitest';
import type { SpendEntry } from './spend-entry.js';
import { parseJournal } from './spend-journal.js';
import { cleanMetadata, cleanString, LIMITS, toRow, TRUNCATED } from './spend-sanitize.js';
import { isDataError } from './spend-sql.js';

const entry = (over: Partial<SpendEntry> = {}): SpendEntry => ({
  requestId: 'r1',
  callType: 'acompletion',
  apiKey: 'k',
  spend: 0.5,
  promptTokens: 3,
  completionTokens: 2,
  startTime: 1_700_000_000_000,
  endTime: 1_700_000_000_100,
  completionStartTime: null,
  model: 'm',
  modelId: 'id',
  modelGroup: 'g',
  apiBase: 'http://b',
  user: 'u',
  teamId: null,
  status: 'success',
  metadata: {},
  ...over,
});

describe('spend rows are well-formed and bounded', () => {
  it('replaces NUL and unpaired surrogates, keeps pairs, cuts without splitting a pair', () => {
    expect(cleanString('a\u0000b', 10)).toBe('a\uFFFDb');
    expect(cleanString('\ud800', 10)).toBe('\uFFFD');
    expect(cleanString('x\udc00', 10)).toBe('x\uFFFD');
    expect(cleanString('😀', 10)).toBe('😀');
    expect(cleanString('ab😀', 3)).toBe('ab');
    expect(cleanString(42, 10)).toBe('42');
    expect(cleanString(undefined, 10)).toBe('');
  });

  it('bounds user and names; validates numbers', () => {
    const row = toRow(entry({ user: 'u'.repeat(1000), model: 'm'.repeat(2000), spend: NaN, promptTokens: -1, completionTokens: 1e12, endTime: NaN }));
    expect(row.end_user).toHaveLength(LIMITS.user);
    expect(row.model).toHaveLength(LIMITS.name);
    expect(row.spend).toBe(0);
    expect(row.prompt_tokens).toBe(0);
    expect(row.completion_tokens).toBe(2_147_483_647);
    expect(Number.isFinite(row.end_ms)).toBe(true);
    expect(toRow(entry({ spend: Infinity })).spend).toBe(0);
  });

  it('metadata: strings cut, non-JSON values dropped, the whole bounded with a marker naming what was left out', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const m = cleanMetadata({ user_api_key_user_id: 'me', s: 's'.repeat(5000), n: NaN, bad: '\u0000', circular });
    expect(m.user_api_key_user_id).toBe('me');
    expect(m.s).toHaveLength(LIMITS.metadataString);
    expect(m.n).toBeNull();
    expect(m.bad).toBe('\uFFFD');
    expect(() => JSON.stringify(m)).not.toThrow();

    const big = cleanMetadata({ user_api_key_user_id: 'me', ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])) });
    expect(Buffer.byteLength(JSON.stringify(big))).toBeLessThanOrEqual(LIMITS.metadataJson);
    expect(big.user_api_key_user_id).toBe('me');
    expect(big[TRUNCATED]).toContain('k19');
    expect(cleanMetadata('nope')).toEqual({});
  });

  it('bounds metadata whose strings grow when escaped, flat or nested', () => {
    // 1,024 characters that each escape to 6 bytes (\u0001): 2 of them are ~12 KB of JSON.
    const escaped = '\u0001'.repeat(LIMITS.metadataString);
    for (const m of [
      { a: escaped, b: escaped },
      { a: { x: escaped }, b: { y: escaped } },
      { a: 'é'.repeat(1024), b: '€'.repeat(1024), c: '€'.repeat(1024) },
    ]) {
      const clean = cleanMetadata({ user_api_key_user_id: 'me', ...m });
      expect(Buffer.byteLength(JSON.stringify(clean))).toBeLessThanOrEqual(LIMITS.metadataJson);
      expect(clean.user_api_key_user_id).toBe('me');
      expect((clean[TRUNCATED] as string[]).length).toBeGreaterThan(0);
    }
    // Small flat metadata comes back as it was, key order included.
    const small = { user_api_key_alias: 'bench', n: 1.5, t: true, z: null, request_id: 'r1' };
    expect(Object.entries(cleanMetadata(small))).toEqual(Object.entries(small));
  });
});

describe('spend write errors', () => {
  it('data, integrity and limit errors split the batch; connection and availability errors keep it', () => {
    for (const code of ['22021', '22P05', '23505', '54000', '42P01']) expect(isDataError({ code })).toBe(true);
    expect(isDataError({ driverError: { code: '22003' } })).toBe(true);
    for (const code of ['08006', '57P01', '57014', '53300', '40001', 'ECONNREFUSED', undefined]) expect(isDataError({ code })).toBe(false);
    expect(isDataError(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});

describe('journal files', () => {
  it('skips entries before the last written mark and lines cut by a crash', () => {
    const line = (id: string) => JSON.stringify({ entry: entry({ requestId: id }) });
    const text = [line('a'), line('b'), '{"written":1}', line('c'), '{"written":2}', line('d'), '{"entry":{"requ'].join('\n');
    const { entries, unreadable } = parseJournal(text);
    expect(entries.map((e) => e.requestId)).toEqual(['c', 'd']);
    expect(unreadable).toBe(1);
  });
});
