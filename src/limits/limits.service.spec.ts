import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/config.types.js';
import type { KeyRecord } from '../keys/key-record.js';
import { LimitsService, type Lease } from './limits.service.js';
import { keyRecord } from '../../test/helpers/key-record.js';

// The in-memory path (no REDIS_URL): fixed one-minute windows. The Redis path is covered over HTTP in
// keys-limits.e2e-spec.ts.

function key(limits: Partial<Pick<KeyRecord, 'rpmLimit' | 'tpmLimit' | 'maxParallelRequests'>>, token = 'hash-a'): KeyRecord {
  return keyRecord({ token, ...limits });
}

/** acquire() of the memory path is synchronous; a Promise here would mean Redis was used. */
function acquire(limits: LimitsService, k: KeyRecord): Lease {
  const lease = limits.acquire(k);
  expect(lease).not.toBeInstanceOf(Promise);
  return lease as Lease;
}

function refusal(limits: LimitsService, k: KeyRecord): ApiError {
  try {
    limits.acquire(k);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a 429');
}

describe('LimitsService (in memory)', () => {
  let limits: LimitsService;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-02T10:00:15.000Z') });
    limits = new LimitsService({} as AppConfig);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('costs nothing for a key without limits', () => {
    const k = key({});
    for (let i = 0; i < 1000; i++) acquire(limits, k).release(1000);
  });

  it('refuses the rpm+1-th request of a minute with 429, retry-after = seconds left in the minute', () => {
    const k = key({ rpmLimit: 3 });
    for (let i = 0; i < 3; i++) acquire(limits, k).release(0);
    const err = refusal(limits, k);
    expect(err.status).toBe(429);
    expect(err.body().error).toMatchObject({ type: 'rate_limit_error', code: '429' });
    expect(err.message).toContain('rpm limit 3 reached (current rpm: 3)');
    expect(err.headers['retry-after']).toBe('45');
    vi.setSystemTime(new Date('2026-12-02T10:00:59.400Z'));
    expect(refusal(limits, k).headers['retry-after']).toBe('1');
  });

  it('starts a new window at the minute boundary, and a refused request does not count', () => {
    const k = key({ rpmLimit: 2 });
    acquire(limits, k);
    acquire(limits, k);
    refusal(limits, k);
    vi.setSystemTime(new Date('2026-12-02T10:00:59.999Z'));
    refusal(limits, k);
    vi.setSystemTime(new Date('2026-12-02T10:01:00.000Z'));
    acquire(limits, k);
    acquire(limits, k);
    expect(refusal(limits, k).message).toContain('current rpm: 2');
  });

  it('counts tokens at release toward tpm, refusing once the minute reached the limit', () => {
    const k = key({ tpmLimit: 100 });
    const a = acquire(limits, k);
    const b = acquire(limits, k);
    a.release(60);
    acquire(limits, k).release(0);
    b.release(40);
    const err = refusal(limits, k);
    expect(err.message).toContain('tpm limit 100 reached (current tpm: 100)');
    vi.setSystemTime(new Date('2026-12-02T10:01:00.000Z'));
    acquire(limits, k).release(99);
    acquire(limits, k);
  });

  it("counts a long request's tokens toward the minute it ends in", () => {
    const k = key({ tpmLimit: 100 });
    const long = acquire(limits, k);
    vi.setSystemTime(new Date('2026-12-02T10:01:30.000Z'));
    long.release(500);
    expect(refusal(limits, k).message).toContain('current tpm: 500');
    vi.setSystemTime(new Date('2026-12-02T10:02:00.000Z'));
    acquire(limits, k);
  });

  it('holds max_parallel_requests slots until release, across minutes, with retry-after 1', () => {
    const k = key({ maxParallelRequests: 2 });
    const a = acquire(limits, k);
    const b = acquire(limits, k);
    const err = refusal(limits, k);
    expect(err.message).toContain('max_parallel_requests limit 2 reached (current max_parallel_requests: 2)');
    expect(err.headers['retry-after']).toBe('1');
    vi.setSystemTime(new Date('2026-12-02T10:05:00.000Z'));
    refusal(limits, k);
    a.release(0);
    const c = acquire(limits, k);
    refusal(limits, k);
    b.release(0);
    c.release(0);
    acquire(limits, k);
    acquire(limits, k);
  });

  it('keeps each key to its own counters', () => {
    const a = key({ rpmLimit: 1 }, 'hash-a');
    const b = key({ rpmLimit: 1 }, 'hash-b');
    acquire(limits, a);
    refusal(limits, a);
    acquire(limits, b);
    refusal(limits, b);
  });

  it("a team's limits count every key of the team; a refusal by the team takes nothing from the key", () => {
    const team = { entity: 'team:t1', id: 't1', models: [], blocked: false, rpmLimit: 1, tpmLimit: null, maxParallelRequests: null };
    const a = keyRecord({ token: 'hash-a', rpmLimit: 5, team });
    const b = keyRecord({ token: 'hash-b', team });
    acquire(limits, a).release(0);
    const err = refusal(limits, b);
    expect(err.status).toBe(429);
    expect(err.message).toContain('Rate limit exceeded for team: rpm limit 1');
    // The refused request did not count against key a's own window.
    acquire(limits, keyRecord({ token: 'hash-a', rpmLimit: 2 }));
    refusal(limits, keyRecord({ token: 'hash-a', rpmLimit: 2 }));
  });

  it("a user's parallel limit holds across the user's keys", () => {
    const user = { entity: 'user:u1', id: 'u1', models: [], blocked: false, rpmLimit: null, tpmLimit: null, maxParallelRequests: 1 };
    const lease = acquire(limits, keyRecord({ token: 'hash-a', user }));
    expect(refusal(limits, keyRecord({ token: 'hash-b', user })).message).toContain('for user: max_parallel_requests');
    lease.release(0);
    acquire(limits, keyRecord({ token: 'hash-b', user }));
  });
});
