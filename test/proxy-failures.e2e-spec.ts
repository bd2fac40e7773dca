import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, closedPort, expectErrorEnvelope, tagged, uniqueTag, waitFor, withFields, withMock } from './helpers/sdk.js';

// What an SDK user sees when something goes wrong: bad requests, bad keys, broken, slow or
// unreachable backends, retries, cooldown, client disconnects and streams that die midway.
// Every alias here has mocks of its own, so router state (cooldowns) never leaks between tests.

const MODEL = 'google/gemma-4-31b';
const COOLDOWN_S = 30;

const user = (content: string) => [{ role: 'user' as const, content }];
const chat = (alias: string, tag: string, maxTokens = 2): ChatCompletionCreateParamsNonStreaming =>
  withFields({ model: alias, messages: user('hello'), max_tokens: maxTokens }, { test_tag: tag });
const streamOf = (alias: string, tag: string, maxTokens: number): ChatCompletionCreateParamsStreaming =>
  withFields({ model: alias, messages: user('hello'), max_tokens: maxTokens, stream: true as const }, { test_tag: tag });

/** A deployment; `rpm` weights simple-shuffle so the first pick is (nearly) certain. */
const deployment = (alias: string, apiBase: string, extra: Record<string, unknown> = {}): TestModel => ({
  model_name: alias,
  litellm_params: { model: `openai/${MODEL}`, api_base: apiBase, ...extra },
});

describe('proxy: failures as the SDK sees them', () => {
  let db: TestDatabase;
  let app: TestProxy;
  let client: OpenAI;
  const mocks: Record<string, MockVllm> = {};
  const names = [
    'main',
    'retryBad',
    'retryGood',
    'brokenA',
    'brokenB',
    'lonely',
    'coolBad',
    'coolGood',
    'refusedGood',
    'resetBad',
    'resetGood',
    'slow',
    'slowStream',
    'disconnect',
    'dropWhole',
    'dropRaw',
    'dropSdk',
  ] as const;
  type Name = (typeof names)[number];
  const mock = (name: Name): MockVllm => mocks[name];

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all(names.map(async (n) => (mocks[n] = await startMockVllm({ model: MODEL }))));
    const [dead1, dead2, dead3] = await Promise.all([closedPort(), closedPort(), closedPort()]);
    const heavy = { rpm: 1_000_000 };
    const light = { rpm: 1 };
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        deployment('gemma', mock('main').url),
        { model_name: 'wrong-id', litellm_params: { model: 'openai/not/served', api_base: mock('main').url } },
        deployment('retry', mock('retryBad').url, heavy),
        deployment('retry', mock('retryGood').url, light),
        deployment('broken', mock('brokenA').url),
        deployment('broken', mock('brokenB').url),
        deployment('lonely', mock('lonely').url),
        deployment('cool', mock('coolBad').url),
        deployment('cool', mock('coolGood').url),
        deployment('refused', `http://127.0.0.1:${dead1}/v1`, heavy),
        deployment('refused', mock('refusedGood').url, light),
        deployment('refused-all', `http://127.0.0.1:${dead2}/v1`),
        deployment('refused-all', `http://127.0.0.1:${dead3}/v1`),
        deployment('reset', mock('resetBad').url, heavy),
        deployment('reset', mock('resetGood').url, light),
        deployment('slow', mock('slow').url, { timeout: 1 }),
        deployment('slow-stream', mock('slowStream').url, { timeout: 1 }),
        deployment('disconnect', mock('disconnect').url),
        // A dropped answer counts as a failure (cooldown), so each drop test has its own alias.
        deployment('drop-whole', mock('dropWhole').url),
        deployment('drop-raw', mock('dropRaw').url),
        deployment('drop-sdk', mock('dropSdk').url),
      ],
      settings: {
        router_settings: { routing_strategy: 'simple-shuffle', allowed_fails: 1, cooldown_time: COOLDOWN_S },
        litellm_settings: { num_retries: 2, request_timeout: 600 },
      },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    await db?.drop();
  });

  describe('requests the proxy refuses', () => {
    it('unknown alias: 400 naming the model', async () => {
      const err = await apiErrorOf(client.chat.completions.create({ model: 'foo', messages: user('hi') }));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toContain('Invalid model name passed in model=foo');

      const error = await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'foo', messages: user('hi') } }), 400);
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
      expect(error.message).toContain('Invalid model name passed in model=foo');
      expect(mock('main').requests.filter((r) => (r.body as { model?: string } | null)?.model === 'foo')).toEqual([]);
    });

    it('malformed JSON: 400 in the envelope', async () => {
      for (const path of ['/v1/chat/completions', '/completions']) {
        const res = await app.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gemma", "messages": [' });
        const error = await expectErrorEnvelope(res, 400);
        expect(error.type).toBe('invalid_request_error');
        expect(error.message).toMatch(/JSON/);
      }
      await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', json: ['not', 'an', 'object'] }), 400);
    });

    it('missing model: 400 in the envelope', async () => {
      const error = await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', json: { messages: user('hi') } }), 400);
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
      // Says what is missing, rather than looking up a model called "undefined".
      expect(error.message).toContain('"model" is required');
      const notString = await expectErrorEnvelope(await app.fetch('/v1/embeddings', { method: 'POST', json: { model: 42, input: 'x' } }), 400);
      expect(notString.message).toContain('"model" is required');
    });

    it('no key: 401; wrong key: 401 — nothing reaches vLLM', async () => {
      const tag = uniqueTag('nokey');
      const none = await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', key: null, json: chat('gemma', tag) }), 401);
      expect(none.type).toBe('authentication_error');

      const wrong = await apiErrorOf(app.client('sk-wrong-key-0000').chat.completions.create(chat('gemma', tag)));
      expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(wrong.error).toMatchObject({ type: 'authentication_error', code: '401' });
      await expectErrorEnvelope(await app.fetch('/v1/chat/completions', { method: 'POST', key: 'sk-wrong-key-0000', json: chat('gemma', tag) }), 401);
      await expectErrorEnvelope(await app.fetch('/embeddings', { method: 'POST', key: 'sk-wrong-key-0000', json: { model: 'gemma', input: 'x' } }), 401);
      expect(tagged(mock('main'), tag)).toEqual([]);
    });
  });

  describe('backend errors', () => {
    it('a backend 400 comes back with the same status and message', async () => {
      const err = await apiErrorOf(client.chat.completions.create(withMock({ model: 'gemma', messages: user('hi') }, { fault: '400' })));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.error).toMatchObject({ message: 'mock bad request', code: '400' });

      const error = await expectErrorEnvelope(
        await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'gemma', messages: user('hi'), mock: { fault: '400' } } }),
        400,
      );
      expect(error.message).toBe('mock bad request');
    });

    it("a backend 404 (id the backend doesn't serve) passes through with vLLM's message", async () => {
      const err = await apiErrorOf(client.chat.completions.create({ model: 'wrong-id', messages: user('hi') }));
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err.error).toMatchObject({ message: 'The model `not/served` does not exist.', code: '404' });
    });

    it('a backend 500 is retried on the other deployment: the client sees a success', async () => {
      mock('retryBad').setFault('500');
      const tag = uniqueTag('retry');
      const res = await client.chat.completions.create(chat('retry', tag, 3));
      expect(res.choices[0].message.content).toBe(TOKEN.repeat(3));
      expect(tagged(mock('retryBad'), tag)).toHaveLength(1);
      expect(tagged(mock('retryGood'), tag)).toHaveLength(1);
    });

    it('a backend 500 on every try: 502 with the backend message, one failure spend row', async () => {
      mock('brokenA').setFault('500');
      mock('brokenB').setFault('500');
      const tag = uniqueTag('broken');
      const err = await apiErrorOf(client.chat.completions.create({ ...chat('broken', tag), user: tag }));
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(502);
      expect(err.error).toMatchObject({ code: '502' });
      expect(err.message).toContain('mock internal error');
      // Both deployments were tried, 1 + num_retries tries in all (allowed_fails: 1 lets each fail once
      // before it cools, as in LiteLLM, so the third try still reaches one of them).
      const tries = [tagged(mock('brokenA'), tag).length, tagged(mock('brokenB'), tag).length];
      expect(Math.min(...tries)).toBeGreaterThanOrEqual(1);
      expect(tries[0] + tries[1]).toBe(3);

      type Row = { status: string; model_group: string; total_tokens: number; spend: number };
      const rowsOf = () => db.query<Row>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag]);
      await waitFor(async () => (await rowsOf()).length > 0);
      // A few flushes later, still one row: the retries were not booked as requests of their own.
      await new Promise((r) => setTimeout(r, 150));
      const rows = await rowsOf();
      expect(rows).toEqual([expect.objectContaining({ status: 'failure', model_group: 'broken', total_tokens: 0, spend: 0 })]);
    });

    it('connection refused on one deployment: retried on the healthy one', async () => {
      const tag = uniqueTag('refused');
      for (let i = 0; i < 3; i++) {
        const res = await client.chat.completions.create(chat('refused', tag));
        expect(res.choices[0].message.content).toBe(TOKEN.repeat(2));
      }
      expect(tagged(mock('refusedGood'), tag)).toHaveLength(3);
    });

    it('connection refused everywhere: 502', async () => {
      const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'refused-all', messages: user('hi') } });
      const error = await expectErrorEnvelope(res, 502);
      expect(error.message).toMatch(/could not reach a backend for model=refused-all .*ECONNREFUSED/);
    });

    it('connection reset before an answer: retried on the healthy one', async () => {
      mock('resetBad').setFault('reset');
      const tag = uniqueTag('reset');
      const res = await client.chat.completions.create(chat('reset', tag));
      expect(res.choices[0].message.content).toBe(TOKEN.repeat(2));
      expect(tagged(mock('resetBad'), tag)).toHaveLength(1);
      expect(tagged(mock('resetGood'), tag)).toHaveLength(1);
    });

    it('a backend that breaks off a non-streamed answer: 502', async () => {
      const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'drop-whole', messages: user('hi'), mock: { fault: 'drop' } } });
      const error = await expectErrorEnvelope(res, 502);
      expect(error.message).toContain('model=drop-whole');
    });
  });

  describe('timeouts', () => {
    it('a deployment past its `timeout` answers 408 in about that time', async () => {
      const tag = uniqueTag('slow');
      const started = Date.now();
      const err = await apiErrorOf(client.chat.completions.create(withMock(chat('slow', tag), { fault: 'hang' })));
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(408);
      expect(err.error).toMatchObject({ type: 'timeout', code: '408' });
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(2000);
      // The proxy hung up on the backend rather than leaving the request running.
      await waitFor(() => mock('slow').aborts.length > 0, 1000);
    });

    it('a stream that stalls past the timeout ends with a 408 error event', async () => {
      const started = Date.now();
      const res = await app.fetch('/v1/chat/completions', {
        method: 'POST',
        json: { ...streamOf('slow-stream', uniqueTag('stall'), 3), mock: { inter_token_ms: 5000 } },
      });
      const text = await res.text();
      expect(Date.now() - started).toBeLessThan(2500);
      expect(text).toContain(JSON.stringify(TOKEN));
      expect(text).not.toContain('[DONE]');
      const last =
        text
          .split('\n\n')
          .filter((e) => e !== '')
          .at(-1) ?? '';
      expect(JSON.parse(last.slice('data: '.length))).toMatchObject({ error: { type: 'timeout', code: '408' } });
    });
  });

  describe('cooldown', () => {
    it('after a failure, all traffic goes to the healthy deployment', async () => {
      mock('coolBad').setFault('500');
      const tag = uniqueTag('cool');
      for (let i = 0; i < 20; i++) {
        const res = await client.chat.completions.create(chat('cool', tag));
        expect(res.choices[0].message.content).toBe(TOKEN.repeat(2));
      }
      // Picked at random, the failing one is tried twice (chance of fewer: ~2^-18): allowed_fails: 1 means
      // it cools once its failures exceed 1 (LiteLLM's rule), then rests for cooldown_time.
      expect(tagged(mock('coolBad'), tag)).toHaveLength(2);
      expect(tagged(mock('coolGood'), tag)).toHaveLength(20);
    });

    it('the only deployment of an alias is never cooled, even with allowed_fails: 1: each request gets its own 502', async () => {
      mock('lonely').setFault('500');
      const tag = uniqueTag('lonely');
      for (let i = 0; i < 3; i++) {
        const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: chat('lonely', tag) });
        expect(res.headers.get('retry-after')).toBeNull();
        const error = await expectErrorEnvelope(res, 502);
        expect(error.message).toContain('Backend for model=lonely failed (500): mock internal error');
      }
      // 1 + num_retries tries per request, none refused without calling the backend.
      expect(tagged(mock('lonely'), tag)).toHaveLength(9);
      mock('lonely').setFault(null);
      expect((await client.chat.completions.create(chat('lonely', tag))).choices[0].message.content).toBe(TOKEN.repeat(2));
    });
  });

  describe('streams', () => {
    it('a client that disconnects aborts the upstream request', async () => {
      const tag = uniqueTag('disconnect');
      const controller = new AbortController();
      const stream = await client.chat.completions.create(withMock(streamOf('disconnect', tag, 20), { inter_token_ms: 200 }), { signal: controller.signal });
      let abortedAt = 0;
      let content = '';
      // The SDK ends the iteration quietly once its signal is aborted.
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta.content ?? '';
        if (content !== '' && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
      expect(content).toBe(TOKEN);
      await waitFor(() => mock('disconnect').aborts.length > 0, 1000, 10);
      expect(mock('disconnect').aborts[0].at - abortedAt).toBeLessThan(1000);
      expect(mock('disconnect').aborts[0].path).toBe('/v1/chat/completions');
    });

    it('a backend that dies mid-stream ends the SSE with an error event, never [DONE]', async () => {
      const res = await app.fetch('/v1/chat/completions', {
        method: 'POST',
        json: { ...streamOf('drop-raw', uniqueTag('drop'), 10), mock: { fault: 'drop' } },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain('[DONE]');
      const events = text.split('\n\n').filter((e) => e !== '');
      // The tokens sent before the backend died arrive, then one error event closes the stream.
      expect(events.filter((e) => e.includes(JSON.stringify(TOKEN))).length).toBeGreaterThan(0);
      const last = events.at(-1) ?? '';
      expect(last.startsWith('data: ')).toBe(true);
      const body = JSON.parse(last.slice('data: '.length)) as { error: { message: string; type: string; code: string } };
      expect(body.error).toMatchObject({ code: '502', type: 'upstream_error' });
      expect(body.error.message).toContain('model=drop-raw');
    });

    it('the SDK stream throws when the backend dies mid-stream', async () => {
      const stream = await client.chat.completions.create(withMock(streamOf('drop-sdk', uniqueTag('drop-sdk'), 10), { fault: 'drop' }));
      const chunks: ChatCompletionChunk[] = [];
      const err = await apiErrorOf(
        (async () => {
          for await (const chunk of stream) chunks.push(chunk);
        })(),
      );
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.message).toContain('mid-stream');
      expect(chunks.length).toBeGreaterThan(0);
    });
  });
});
