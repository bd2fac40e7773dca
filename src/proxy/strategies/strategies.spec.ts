import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../../config/config.types.js';
import { LatencyStats } from './latency-stats.js';
import { leastBusy, lowestLatency, lowestUsage, sessionHome } from './pick.js';
import { UsageWindow, withinLimits } from './usage-window.js';

const dep = (id: string, extra: Partial<DeploymentConfig> = {}) => ({ id, modelName: 'x', ...extra }) as DeploymentConfig;
const [a, b, c] = [dep('a'), dep('b'), dep('c')];
const scores = (m: Record<string, number>) => (d: DeploymentConfig) => m[d.id] ?? 0;
const T0 = 1_800_000_000_000;

describe('leastBusy', () => {
  it('takes the lowest load, then the emptier KV cache', () => {
    expect(leastBusy([a, b, c], scores({ a: 3, b: 1, c: 2 }), scores({}))).toBe(b);
    expect(leastBusy([a, b], scores({ a: 1, b: 1 }), scores({ a: 0.9, b: 0.1 }))).toBe(b);
  });
  it('spreads ties at random', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(leastBusy([a, b, c], scores({}), scores({})).id);
    expect(seen.size).toBe(3);
  });
});

describe('sessionHome', () => {
  it('sends one session to one deployment every time, and spreads sessions', () => {
    const home = sessionHome('alice', [a, b, c], scores({}), 4);
    for (let i = 0; i < 20; i++) expect(sessionHome('alice', [a, b, c], scores({}), 4)).toBe(home);
    const homes = new Set(Array.from({ length: 60 }, (_, i) => sessionHome(`s${i}`, [a, b, c], scores({}), 4)?.id));
    expect(homes.size).toBe(3);
  });
  it('keeps its home when another deployment leaves (rendezvous hashing)', () => {
    for (let i = 0; i < 30; i++) {
      const home = sessionHome(`s${i}`, [a, b, c], scores({}), 4)!;
      const rest = [a, b, c].filter((d) => d !== home);
      expect(sessionHome(`s${i}`, [home, rest[0]], scores({}), 4)).toBe(home);
    }
  });
  it('overflows once its home is more than max_imbalance busier than the least busy', () => {
    const home = sessionHome('alice', [a, b, c], scores({}), 4)!;
    expect(sessionHome('alice', [a, b, c], scores({ [home.id]: 4 }), 4)).toBe(home);
    expect(sessionHome('alice', [a, b, c], scores({ [home.id]: 5 }), 4)).toBeUndefined();
  });
});

describe('usage-based-routing-v2', () => {
  it('prefers the fewest tokens this minute; counts reset at the minute', () => {
    const ua = new UsageWindow();
    ua.used(500, T0);
    expect(lowestUsage([a, b], (d) => (d === a ? ua.tpm(T0) : 0))).toBe(b);
    expect(ua.tpm(T0 + 60_000)).toBe(0);
  });
  it('skips a deployment the prompt would take past its tpm, or at its rpm', () => {
    const u = new UsageWindow();
    u.used(90, T0);
    expect(withinLimits(dep('a', { tpm: 100 }), u, 10, T0)).toBe(true);
    expect(withinLimits(dep('a', { tpm: 100 }), u, 11, T0)).toBe(false);
    u.sent(T0);
    expect(withinLimits(dep('a', { rpm: 2 }), u, 0, T0)).toBe(true);
    u.sent(T0);
    expect(withinLimits(dep('a', { rpm: 2 }), u, 0, T0)).toBe(false);
  });
});

describe('latency-based-routing', () => {
  it('averages seconds per completion token over the last 10; untried counts as 0', () => {
    const s = new LatencyStats();
    expect(s.average(false, 3_600_000, T0)).toBe(0);
    s.record({ ms: 1000, completionTokens: 10, totalTokens: 20 }, T0);
    s.record({ ms: 3000, completionTokens: 10, totalTokens: 20 }, T0);
    expect(s.average(false, 3_600_000, T0)).toBeCloseTo(0.2);
    for (let i = 0; i < 10; i++) s.record({ ms: 500, completionTokens: 10, totalTokens: 20 }, T0);
    expect(s.average(false, 3_600_000, T0)).toBeCloseTo(0.05);
  });
  it('uses time to first token for streams, forgets after ttl, and penalizes a timeout', () => {
    const s = new LatencyStats();
    s.record({ ms: 2000, ttftMs: 100, completionTokens: 1, totalTokens: 2 }, T0);
    expect(s.average(true, 60_000, T0)).toBeCloseTo(0.1);
    expect(s.average(false, 60_000, T0)).toBeCloseTo(2);
    s.timedOut(T0);
    expect(s.average(false, 60_000, T0)).toBeCloseTo(501);
    expect(s.average(false, 60_000, T0 + 60_001)).toBe(0);
  });
  it('picks the lowest, or at random within the buffer', () => {
    expect(lowestLatency([a, b], scores({ a: 0.2, b: 0.1 }), 0)).toBe(b);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(lowestLatency([a, b, c], scores({ a: 0.14, b: 0.1, c: 0.3 }), 0.5).id);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });
});
