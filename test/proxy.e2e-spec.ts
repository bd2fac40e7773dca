import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, tagged, uniqueTag, waitFor, withFields, withMock } from './helpers/sdk.js';

// The happy path of issue 3 as an SDK user meets it: routes, body forwarding, streaming, models,
// headers, load, spend rows and load balancing. Failures live in proxy-failures.e2e-spec.ts.

const GEMMA = 'google/gemma-4-31b';
const KEYED = 'acme/keyed-model';
const LLAMA = 'meta/llama-3-8b';
const DEPLOY_KEY = 'sk-vllm-deployment-secret';
const PRICE_IN = 0.000001;
const PRICE_OUT = 0.000002;

const user = (content: string) => [{ role: 'user' as const, content }];

describe('proxy: OpenAI routes through the SDK', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let keyed: MockVllm;
  let shuffleA: MockVllm;
  let shuffleB: MockVllm;
  let light: MockVllm;
  let heavy: MockVllm;
  let app: TestProxy;
  let client: OpenAI;

  beforeAll(async () => {
    db = await createTestDatabase();
    [gemma, keyed, shuffleA, shuffleB, light, heavy] = await Promise.all([
      startMockVllm({ model: GEMMA }),
      // Refuses anything but the deployment's own key, as `vllm serve --api-key` does.
      startMockVllm({ model: KEYED, apiKey: DEPLOY_KEY }),
      startMockVllm({ model: LLAMA }),
      startMockVllm({ model: LLAMA }),
      startMockVllm({ model: LLAMA }),
      startMockVllm({ model: LLAMA }),
    ]);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { VLLM_KEY: DEPLOY_KEY },
      models: [
        {
          model_name: 'gemma-4-31b',
          litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
          model_info: { input_cost_per_token: PRICE_IN, output_cost_per_token: PRICE_OUT },
        },
        { model_name: 'keyed', litellm_params: { model: `hosted_vllm/${KEYED}`, api_base: keyed.url, api_key: 'os.environ/VLLM_KEY' } },
        { model_name: 'llama-shuffle', litellm_params: { model: `openai/${LLAMA}`, api_base: shuffleA.url } },
        { model_name: 'llama-shuffle', litellm_params: { model: `openai/${LLAMA}`, api_base: shuffleB.url } },
        { model_name: 'llama-weighted', litellm_params: { model: `openai/${LLAMA}`, api_base: light.url, rpm: 1 } },
        { model_name: 'llama-weighted', litellm_params: { model: `openai/${LLAMA}`, api_base: heavy.url, rpm: 1000 } },
      ],
      settings: { router_settings: { routing_strategy: 'simple-shuffle' }, litellm_settings: { num_retries: 2 } },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([gemma, keyed, shuffleA, shuffleB, light, heavy].map((m) => m?.close()));
    await db?.drop();
  });

  describe('chat completions', () => {
    it('answers with content and usage, rewrites only `model`, forwards unknown fields, never forwards the client key', async () => {
      const tag = uniqueTag('chat');
      const params: ChatCompletionCreateParamsNonStreaming = { model: 'gemma-4-31b', messages: user('hello there proxy'), max_tokens: 3, temperature: 0.2 };
      const extra = { test_tag: tag, top_k: 5, vendor_flag: { nested: [1, 'two', null], deep: { ok: true } } };
      const completion = await client.chat.completions.create(withFields(params, extra));

      expect(completion.object).toBe('chat.completion');
      expect(completion.choices[0].message.content).toBe(TOKEN.repeat(3));
      expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });

      const seen = tagged(gemma, tag);
      expect(seen).toHaveLength(1);
      expect(seen[0].path).toBe('/v1/chat/completions');
      expect(seen[0].body).toEqual({ ...params, ...extra, model: GEMMA });
      expect(seen[0].headers.authorization).toBeUndefined();
      expect(JSON.stringify(seen[0].headers)).not.toContain(MASTER_KEY);
    });

    it('sends the deployment its own api_key (os.environ/…), not the client key, whichever header carried it', async () => {
      const tag = uniqueTag('keyed');
      const completion = await client.chat.completions.create(withFields({ model: 'keyed', messages: user('hi'), max_tokens: 2 }, { test_tag: tag }));
      expect(completion.choices[0].message.content).toBe(TOKEN.repeat(2));

      const viaAltHeader = await app.fetch('/v1/chat/completions', {
        key: null,
        headers: { 'x-litellm-api-key': MASTER_KEY },
        method: 'POST',
        json: { model: 'keyed', messages: user('hi'), max_tokens: 1, test_tag: tag },
      });
      expect(viaAltHeader.status).toBe(200);

      const seen = tagged(keyed, tag);
      expect(seen).toHaveLength(2);
      for (const r of seen) {
        expect(r.body).toMatchObject({ model: KEYED });
        expect(r.headers.authorization).toBe(`Bearer ${DEPLOY_KEY}`);
        expect(r.headers['x-litellm-api-key']).toBeUndefined();
        expect(JSON.stringify(r.headers)).not.toContain(MASTER_KEY);
      }
    });
  });

  describe('other routes', () => {
    it('serves /v1/completions, streaming or not', async () => {
      const tag = uniqueTag('text');
      const done = await client.completions.create(withFields({ model: 'gemma-4-31b', prompt: 'once upon a time', max_tokens: 4 }, { test_tag: tag }));
      expect(done.choices[0].text).toBe(TOKEN.repeat(4));
      expect(done.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });

      const stream = await client.completions.create(
        withFields({ model: 'gemma-4-31b', prompt: 'once', max_tokens: 3, stream: true as const }, { test_tag: tag }),
      );
      let text = '';
      for await (const chunk of stream) {
        expect(chunk.usage ?? null).toBeNull();
        text += chunk.choices[0]?.text ?? '';
      }
      expect(text).toBe(TOKEN.repeat(3));

      const seen = tagged(gemma, tag);
      expect(seen.map((r) => r.path)).toEqual(['/v1/completions', '/v1/completions']);
      expect(seen.map((r) => (r.body as { model: string }).model)).toEqual([GEMMA, GEMMA]);
    });

    it('serves /v1/embeddings', async () => {
      const tag = uniqueTag('embed');
      const res = await client.embeddings.create(withFields({ model: 'gemma-4-31b', input: ['alpha beta', 'gamma'] }, { test_tag: tag }));
      expect(res.data).toHaveLength(2);
      expect(res.data[0].embedding).toHaveLength(8);
      expect(res.data[0].embedding).not.toEqual(res.data[1].embedding);
      expect(res.usage).toMatchObject({ prompt_tokens: 3, total_tokens: 3 });
      const seen = tagged(gemma, tag);
      expect(seen).toHaveLength(1);
      expect(seen[0].path).toBe('/v1/embeddings');
      expect(seen[0].body).toMatchObject({ model: GEMMA, input: ['alpha beta', 'gamma'] });
    });

    it('serves the same POST routes without /v1', async () => {
      const chat = await app.fetch('/chat/completions', { method: 'POST', json: { model: 'gemma-4-31b', messages: user('hi'), max_tokens: 2 } });
      expect(chat.status).toBe(200);
      expect(((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe(TOKEN.repeat(2));

      const text = await app.fetch('/completions', { method: 'POST', json: { model: 'gemma-4-31b', prompt: 'hi', max_tokens: 2 } });
      expect(text.status).toBe(200);
      expect(((await text.json()) as { choices: Array<{ text: string }> }).choices[0].text).toBe(TOKEN.repeat(2));

      const embed = await app.fetch('/embeddings', { method: 'POST', json: { model: 'gemma-4-31b', input: 'hi' } });
      expect(embed.status).toBe(200);
      expect(((await embed.json()) as { data: Array<{ embedding: number[] }> }).data[0].embedding).toHaveLength(8);

      const stream = await app.fetch('/chat/completions', {
        method: 'POST',
        json: { model: 'gemma-4-31b', messages: user('hi'), max_tokens: 2, stream: true },
      });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(await stream.text()).toMatch(/data: \[DONE\]\n\n$/);
    });
  });

  describe('streaming', () => {
    const params: ChatCompletionCreateParamsStreaming = { model: 'gemma-4-31b', messages: user('stream to me'), max_tokens: 5, stream: true };

    it('streams chunks that join to the answer; asks vLLM for usage but shows none the client did not ask for', async () => {
      const tag = uniqueTag('stream');
      const stream = await client.chat.completions.create(withFields(params, { test_tag: tag }));
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TOKEN.repeat(5));
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
      expect(chunks.filter((c) => c.usage != null)).toEqual([]);
      expect(chunks.filter((c) => c.choices.length === 0)).toEqual([]);

      const seen = tagged(gemma, tag);
      expect(seen).toHaveLength(1);
      expect(seen[0].body).toEqual({ ...params, test_tag: tag, model: GEMMA, stream_options: { include_usage: true, continuous_usage_stats: true } });
    });

    it('shows the usage chunk when the client asks for it', async () => {
      const tag = uniqueTag('stream-usage');
      const asked: ChatCompletionCreateParamsStreaming = { ...params, stream_options: { include_usage: true } };
      const stream = await client.chat.completions.create(withFields(asked, { test_tag: tag }));
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TOKEN.repeat(5));
      const withUsage = chunks.filter((c) => c.usage != null);
      expect(withUsage).toHaveLength(1);
      expect(withUsage[0].choices).toEqual([]);
      expect(withUsage[0].usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
      expect(tagged(gemma, tag)[0].body).toMatchObject({ stream_options: { include_usage: true, continuous_usage_stats: true } });
    });

    it('passes each chunk on as it comes (no buffering)', async () => {
      const tag = uniqueTag('pace');
      const stream = await client.chat.completions.create(withFields(params, { test_tag: tag, mock: { inter_token_ms: 150 } }));
      const arrivals: number[] = [];
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) arrivals.push(Date.now());
      }
      expect(arrivals).toHaveLength(5);
      // The mock writes the 5 tokens 150 ms apart, the last one 600 ms after it took the request:
      // a buffering proxy would deliver all of them together, after that.
      const sentAt = tagged(gemma, tag)[0].receivedAt;
      expect(arrivals[0] - sentAt).toBeLessThan(400);
      expect(arrivals[4] - arrivals[0]).toBeGreaterThan(300);
    });
  });

  describe('models', () => {
    it('lists the aliases (not the deployments) in OpenAI list shape', async () => {
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids.sort()).toEqual(['gemma-4-31b', 'keyed', 'llama-shuffle', 'llama-weighted']);

      const res = await app.fetch('/v1/models');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: Array<Record<string, unknown>> };
      expect(body.object).toBe('list');
      expect(body.data).toHaveLength(4);
      for (const m of body.data) {
        expect(m).toEqual({ id: expect.any(String), object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
      }
      const bare = await app.fetch('/models');
      expect(((await bare.json()) as { data: unknown[] }).data).toHaveLength(4);
    });

    it('retrieves one alias, and 404s in the envelope for an unknown one', async () => {
      const model = await client.models.retrieve('gemma-4-31b');
      expect(model).toMatchObject({ id: 'gemma-4-31b', object: 'model' });
      const bare = await app.fetch('/models/llama-shuffle');
      expect(await bare.json()).toMatchObject({ id: 'llama-shuffle', object: 'model' });

      const err = await client.models.retrieve('no-such-model').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const error = await expectErrorEnvelope(await app.fetch('/v1/models/no-such-model'), 404);
      expect(error.message).toContain('no-such-model');
    });
  });

  describe('headers', () => {
    const expectOverhead = (res: Response): number => {
      const value = res.headers.get('x-litellm-overhead-duration-ms');
      expect(value, `x-litellm-overhead-duration-ms on ${res.url} (${res.status})`).toMatch(/^\d+(\.\d+)?$/);
      expect(res.headers.get('x-request-id'), `x-request-id on ${res.url}`).toMatch(/.+/);
      return Number(value);
    };
    const post = (path: string, json: unknown, key?: string | null) => app.fetch(path, { method: 'POST', json, key });

    it('puts x-litellm-overhead-duration-ms and x-request-id on every /v1 answer, errors included', async () => {
      const chat = await client.chat.completions.create({ model: 'gemma-4-31b', messages: user('hi'), max_tokens: 1 }).withResponse();
      expectOverhead(chat.response);
      const stream = await client.chat.completions.create({ model: 'gemma-4-31b', messages: user('hi'), max_tokens: 1, stream: true }).withResponse();
      expectOverhead(stream.response);
      for await (const _ of stream.data) void _;
      expectOverhead((await client.completions.create({ model: 'gemma-4-31b', prompt: 'hi', max_tokens: 1 }).withResponse()).response);
      expectOverhead((await client.embeddings.create({ model: 'gemma-4-31b', input: 'hi' }).withResponse()).response);
      expectOverhead(await post('/v1/chat/completions', { model: 'foo', messages: user('hi') }));
      expectOverhead(await post('/v1/chat/completions', { model: 'gemma-4-31b', messages: user('hi') }, null));
      expectOverhead(await post('/v1/chat/completions', { model: 'gemma-4-31b', messages: user('hi'), mock: { fault: '400' } }));
      expectOverhead(await post('/v1/embeddings', { input: 'no model' }));
      // Answered by the proxy alone (no backend): the request id is there too.
      for (const path of ['/v1/models', '/v1/models/gemma-4-31b', '/v1/models/nope']) {
        expect((await app.fetch(path)).headers.get('x-request-id'), path).toMatch(/.+/);
      }
    });

    it('leaves the backend time out of the overhead', async () => {
      const slow = await post('/v1/chat/completions', { model: 'gemma-4-31b', messages: user('hi'), max_tokens: 1, mock: { ttft_ms: 400 } });
      expect(slow.status).toBe(200);
      expect(expectOverhead(slow)).toBeLessThan(200);
      const stream = await post('/v1/chat/completions', { model: 'gemma-4-31b', messages: user('hi'), max_tokens: 2, stream: true, mock: { ttft_ms: 400 } });
      expect(expectOverhead(stream)).toBeLessThan(200);
      await stream.text();
    });

    it('echoes the caller x-request-id, but sends vLLM an id of its own', async () => {
      const tag = uniqueTag('reqid');
      const { data, response } = await client.chat.completions
        .create(withFields({ model: 'gemma-4-31b', messages: user('hi'), max_tokens: 1 }, { test_tag: tag }), { headers: { 'x-request-id': tag } })
        .withResponse();
      expect(response.headers.get('x-request-id')).toBe(tag);
      const callId = response.headers.get('x-litellm-call-id');
      expect(callId).toMatch(/^[0-9a-f-]{36}$/);
      expect(tagged(gemma, tag)[0].headers['x-request-id']).toBe(callId);
      // vLLM derives the answer's id from the X-Request-Id it was sent.
      expect(data.id).toBe(`chatcmpl-${callId}`);
    });
  });

  it('answers 200 concurrent requests, streaming and not, each with its own content', async () => {
    const tag = uniqueTag('load');
    const one = async (i: number): Promise<string> => {
      const n = 1 + (i % 8);
      const base = { model: 'gemma-4-31b', messages: user(`request ${i}`), max_tokens: n };
      const steer = withFields({}, { test_tag: tag, mock: { ttft_ms: 20, inter_token_ms: 2 } });
      if (i % 2 === 0) {
        const res = await client.chat.completions.create({ ...base, ...steer });
        return res.choices[0].message.content ?? '';
      }
      const stream = await client.chat.completions.create({ ...base, ...steer, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => one(i)));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    results.forEach((r, i) => expect((r as PromiseFulfilledResult<string>).value, `request ${i}`).toBe(TOKEN.repeat(1 + (i % 8))));
    expect(tagged(gemma, tag)).toHaveLength(200);
  });

  it('writes one spend row per request, with model, group, tokens, cost and status', async () => {
    const tag = uniqueTag('spend');
    const done = await client.chat.completions.create({ model: 'gemma-4-31b', messages: user('count my tokens please'), max_tokens: 6, user: tag });
    const stream = await client.chat.completions.create({ model: 'gemma-4-31b', messages: user('and these'), max_tokens: 4, user: tag, stream: true });
    let streamId = '';
    for await (const chunk of stream) streamId = chunk.id;
    const failed = await client.chat.completions
      .create(withMock({ model: 'gemma-4-31b', messages: user('fail'), user: tag }, { fault: '400' }))
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.BadRequestError);

    type Row = {
      request_id: string;
      call_type: string;
      model: string;
      model_group: string;
      prompt_tokens: number;
      completion_tokens: number;
      total_tokens: number;
      spend: number;
      status: string;
      api_base: string;
    };
    let rows: Row[] = [];
    await waitFor(async () => {
      rows = await db.query<Row>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1 ORDER BY "startTime"', [tag]);
      return rows.length >= 3;
    });
    expect(rows).toHaveLength(3);
    const [plain, streamed, failure] = rows;
    expect(plain).toMatchObject({
      request_id: done.id,
      call_type: 'acompletion',
      model: GEMMA,
      model_group: 'gemma-4-31b',
      prompt_tokens: 4,
      completion_tokens: 6,
      total_tokens: 10,
      status: 'success',
      api_base: gemma.url,
    });
    expect(plain.spend).toBeCloseTo(4 * PRICE_IN + 6 * PRICE_OUT, 12);
    // The client did not ask for usage; the proxy did, so the stream is still booked.
    expect(streamed).toMatchObject({
      request_id: streamId,
      model: GEMMA,
      model_group: 'gemma-4-31b',
      prompt_tokens: 2,
      completion_tokens: 4,
      total_tokens: 6,
      status: 'success',
    });
    expect(streamed.spend).toBeCloseTo(2 * PRICE_IN + 4 * PRICE_OUT, 12);
    expect(failure).toMatchObject({ model: GEMMA, model_group: 'gemma-4-31b', status: 'failure', total_tokens: 0, spend: 0 });
  });

  describe('simple-shuffle', () => {
    const send = (alias: string, tag: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, () =>
          client.chat.completions.create(withFields({ model: alias, messages: user('x'), max_tokens: 1 }, { test_tag: tag })),
        ),
      );

    it('spreads traffic over the deployments of an alias', async () => {
      const tag = uniqueTag('shuffle');
      await send('llama-shuffle', tag, 40);
      const a = tagged(shuffleA, tag).length;
      const b = tagged(shuffleB, tag).length;
      expect(a + b).toBe(40);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
    });

    it('weights by rpm: 1 vs 1000 sends nearly everything to the heavy one', async () => {
      const tag = uniqueTag('weighted');
      await send('llama-weighted', tag, 40);
      const lightCount = tagged(light, tag).length;
      const heavyCount = tagged(heavy, tag).length;
      expect(lightCount + heavyCount).toBe(40);
      expect(heavyCount).toBeGreaterThanOrEqual(37);
    });
  });
});

describe('proxy: least-busy routing', () => {
  let db: TestDatabase;
  let first: MockVllm;
  let second: MockVllm;
  let app: TestProxy;
  let client: OpenAI;

  beforeAll(async () => {
    db = await createTestDatabase();
    [first, second] = await Promise.all([startMockVllm({ model: LLAMA }), startMockVllm({ model: LLAMA })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        { model_name: 'llama', litellm_params: { model: `openai/${LLAMA}`, api_base: first.url } },
        { model_name: 'llama', litellm_params: { model: `openai/${LLAMA}`, api_base: second.url } },
      ],
      settings: { router_settings: { routing_strategy: 'least-busy' } },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([first, second].map((m) => m?.close()));
    await db?.drop();
  });

  const ask = (tag: string, mock?: { ttft_ms: number }) =>
    client.chat.completions.create(withFields({ model: 'llama', messages: user('x'), max_tokens: 1 }, mock ? { test_tag: tag, mock } : { test_tag: tag }));

  it('sends new requests to the deployment with fewer in flight', async () => {
    const slowTag = uniqueTag('busy-slow');
    const slow = ask(slowTag, { ttft_ms: 1500 });
    await waitFor(() => tagged(first, slowTag).length + tagged(second, slowTag).length === 1);
    const [busy, idle] = tagged(first, slowTag).length === 1 ? [first, second] : [second, first];

    const tag = uniqueTag('busy-quick');
    for (let i = 0; i < 10; i++) await ask(tag);
    expect(tagged(busy, tag)).toHaveLength(0);
    expect(tagged(idle, tag)).toHaveLength(10);
    await slow;
  });

  it('spreads concurrent traffic over both deployments', async () => {
    const tag = uniqueTag('busy-spread');
    await Promise.all(Array.from({ length: 40 }, () => ask(tag, { ttft_ms: 30 })));
    expect(tagged(first, tag).length + tagged(second, tag).length).toBe(40);
    expect(tagged(first, tag).length).toBeGreaterThanOrEqual(15);
    expect(tagged(second, tag).length).toBeGreaterThanOrEqual(15);
  });
});
