import { describe, expect, it, vi, afterEach } from 'vitest';
import type { AppConfig, DeploymentConfig, RouterSettings } from '../config/config.types.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { BackendLoadService } from '../upstream/backend-load.service.js';
import type { DeploymentHealthService } from '../upstream/deployment-health.service.js';
import { type BackendFault, RequestWindow, shouldCooldown, allowedFailsFor } from './cooldown-policy.js';
import { parseLoadRouting } from '../config/routing-settings.js';
import { RouterService } from './router.service.js';

const DEFAULT_LOAD = parseLoadRouting({}, {}, {});
const e500: BackendFault = { status: 500, message: 'boom' };
const base = { fault: e500, single: false, rules: {}, countedFails: 1 };

describe('shouldCooldown (LiteLLM rules)', () => {
  it('cools a deployment of a multi-deployment alias on > 50% failures over ≥ 5 requests', () => {
    expect(shouldCooldown({ ...base, successes: 0, failures: 4 })).toBe(false);
    expect(shouldCooldown({ ...base, successes: 0, failures: 5 })).toBe(true);
    expect(shouldCooldown({ ...base, successes: 2, failures: 3 })).toBe(true);
    // Exactly half is not more than half.
    expect(shouldCooldown({ ...base, successes: 3, failures: 3 })).toBe(false);
    expect(shouldCooldown({ ...base, successes: 100, failures: 20 })).toBe(false);
  });

  it('never cools the only deployment, except 100% failures over ≥ 1000 requests', () => {
    const single = { ...base, single: true };
    expect(shouldCooldown({ ...single, successes: 0, failures: 999 })).toBe(false);
    expect(shouldCooldown({ ...single, successes: 1, failures: 5000 })).toBe(false);
    expect(shouldCooldown({ ...single, successes: 0, failures: 1000 })).toBe(true);
    for (const status of [429, 401, 404]) expect(shouldCooldown({ ...single, fault: { status, message: '' }, successes: 0, failures: 1 })).toBe(false);
    // allowed_fails does not reach it either.
    expect(shouldCooldown({ ...single, rules: { allowedFails: 0 }, successes: 0, failures: 10, countedFails: 10 })).toBe(false);
  });

  it('429, 401 and 404 from a backend cool a deployment that has siblings at once', () => {
    for (const status of [429, 401, 404]) expect(shouldCooldown({ ...base, fault: { status, message: '' }, successes: 50, failures: 1 })).toBe(true);
    for (const status of [500, 0, 408]) expect(shouldCooldown({ ...base, fault: { status, message: '' }, successes: 50, failures: 1 })).toBe(false);
  });

  it('allowed_fails / allowed_fails_policy switch to counting: cool when the count exceeds the allowance', () => {
    const rules = { allowedFails: 1 };
    expect(shouldCooldown({ ...base, rules, successes: 0, failures: 1, countedFails: 1 })).toBe(false);
    expect(shouldCooldown({ ...base, rules, successes: 0, failures: 2, countedFails: 2 })).toBe(true);
    // A 429 is counted like any other fault under allowed_fails.
    expect(shouldCooldown({ ...base, rules, fault: { status: 429, message: '' }, successes: 9, failures: 1, countedFails: 1 })).toBe(false);
    const policy = { allowedFailsPolicy: { TimeoutErrorAllowedFails: 5 } };
    expect(allowedFailsFor({ status: 408, message: '' }, policy)).toBe(5);
    // Kinds the policy does not name fall back to allowed_fails, else LiteLLM's default 3.
    expect(allowedFailsFor(e500, policy)).toBe(3);
    expect(allowedFailsFor(e500, { ...policy, allowedFails: 7 })).toBe(7);
    expect(allowedFailsFor({ status: 0, message: '' }, { allowedFailsPolicy: { InternalServerErrorAllowedFails: 2 } })).toBe(2);
    expect(allowedFailsFor(e500, {})).toBeUndefined();
  });
});

describe('RequestWindow', () => {
  it('counts the last 60 seconds, sliding', () => {
    const w = new RequestWindow();
    const t0 = 1_000_000_000;
    w.failed(t0);
    w.succeeded(t0 + 10_000);
    w.succeeded(t0 + 10_500);
    expect(w.counts(t0 + 30_000)).toEqual({ successes: 2, failures: 1 });
    expect(w.counts(t0 + 60_500)).toEqual({ successes: 2, failures: 0 });
    expect(w.counts(t0 + 71_000)).toEqual({ successes: 0, failures: 0 });
    // A bucket reused a minute later starts from zero.
    w.failed(t0 + 60_000);
    expect(w.counts(t0 + 60_000)).toEqual({ successes: 2, failures: 1 });
  });
});

describe('RouterService', () => {
  afterEach(() => vi.useRealTimers());

  const dep = (id: string, alias: string, extra: Partial<DeploymentConfig> = {}): DeploymentConfig =>
    ({
      id,
      modelName: alias,
      litellmModel: 'openai/m',
      upstreamModel: 'm',
      apiBase: 'http://127.0.0.1:1/v1',
      inputCostPerToken: 0,
      outputCostPerToken: 0,
      modelInfo: {},
      source: 'config',
      ...extra,
    }) as DeploymentConfig;

  function router(
    groups: DeploymentConfig[][],
    settings: Partial<RouterSettings> = {},
    upstream = { connections: 512, queue: 1024 },
    backend: { others?: Record<string, number>; unhealthy?: string[] } = {},
  ) {
    const byAlias = new Map(groups.map((g) => [g[0].modelName, g]));
    const routerSettings = { routingStrategy: 'simple-shuffle', cooldownTimeSec: 5, numRetries: 2, requestTimeoutMs: 1000, load: DEFAULT_LOAD, ...settings };
    const registry = { group: (a: string) => byAlias.get(a) ?? [], onChange: () => undefined, router: routerSettings } as unknown as ModelRegistry;
    const config = {
      proxy: { router: routerSettings },
      upstreamConnections: upstream.connections,
      upstreamQueueMax: upstream.queue,
    } as unknown as AppConfig;
    const loads = { othersOn: (id: string) => backend.others?.[id] ?? 0, snapshot: () => undefined } as unknown as BackendLoadService;
    const health = { healthy: (id: string) => !backend.unhealthy?.includes(id) } as unknown as DeploymentHealthService;
    return new RouterService(config, registry, loads, health);
  }

  it('cools a failing sibling by rate, says when it is back, and the cooldown expires', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const a = dep('a', 'x');
    const b = dep('b', 'x');
    const r = router([[a, b]]);
    for (let i = 0; i < 4; i++) expect(r.failed(a, e500)).toBe(false);
    expect(r.failed(a, e500)).toBe(true);
    expect(r.pick([a, b], new Set())).toEqual({ deployment: b });
    expect(r.pick([a, b], new Set(['b']))).toEqual({ unavailable: { cooling: 1, busy: 0, retryAfterSec: 5, lastError: 'boom' } });
    vi.advanceTimersByTime(5001);
    expect(r.pick([a], new Set())).toEqual({ deployment: a });
  });

  it('successes keep the rate down', () => {
    const a = dep('a', 'x');
    const b = dep('b', 'x');
    const r = router([[a, b]]);
    for (let i = 0; i < 6; i++) r.succeeded(a);
    for (let i = 0; i < 6; i++) expect(r.failed(a, e500)).toBe(false);
    expect(r.failed(a, e500)).toBe(true);
  });

  it('never cools the only deployment', () => {
    const solo = dep('s', 'solo');
    const r = router([[solo]]);
    for (let i = 0; i < 50; i++) expect(r.failed(solo, e500)).toBe(false);
    expect(r.pick([solo], new Set())).toEqual({ deployment: solo });
  });

  it('skips a deployment at max_parallel_requests (or the upstream queue bound); all at cap → unavailable', () => {
    const a = dep('a', 'x', { maxParallelRequests: 1 });
    const b = dep('b', 'x');
    const r = router([[a, b]], {}, { connections: 1, queue: 1 });
    r.started(a);
    expect(r.pick([a, b], new Set())).toEqual({ deployment: b });
    r.started(b);
    expect(r.pick([a, b], new Set())).toEqual({ deployment: b });
    r.started(b);
    expect(r.pick([a, b], new Set())).toEqual({ unavailable: { cooling: 0, busy: 2, retryAfterSec: 1, lastError: undefined } });
    r.finished(a);
    expect(r.pick([a, b], new Set())).toEqual({ deployment: a });
    expect(router([[a]], { defaultMaxParallelRequests: 3 }).capOf(b)).toBe(3);
  });

  it('skips a deployment whose health check failed, unless all did', () => {
    const a = dep('a', 'x');
    const b = dep('b', 'x');
    const r = router([[a, b]], {}, undefined, { unhealthy: ['a'] });
    for (let i = 0; i < 20; i++) expect(r.pick([a, b], new Set())).toEqual({ deployment: b });
    expect(r.pick([a, b], new Set(['b']))).toEqual({ deployment: a });
  });

  it('least-busy counts what the backend holds for others; affinity overflows past max_imbalance', () => {
    const a = dep('a', 'x');
    const b = dep('b', 'x');
    const load = { ...DEFAULT_LOAD, sessionAffinity: true, sessionAffinityMaxImbalance: 2 };
    const others: Record<string, number> = { a: 5 };
    const r = router([[a, b]], { routingStrategy: 'least-busy', load }, undefined, { others });
    r.started(b);
    r.started(b);
    expect(r.loadOf(a)).toBe(5);
    for (let i = 0; i < 10; i++) expect(r.pick([a, b], new Set())).toEqual({ deployment: b });
    others.a = 0;
    r.finished(b);
    r.finished(b);
    const pickFor = () => (r.pick([a, b], new Set(), { sessionKey: 'alice', inputTokens: 0, stream: false }) as { deployment: DeploymentConfig }).deployment;
    const home = pickFor();
    const away = home === a ? b : a;
    for (let i = 0; i < 10; i++) expect(pickFor()).toBe(home);
    r.started(home);
    r.started(home);
    expect(pickFor()).toBe(home);
    r.started(home);
    expect(pickFor()).toBe(away);
  });

  it('usage-based-routing-v2 and latency-based: a deployment at its rpm or tpm this minute is skipped; all → unavailable until the minute ends', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 30) });
    const a = dep('a', 'x', { rpm: 1 });
    const b = dep('b', 'x', { tpm: 100 });
    for (const routingStrategy of ['usage-based-routing-v2', 'latency-based-routing'] as const) {
      const r = router([[a, b]], { routingStrategy });
      r.started(a);
      r.finished(a);
      expect(r.pick([a, b], new Set(), { inputTokens: 50, stream: false })).toEqual({ deployment: b });
      r.started(b);
      r.finished(b);
      r.succeeded(b, { ms: 10, completionTokens: 10, totalTokens: 60 });
      expect(r.pick([a, b], new Set(), { inputTokens: 50, stream: false })).toEqual({
        unavailable: { cooling: 0, busy: 2, retryAfterSec: 30, lastError: undefined },
      });
      vi.advanceTimersByTime(30_000);
      expect('deployment' in r.pick([a, b], new Set(), { inputTokens: 50, stream: false })).toBe(true);
      vi.setSystemTime(Date.UTC(2026, 0, 1, 12, 0, 30));
    }
  });
});
