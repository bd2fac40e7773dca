import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, rejectionOf, tagged, uniqueTag, waitFor, withFields, withMock } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Per-key rpm / tpm / parallel limits (in memory, then shared through Redis by two instances), and
// key changes made on one instance reaching another through LISTEN/NOTIFY.

const MODEL_ID = 'mock/limits-model';
const REDIS_URL = 'redis://127.0.0.1:6379';
const WINDOW_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GeneratedKey {
  key: string;
  token_id: string;
}

type ApiErr = InstanceType<typeof OpenAI.APIError>;

/** Limits count per clock minute: start a burst only with `needMs` left in this one. */
async function clearOfMinuteEdge(needMs = 5000): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < needMs) await sleep(left + 100);
}

describe('key limits and changes across instances', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  /** Counters in memory. */
  let solo: TestProxy;
  /** Two instances on one database, sharing counters through Redis. */
  let a: TestProxy;
  let b: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    const models = [
      { model_name: 'a', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url } },
      { model_name: 'b', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url } },
    ];
    // One at a time: the first boot runs the migrations.
    solo = await startTestProxy({ databaseUrl: db.url, models });
    a = await startTestProxy({ databaseUrl: db.url, models, env: { REDIS_URL } });
    b = await startTestProxy({ databaseUrl: db.url, models, env: { REDIS_URL } });
  });
  afterAll(async () => {
    await Promise.all([solo?.close(), a?.close(), b?.close()]);
    await mock?.close();
    await db?.drop();
  });

  async function generate(app: TestProxy, body: Record<string, unknown>): Promise<GeneratedKey> {
    const res = await app.fetch('/key/generate', { method: 'POST', json: body });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as GeneratedKey;
  }

  const params = (model = 'a', content = 'hello', maxTokens = 2) => ({ model, messages: [{ role: 'user' as const, content }], max_tokens: maxTokens });

  const chat = (app: TestProxy, key: string, model = 'a') => app.client(key).chat.completions.create(params(model));

  /** A request that takes about a second at the mock, tagged so the test sees it arrive there. */
  function slowChat(app: TestProxy, key: string, tag: string, stream = false) {
    const body = withMock(withFields({ ...params('a', 'slow', 10), stream }, { test_tag: tag }), { inter_token_ms: 100 });
    return stream
      ? app
          .client(key)
          .chat.completions.create({ ...body, stream: true })
          .then(async (s) => {
            let text = '';
            for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
            return text;
          })
      : app
          .client(key)
          .chat.completions.create({ ...body, stream: false })
          .then((r) => r.choices[0].message.content ?? '');
  }

  async function apiError(call: Promise<unknown>): Promise<ApiErr> {
    const err = await rejectionOf(call);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    return err as ApiErr;
  }

  /** A 429 from the limiter: rate_limit_error naming the limit, with a usable retry-after. */
  async function expectLimited(call: Promise<unknown>, limit: RegExp): Promise<void> {
    const err = await apiError(call);
    expect(err.status).toBe(429);
    expect(err.type).toBe('rate_limit_error');
    expect(err.message).toMatch(limit);
    const retryAfter = Number(err.headers?.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  describe('limits on one instance (in memory)', () => {
    it('rpm_limit 2: the third request within the minute is 429 with retry-after; other keys are not counted', async () => {
      const k = await generate(solo, { rpm_limit: 2 });
      const other = await generate(solo, { rpm_limit: 2 });
      await clearOfMinuteEdge();
      await chat(solo, k.key);
      await chat(solo, k.key);
      await expectLimited(chat(solo, k.key), /rpm/);
      const res = await solo.fetch('/v1/chat/completions', { method: 'POST', key: k.key, json: params() });
      const err = await expectErrorEnvelope(res, 429);
      expect(err.type).toBe('rate_limit_error');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // A refused request does not use up the window of another key.
      await chat(solo, other.key);
      await chat(solo, other.key);
    });

    it.each([false, true])('max_parallel_requests 1: a second request while one is in flight is 429 (stream: %s); then requests pass again', async (stream) => {
      const k = await generate(solo, { max_parallel_requests: 1 });
      const tag = uniqueTag('parallel');
      const slow = slowChat(solo, k.key, tag, stream);
      await waitFor(() => tagged(mock, tag).length === 1);
      const t0 = Date.now();
      await expectLimited(chat(solo, k.key), /max_parallel_requests/);
      // The refusal came while the slow request still held the slot.
      expect(Date.now() - t0).toBeLessThan(500);
      expect(await slow).toMatch(/tok/);
      await chat(solo, k.key);
      await chat(solo, k.key);
    });

    it('tpm_limit 10: after a request using more tokens, the next is 429', async () => {
      const k = await generate(solo, { tpm_limit: 10 });
      await clearOfMinuteEdge();
      const first = await solo.client(k.key).chat.completions.create(params('a', 'one two three four five', 16));
      expect(first.usage!.total_tokens).toBeGreaterThan(10);
      await expectLimited(chat(solo, k.key), /tpm/);
    });

    it('a key with small limits does not limit another key without limits', async () => {
      const limited = await generate(solo, { rpm_limit: 1 });
      const free = await generate(solo, {});
      await clearOfMinuteEdge();
      await chat(solo, limited.key);
      await expectLimited(chat(solo, limited.key), /rpm/);
      for (let i = 0; i < 5; i++) await chat(solo, free.key);
    });
  });

  describe('limits shared through Redis by two instances', () => {
    it('rpm_limit 3: three successes in total across A and B, then 429 on either', async () => {
      const k = await generate(a, { rpm_limit: 3 });
      await clearOfMinuteEdge();
      await chat(a, k.key);
      await chat(b, k.key);
      await chat(a, k.key);
      // Counted per instance, B would have seen only one request and let this pass.
      await expectLimited(chat(b, k.key), /rpm/);
      await expectLimited(chat(a, k.key), /rpm/);
    });

    it('max_parallel_requests 1: a request in flight on A makes B answer 429', async () => {
      const k = await generate(a, { max_parallel_requests: 1 });
      const tag = uniqueTag('shared-parallel');
      const slow = slowChat(a, k.key, tag);
      await waitFor(() => tagged(mock, tag).length === 1);
      await expectLimited(chat(b, k.key), /max_parallel_requests/);
      expect(await slow).toMatch(/tok/);
      await chat(b, k.key);
      await chat(a, k.key);
    });
  });

  describe('a change on A is seen by B within a second', () => {
    const refused = (app: TestProxy, key: string, model = 'a') =>
      chat(app, key, model).then(
        () => false,
        (err: ApiErr) => err.status === 401,
      );
    const accepted = (app: TestProxy, key: string, model = 'a') =>
      chat(app, key, model).then(
        () => true,
        () => false,
      );

    /** Polls every 50 ms; answers how long it took for `cond` to hold. */
    async function msUntil(cond: () => Promise<boolean>): Promise<number> {
      const start = Date.now();
      while (!(await cond())) {
        if (Date.now() - start > 3000) throw new Error('not seen within 3 s');
        await sleep(50);
      }
      return Date.now() - start;
    }

    const post = (app: TestProxy, path: string, json: unknown) => app.fetch(path, { method: 'POST', json });

    it('block and unblock', async () => {
      const k = await generate(a, {});
      await chat(b, k.key);
      expect((await post(a, '/key/block', { key: k.key })).status).toBe(200);
      expect(await msUntil(() => refused(b, k.key))).toBeLessThan(1000);
      expect((await post(a, '/key/unblock', { key: k.key })).status).toBe(200);
      expect(await msUntil(() => accepted(b, k.key))).toBeLessThan(1000);
    });

    it('delete', async () => {
      const k = await generate(a, {});
      await chat(b, k.key);
      expect((await post(a, '/key/delete', { keys: [k.key] })).status).toBe(200);
      expect(await msUntil(() => refused(b, k.key))).toBeLessThan(1000);
    });

    it('regenerate: the old key is refused on B, the new one works there', async () => {
      const k = await generate(a, { models: ['a'] });
      await chat(b, k.key);
      const res = await post(a, '/key/regenerate', { key: k.key });
      expect(res.status).toBe(200);
      const fresh = (await res.json()) as GeneratedKey;
      expect(await msUntil(() => refused(b, k.key))).toBeLessThan(1000);
      await chat(b, fresh.key, 'a');
      expect(await refused(b, fresh.key, 'b')).toBe(true);
    });

    it('update of models', async () => {
      const k = await generate(a, { models: ['a'] });
      await chat(b, k.key, 'a');
      expect(await refused(b, k.key, 'b')).toBe(true);
      expect((await post(a, '/key/update', { key: k.key, models: ['b'] })).status).toBe(200);
      expect(await msUntil(() => refused(b, k.key, 'a'))).toBeLessThan(1000);
      await chat(b, k.key, 'b');
    });

    it('a key minted on A works on B at once, even after B refused it as unknown', async () => {
      const custom = `sk-${uniqueTag('late')}`;
      expect(await refused(b, custom)).toBe(true);
      await generate(a, { key: custom });
      expect(await msUntil(() => accepted(b, custom))).toBeLessThan(1000);
    });
  });
});
