import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { tagged, uniqueTag, waitFor, withFields } from './helpers/sdk.js';

// Load-aware routing as an operator meets it: the proxy reads each vLLM's /metrics and /health in the
// background; least-busy sees a queue other clients built, affinity keeps a session on one backend
// until it is overloaded, an unhealthy backend is skipped and shown so, and the LiteLLM strategies
// usage-based-routing-v2 and latency-based-routing pick by what they measured.

const MODEL = 'google/gemma-4-31b';
const chat = (alias: string, tag: string, extra: Record<string, unknown> = {}, maxTokens = 2): ChatCompletionCreateParamsNonStreaming =>
  withFields({ model: alias, messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: maxTokens }, { test_tag: tag, ...extra });
const deployment = (alias: string, apiBase: string, extra: Record<string, unknown> = {}): TestModel => ({
  model_name: alias,
  litellm_params: { model: `openai/${MODEL}`, api_base: apiBase, ...extra },
});
const only = (mock: MockVllm, tag: string) => tagged(mock, tag).length;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('least-busy with backend load, affinity and active health checks', () => {
  let app: TestProxy;
  let client: OpenAI;
  const mocks: Record<string, MockVllm> = {};
  const names = ['deepA', 'deepB', 'stickA', 'stickB', 'stickC', 'hcA', 'hcB'] as const;
  const mock = (n: (typeof names)[number]) => mocks[n];

  beforeAll(async () => {
    await Promise.all(names.map(async (n) => (mocks[n] = await startMockVllm({ model: MODEL }))));
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        deployment('deep', mock('deepA').url),
        deployment('deep', mock('deepB').url),
        deployment('sticky', mock('stickA').url),
        deployment('sticky', mock('stickB').url),
        deployment('sticky', mock('stickC').url),
        deployment('hc', mock('hcA').url),
        deployment('hc', mock('hcB').url),
      ],
      settings: {
        router_settings: { routing_strategy: 'least-busy', session_affinity: true, session_affinity_header: 'x-session-id', vllm_metrics_interval: 0.5 },
        general_settings: { background_health_checks: true, health_check_interval: 1 },
      },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
  });

  it('a backend reporting a deep queue gets no new requests within a few seconds; /metrics shows its gauges', async () => {
    mock('deepA').setReportedLoad({ waiting: 50, running: 8, kvCacheUsage: 0.9 });
    const tag = uniqueTag('deep');
    await waitFor(
      async () => {
        const before = only(mock('deepA'), tag);
        for (let i = 0; i < 10; i++) await client.chat.completions.create(chat('deep', tag));
        return only(mock('deepA'), tag) === before;
      },
      5000,
      0,
    );
    const a = only(mock('deepA'), tag);
    for (let i = 0; i < 20; i++) await client.chat.completions.create(chat('deep', tag));
    expect(only(mock('deepA'), tag)).toBe(a);
    expect(only(mock('deepB'), tag)).toBeGreaterThanOrEqual(20);

    const metrics = await (await app.fetch('/metrics')).text();
    const line = (name: string) => metrics.split('\n').find((l) => l.startsWith(name) && l.includes(`api_base="${mock('deepA').url}"`));
    expect(line('model_proxy_deployment_queue_waiting')).toMatch(/ 50$/);
    expect(line('model_proxy_deployment_running')).toMatch(/ 8$/);
    expect(line('model_proxy_deployment_kv_cache_usage')).toMatch(/ 0\.9$/);
    expect(line('model_proxy_deployment_healthy')).toMatch(/ 1$/);
    mock('deepA').setReportedLoad({});
  });

  it('affinity: one session sticks to one deployment; it overflows once that one is overloaded', async () => {
    const tag = uniqueTag('sticky');
    const sticks = ['stickA', 'stickB', 'stickC'] as const;
    const counts = () => sticks.map((n) => only(mock(n), tag));
    for (let i = 0; i < 12; i++) await client.chat.completions.create(chat('sticky', tag, { user: 'alice' }));
    const alice = counts();
    expect(alice.filter((c) => c > 0)).toEqual([12]);
    const home = sticks[alice.indexOf(12)];

    // The session header names a session too; different sessions spread over the deployments.
    const homes = new Set<string>();
    for (let s = 0; s < 12; s++) {
      const before = counts();
      const res = await client.chat.completions.create(chat('sticky', tag), { headers: { 'x-session-id': `session-${s}` } });
      expect(res.choices).toHaveLength(1);
      homes.add(sticks[counts().findIndex((c, i) => c > before[i])]);
    }
    expect(homes.size).toBeGreaterThan(1);

    mock(home).setReportedLoad({ waiting: 40 });
    const tag2 = uniqueTag('overflow');
    await waitFor(
      async () => {
        const before = only(mock(home), tag2);
        for (let i = 0; i < 5; i++) await client.chat.completions.create(chat('sticky', tag2, { user: 'alice' }));
        return only(mock(home), tag2) === before;
      },
      5000,
      0,
    );
    mock(home).setReportedLoad({});
  });

  it('a backend whose /health fails is shown unhealthy by GET /health and gets no requests', async () => {
    mock('hcA').setHealth(503);
    await waitFor(
      async () => {
        const body = (await (await app.fetch('/health?model=hc')).json()) as { unhealthy_endpoints: Array<{ api_base: string }> };
        return body.unhealthy_endpoints.some((e) => e.api_base === mock('hcA').url);
      },
      5000,
      100,
    );
    const tag = uniqueTag('hc');
    for (let i = 0; i < 20; i++) await client.chat.completions.create(chat('hc', tag));
    expect(only(mock('hcA'), tag)).toBe(0);
    expect(only(mock('hcB'), tag)).toBe(20);
    const metrics = await (await app.fetch('/metrics')).text();
    const healthy = metrics.split('\n').find((l) => l.startsWith('model_proxy_deployment_healthy') && l.includes(`api_base="${mock('hcA').url}"`));
    expect(healthy).toMatch(/ 0$/);

    mock('hcA').setHealth(200);
    await waitFor(
      async () => {
        const body = (await (await app.fetch('/health?model=hc')).json()) as { healthy_count: number };
        return body.healthy_count === 2;
      },
      5000,
      100,
    );
  });
});

describe('usage-based-routing-v2', () => {
  let app: TestProxy;
  let a: MockVllm;
  let b: MockVllm;
  beforeAll(async () => {
    [a, b] = await Promise.all([startMockVllm({ model: MODEL }), startMockVllm({ model: MODEL })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [deployment('usage', a.url), deployment('usage', b.url)],
      settings: { router_settings: { routing_strategy: 'usage-based-routing-v2' } },
    });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('prefers the deployment that used fewer tokens this minute', async () => {
    const tag = uniqueTag('usage');
    const client = app.client();
    await client.chat.completions.create(chat('usage', tag, {}, 400));
    const [heavy, lightMock] = only(a, tag) === 1 ? [a, b] : [b, a];
    for (let i = 0; i < 10; i++) await client.chat.completions.create(chat('usage', tag));
    expect(only(heavy, tag)).toBe(1);
    expect(only(lightMock, tag)).toBe(10);
  });
});

describe('latency-based-routing', () => {
  let app: TestProxy;
  let fast: MockVllm;
  let slow: MockVllm;
  beforeAll(async () => {
    [fast, slow] = await Promise.all([startMockVllm({ model: MODEL, ttftMs: 5 }), startMockVllm({ model: MODEL, ttftMs: 150 })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [deployment('lat', fast.url), deployment('lat', slow.url)],
      settings: { router_settings: { routing_strategy: 'latency-based-routing', routing_strategy_args: { lowest_latency_buffer: 0, ttl: 60 } } },
    });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([fast?.close(), slow?.close()]);
  });

  it('tries each deployment, then prefers the faster one', async () => {
    const tag = uniqueTag('lat');
    const client = app.client();
    for (let i = 0; i < 4; i++) await client.chat.completions.create(chat('lat', tag));
    // An untried deployment counts as latency 0 (LiteLLM): both were tried within the first requests.
    expect(only(slow, tag)).toBeGreaterThanOrEqual(1);
    const slowBefore = only(slow, tag);
    for (let i = 0; i < 15; i++) await client.chat.completions.create(chat('lat', tag));
    expect(only(slow, tag)).toBe(slowBefore);
    expect(only(fast, tag)).toBe(19 - slowBefore);
  });
});
