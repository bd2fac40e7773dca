import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, expectErrorEnvelope, tagged, uniqueTag, waitFor, withFields, withMock } from './helpers/sdk.js';

// The router as users meet it: cooldown decided by failure rate (LiteLLM's rules), never for the only
// deployment of an alias, never for the request's own 4xx or a client that left; 503 (not 429) when no
// deployment can take a request; max_parallel_requests and the upstream queue bound per deployment.
// Every alias has mocks of its own, so router state never leaks between tests.

const MODEL = 'google/gemma-4-31b';
const COOLDOWN_S = 5;

const user = (content: string) => [{ role: 'user' as const, content }];
const chat = (alias: string, tag: string, maxTokens = 2): ChatCompletionCreateParamsNonStreaming =>
  withFields({ model: alias, messages: user('hello'), max_tokens: maxTokens }, { test_tag: tag });
const streamOf = (alias: string, tag: string, maxTokens: number): ChatCompletionCreateParamsStreaming =>
  withFields({ model: alias, messages: user('hello'), max_tokens: maxTokens, stream: true as const }, { test_tag: tag });
const deployment = (alias: string, apiBase: string, extra: Record<string, unknown> = {}): TestModel => ({
  model_name: alias,
  litellm_params: { model: `openai/${MODEL}`, api_base: apiBase, ...extra },
});
/** simple-shuffle weights: the heavy deployment is (nearly) always picked first. */
const heavy = { rpm: 1_000_000 };
const light = { rpm: 1 };

describe('router: cooldown, capacity and queue bounds', () => {
  let db: TestDatabase;
  let app: TestProxy;
  let client: OpenAI;
  const mocks: Record<string, MockVllm> = {};
  const names = ['solo', 'rateBad', 'rateGood', 'strictA', 'strictB', 'discA', 'discB', 'duoA', 'duoB', 'capA', 'capB'] as const;
  type Name = (typeof names)[number];
  const mock = (name: Name): MockVllm => mocks[name];

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all(names.map(async (n) => (mocks[n] = await startMockVllm({ model: MODEL }))));
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        deployment('solo', mock('solo').url),
        deployment('rate', mock('rateBad').url),
        deployment('rate', mock('rateGood').url),
        deployment('strict', mock('strictA').url, heavy),
        deployment('strict', mock('strictB').url, light),
        deployment('disc', mock('discA').url, heavy),
        deployment('disc', mock('discB').url, light),
        deployment('duo', mock('duoA').url),
        deployment('duo', mock('duoB').url),
        deployment('capped', mock('capA').url, { ...heavy, max_parallel_requests: 1 }),
        deployment('capped', mock('capB').url, { ...light, max_parallel_requests: 1 }),
      ],
      settings: {
        router_settings: { routing_strategy: 'simple-shuffle', cooldown_time: COOLDOWN_S },
        litellm_settings: { num_retries: 3, request_timeout: 600 },
      },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    await db?.drop();
  });

  it('the only deployment of an alias is never cooled: its own error, then the next request is served', async () => {
    mock('solo').setFault('500', 4);
    const tag = uniqueTag('solo');
    const err = await apiErrorOf(client.chat.completions.create(chat('solo', tag)));
    expect(err.status).toBe(502);
    expect(err.error).toMatchObject({ type: 'upstream_error', code: '502' });
    expect(err.message).toContain('Backend for model=solo failed (500): mock internal error');
    // num_retries: 3 → four tries on the one deployment.
    expect(tagged(mock('solo'), tag)).toHaveLength(4);

    const res = await client.chat.completions.create(chat('solo', tag));
    expect(res.choices[0].message.content).toBe(TOKEN.repeat(2));

    // Many more failures in the minute still never turn into a cooldown (LiteLLM: not below 1000 requests).
    mock('solo').setFault('500', 12);
    for (let i = 0; i < 3; i++) {
      const again = await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('solo', tag) }), 502);
      expect(again.message).toContain('model=solo');
    }
    expect((await client.chat.completions.create(chat('solo', tag))).choices[0].message.content).toBe(TOKEN.repeat(2));
  });

  it('a deployment failing > 50% over ≥ 5 requests cools down; traffic goes to the other one', async () => {
    mock('rateBad').setFault('500');
    const tag = uniqueTag('rate');
    for (let i = 0; i < 40; i++) {
      const res = await client.chat.completions.create(chat('rate', tag));
      expect(res.choices[0].message.content).toBe(TOKEN.repeat(2));
    }
    // Cooled on its fifth failure (not on the first few: below 5 requests a rate says nothing).
    expect(tagged(mock('rateBad'), tag)).toHaveLength(5);
    expect(tagged(mock('rateGood'), tag)).toHaveLength(40);
  });

  it("a backend 400 (the request's own fault) never cools a deployment", async () => {
    const tag = uniqueTag('strict');
    for (let i = 0; i < 12; i++) {
      const err = await apiErrorOf(client.chat.completions.create(withMock(chat('strict', tag), { fault: '400' })));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    }
    for (let i = 0; i < 5; i++) await client.chat.completions.create(chat('strict', tag));
    // Every request, the bad ones too, went to the heavy deployment: it was never taken out.
    expect(tagged(mock('strictA'), tag)).toHaveLength(17);
    expect(tagged(mock('strictB'), tag)).toHaveLength(0);
  });

  it('clients that go away never cool a deployment', async () => {
    const tag = uniqueTag('disc');
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const stream = await client.chat.completions.create(withMock(streamOf('disc', tag, 20), { inter_token_ms: 100 }), { signal: controller.signal });
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) controller.abort();
    }
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const pending = client.chat.completions.create(withMock(chat('disc', tag), { ttft_ms: 2000 }), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await pending.catch(() => undefined);
    }
    await waitFor(() => mock('discA').aborts.length >= 12, 3000);
    for (let i = 0; i < 5; i++) await client.chat.completions.create(chat('disc', tag));
    expect(tagged(mock('discA'), tag)).toHaveLength(17);
    expect(tagged(mock('discB'), tag)).toHaveLength(0);
  });

  it('every deployment cooling down: 503 with the last backend error and Retry-After, then back after the cooldown', async () => {
    mock('duoA').setFault('500');
    mock('duoB').setFault('500');
    const tag = uniqueTag('duo');
    // Each request tries both deployments twice (num_retries: 3): after three, both have failed ≥ 5 times.
    for (let i = 0; i < 3; i++) await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('duo', tag) }), 502);
    const before = tagged(mock('duoA'), tag).length + tagged(mock('duoB'), tag).length;

    const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('duo', tag) });
    const retryAfter = Number(res.headers.get('retry-after'));
    const error = await expectErrorEnvelope(res, 503);
    expect(error.type).toBe('service_unavailable');
    expect(error.message).toContain('model=duo');
    expect(error.message).toContain('cooling down');
    expect(error.message).toContain('mock internal error');
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(COOLDOWN_S);
    const sdk = await apiErrorOf(client.chat.completions.create(chat('duo', tag)));
    expect(sdk.status).toBe(503);
    expect(sdk).not.toBeInstanceOf(OpenAI.RateLimitError);
    // Neither backend was called while both rested.
    expect(tagged(mock('duoA'), tag).length + tagged(mock('duoB'), tag).length).toBe(before);

    mock('duoA').setFault(null);
    mock('duoB').setFault(null);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
    expect((await client.chat.completions.create(chat('duo', tag))).choices[0].message.content).toBe(TOKEN.repeat(2));
  });

  it('max_parallel_requests: a deployment at its cap is skipped; all at cap → fast 503 with Retry-After', async () => {
    const tag = uniqueTag('cap');
    const slow = () => client.chat.completions.create(withMock(chat('capped', tag), { ttft_ms: 1000 }));
    const two = await Promise.all([slow(), slow()]);
    expect(two.map((r) => r.choices[0].message.content)).toEqual([TOKEN.repeat(2), TOKEN.repeat(2)]);
    // The heavy deployment would have taken both: at its cap of 1, the second went to the other.
    expect(tagged(mock('capA'), tag)).toHaveLength(1);
    expect(tagged(mock('capB'), tag)).toHaveLength(1);

    const running = [slow(), slow()];
    await waitFor(() => tagged(mock('capA'), tag).length + tagged(mock('capB'), tag).length === 4, 2000, 10);
    const started = Date.now();
    const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('capped', tag) });
    const error = await expectErrorEnvelope(res, 503);
    expect(Date.now() - started).toBeLessThan(500);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(error.type).toBe('service_unavailable');
    expect(error.message).toContain('model=capped');
    expect(error.message).toContain('max_parallel_requests');
    await Promise.all(running);
    // Slots are given back: the cap does not stick.
    expect((await client.chat.completions.create(chat('capped', tag))).choices[0].message.content).toBe(TOKEN.repeat(2));
  });
});

describe('router: the upstream queue is bounded per deployment', () => {
  let db: TestDatabase;
  let app: TestProxy;
  let backend: MockVllm;

  beforeAll(async () => {
    db = await createTestDatabase();
    backend = await startMockVllm({ model: MODEL, ttftMs: 800 });
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [deployment('queued', backend.url)],
      env: { UPSTREAM_CONNECTIONS: '1', UPSTREAM_QUEUE_MAX: '1' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await backend?.close();
    await db?.drop();
  });

  it('one connection and a queue of one: a third request gets a fast 503, the queued one is served', async () => {
    const client = app.client();
    const tag = uniqueTag('queue');
    const first = client.chat.completions.create(chat('queued', tag));
    const second = client.chat.completions.create(chat('queued', tag));
    await waitFor(() => tagged(backend, tag).length === 1, 2000, 10);
    // The second is in the pool's queue by now; the first still has ~600 ms to go.
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('queued', tag) });
    const error = await expectErrorEnvelope(res, 503);
    expect(Date.now() - started).toBeLessThan(400);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(error.message).toContain('model=queued');
    expect(error.message).toContain('queue');
    const done = await Promise.all([first, second]);
    expect(done.map((r) => r.choices[0].message.content)).toEqual([TOKEN.repeat(2), TOKEN.repeat(2)]);
    // The second waited for the one connection: it reached the backend only after the first finished.
    const seen = tagged(backend, tag);
    expect(seen).toHaveLength(2);
    expect(seen[1].receivedAt - seen[0].receivedAt).toBeGreaterThanOrEqual(700);
  });
});
