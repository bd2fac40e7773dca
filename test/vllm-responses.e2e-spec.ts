import type OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { keyRows } from './helpers/routes.js';
import { apiErrorOf, tagged, uniqueTag, withFields, withMock } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey } from './helpers/spend.js';

// Issue 15, the Responses API (docs: /work/notes/VLLM-CONTRACT.md): POST /v1/responses (JSON and
// SSE), GET /v1/responses/{id}, POST /v1/responses/{id}/cancel, through the official SDK, proxied to
// the deployment with its upstream model id, billed as aresponses / aget_responses /
// acancel_responses, streamed unbuffered, and pinned: retrieval, cancel and previous_response_id go
// to the deployment that created the response, also from a proxy instance that never saw it.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const model = (alias: string, api_base: string, id: string): TestModel => ({
  model_name: alias,
  litellm_params: { model: `hosted_vllm/${GEMMA}`, api_base },
  model_info: { id, input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
});

describe('vLLM Responses API through the proxy', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let pinA: MockVllm;
  let pinB: MockVllm;
  let app: TestProxy;
  let other: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    [gemma, pinA, pinB] = await Promise.all([startMockVllm({ model: GEMMA }), startMockVllm({ model: GEMMA }), startMockVllm({ model: GEMMA })]);
    const models = [model('gemma', gemma.url, 'gemma-only'), model('pinned', pinA.url, 'pin-a'), model('pinned', pinB.url, 'pin-b')];
    const settings = { router_settings: { routing_strategy: 'simple-shuffle' }, litellm_settings: { num_retries: 0 } };
    app = await startTestProxy({ databaseUrl: db.url, models, settings });
    // A second instance on the same database: it never saw the responses the first one created.
    other = await startTestProxy({ databaseUrl: db.url, models, settings });
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
    await Promise.all([gemma?.close(), pinA?.close(), pinB?.close()]);
    await db?.drop();
  });

  /** The pinned group's backend that received the create tagged `tag`, and the other one. */
  function creatorOf(tag: string): { creator: MockVllm; bystander: MockVllm; id: string } {
    const onA = tagged(pinA, tag).length > 0;
    expect(onA || tagged(pinB, tag).length > 0, 'the create reached one of the pinned backends').toBe(true);
    return onA ? { creator: pinA, bystander: pinB, id: 'pin-a' } : { creator: pinB, bystander: pinA, id: 'pin-b' };
  }
  const gets = (mock: MockVllm, id: string) => mock.requests.filter((r) => r.method === 'GET' && r.path === `/v1/responses/${id}`);

  it('creates a response: proxied with the upstream model id, answered as vLLM answered, billed as aresponses', async () => {
    const tag = uniqueTag('resp-create');
    const key = await generateKey(app);
    const r = await app.client(key.key).responses.create(withFields({ model: 'gemma', input: 'one two three', max_output_tokens: 4 }, { test_tag: tag }));
    expect(r.id).toMatch(/^resp_/);
    expect(r).toMatchObject({ object: 'response', model: GEMMA, status: 'incomplete' });
    expect(r.output_text).toBe(TOKEN.repeat(4));
    expect(r.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });

    const [seen] = tagged(gemma, tag);
    expect(seen).toMatchObject({ method: 'POST', path: '/v1/responses', body: { model: GEMMA, input: 'one two three', max_output_tokens: 4 } });
    expect(seen?.headers['x-request-id']).toMatch(/.+/);
    expect(String(seen?.headers.authorization ?? '')).not.toContain(key.key);

    const [row] = await keyRows(db, key.token, 1);
    expect(row).toMatchObject({ call_type: 'aresponses', model: GEMMA, model_group: 'gemma', model_id: 'gemma-only', prompt_tokens: 3, completion_tokens: 4 });
    expectMoney(row?.spend, costOf(PRICES, 3, 4));
    // vLLM names the response after the body's request_id, which the proxy sets: the row is booked under it.
    expect(row?.request_id).toBe(r.id);
    expect(seen?.body).toMatchObject({ request_id: r.id });
  });

  it('also serves /responses without the /v1 prefix', async () => {
    const res = await app.fetch('/responses', { method: 'POST', json: { model: 'gemma', input: 'hi', max_output_tokens: 1 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'response', model: GEMMA });
  });

  it('streams the SSE events unbuffered and bills the usage of response.completed', async () => {
    const tag = uniqueTag('resp-stream');
    const key = await generateKey(app);
    const started = Date.now();
    const stream = await app
      .client(key.key)
      .responses.create(
        withMock(withFields({ model: 'gemma', input: 'a b', max_output_tokens: 10, stream: true as const }, { test_tag: tag }), { inter_token_ms: 100 }),
      );
    const events: { e: ResponseStreamEvent; at: number }[] = [];
    for await (const e of stream) events.push({ e, at: Date.now() - started });
    expect(events.map(({ e }) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(10).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.filter(({ e }) => e.type === 'response.output_text.delta');
    const end = events.at(-1)!.at;
    // The mock takes 9 × 100 ms between the first and the last token: they must not arrive together.
    expect(end).toBeGreaterThanOrEqual(850);
    expect(deltas[0]!.at).toBeLessThan(end - 500);
    const completed = events.at(-1)!.e as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage).toMatchObject({ input_tokens: 2, output_tokens: 10 });

    const [row] = await keyRows(db, key.token, 1);
    expect(row).toMatchObject({ call_type: 'aresponses', model: GEMMA, prompt_tokens: 2, completion_tokens: 10 });
    expectMoney(row?.spend, costOf(PRICES, 2, 10));
  });

  it('refuses a virtual key without the model (401, as chat does) and an unknown model (400)', async () => {
    const key = await generateKey(app, { models: ['pinned'] });
    const sdk = app.client(key.key);
    const chat = await apiErrorOf(sdk.chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: 'x' }] }));
    const refused = await apiErrorOf(sdk.responses.create({ model: 'gemma', input: 'x' }));
    expect(refused.status).toBe(401);
    expect(refused.message).toBe(chat.message);
    const unknown = await apiErrorOf(app.client().responses.create({ model: 'nope', input: 'x' }));
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('Invalid model name passed in model=nope');
    expect((await app.fetch('/v1/responses', { method: 'POST', key: null, json: { model: 'gemma', input: 'x' } })).status).toBe(401);
  });

  it('retrieves a response from the deployment that created it, billed as aget_responses with no tokens', async () => {
    const tag = uniqueTag('resp-pin');
    const key = await generateKey(app);
    const sdk = app.client(key.key);
    const created = await sdk.responses.create(withFields({ model: 'pinned', input: 'remember me', max_output_tokens: 2 }, { test_tag: tag }));
    const { creator, bystander, id } = creatorOf(tag);
    for (let i = 0; i < 4; i++) expect(await sdk.responses.retrieve(created.id)).toEqual(created);
    expect(gets(creator, created.id)).toHaveLength(4);
    expect(gets(bystander, created.id)).toHaveLength(0);

    const rows = await keyRows(db, key.token, 5);
    for (const r of rows.slice(1)) {
      expect(r).toMatchObject({ call_type: 'aget_responses', model: GEMMA, model_group: 'pinned', model_id: id, prompt_tokens: 0, completion_tokens: 0 });
      expectMoney(r.spend, 0);
    }
    // The id is pinned to the model: a key that may not use it is refused.
    const narrow = await generateKey(app, { models: ['gemma'] });
    expect((await apiErrorOf(app.client(narrow.key).responses.retrieve(created.id))).status).toBe(401);
  });

  it('a second instance that never saw the response reads its deployment from the id', async () => {
    const tag = uniqueTag('resp-probe');
    const created = await app.client().responses.create(withFields({ model: 'pinned', input: 'find me', max_output_tokens: 1 }, { test_tag: tag }));
    const { creator, bystander } = creatorOf(tag);
    expect(await other.client().responses.retrieve(created.id)).toEqual(created);
    expect(gets(creator, created.id)).toHaveLength(1);
    expect(gets(bystander, created.id)).toHaveLength(0);
  });

  it('finds a response the proxy did not name by asking each deployment, and a 404 there cools nothing', async () => {
    // Made on pin-b directly (say, before the proxy was in front): its id names no deployment.
    const direct = await fetch(`${pinB.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: GEMMA, input: 'x' }),
    });
    const made = (await direct.json()) as { id: string };
    for (let i = 0; i < 3; i++) expect(await other.client().responses.retrieve(made.id)).toMatchObject({ id: made.id });
    expect(gets(pinB, made.id)).toHaveLength(3);
    // pin-a answered 404 each time it was asked, and still takes requests.
    const health = (await (await other.fetch('/health/deployments')).json()) as { deployments?: Array<{ model_id?: string; state?: string }> };
    expect(JSON.stringify(health)).not.toContain('cooling_down');
    const missing = await apiErrorOf(other.client().responses.retrieve('resp_nobody_has_this'));
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({ message: expect.any(String) as string, type: expect.any(String) as string });
  });

  it('sends previous_response_id to the creating deployment, from either instance', async () => {
    const tag = uniqueTag('resp-prev');
    const first = await app.client().responses.create(withFields({ model: 'pinned', input: 'one two', max_output_tokens: 2 }, { test_tag: tag }));
    const { creator, bystander } = creatorOf(tag);
    for (const proxy of [app, app, other, other]) {
      const next = await proxy
        .client()
        .responses.create(withFields({ model: 'pinned', input: 'three', max_output_tokens: 1, previous_response_id: first.id }, { test_tag: `${tag}-next` }));
      // The mock counts the stored turn (2 + 2 tokens) as context: it had the previous response.
      expect(next).toMatchObject({ previous_response_id: first.id, usage: { input_tokens: 5 } });
    }
    expect(tagged(creator, `${tag}-next`)).toHaveLength(4);
    expect(tagged(bystander, `${tag}-next`)).toHaveLength(0);
  });

  it('cancels a background response at its deployment (acancel_responses), and passes vLLM 400 for a finished one', async () => {
    const tag = uniqueTag('resp-cancel');
    const key = await generateKey(app);
    const sdk = app.client(key.key);
    const queued = await sdk.responses.create(
      withMock(withFields({ model: 'pinned', input: 'slow', background: true }, { test_tag: tag }), {
        ttft_ms: 5000,
      }) as OpenAI.Responses.ResponseCreateParamsNonStreaming,
    );
    expect(queued.status).toBe('queued');
    const { creator } = creatorOf(tag);
    expect(await sdk.responses.cancel(queued.id)).toMatchObject({ id: queued.id, status: 'cancelled' });
    expect(creator.requests.filter((r) => r.method === 'POST' && r.path === `/v1/responses/${queued.id}/cancel`)).toHaveLength(1);

    const done = await sdk.responses.create(withFields({ model: 'pinned', input: 'quick', max_output_tokens: 1 }, { test_tag: `${tag}-done` }));
    const refused = await apiErrorOf(other.client().responses.cancel(done.id));
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('Cannot cancel a synchronous response.');

    const rows = await keyRows(db, key.token, 3);
    expect(rows.map((r) => r.call_type)).toEqual(['aresponses', 'acancel_responses', 'aresponses']);
    expect(rows[1]).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, model: GEMMA, model_group: 'pinned' });
    expectMoney(rows[1]?.spend, 0);
  });
});
