import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, uniqueTag, waitFor, withMock } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, sleep, type SpendRow } from './helpers/spend.js';

// Money issue, items 1 and 4: one charge per served request whatever ids clients and backends
// send, and streams that end early billed for what they delivered. Spend is read in the database.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const user = (content: string) => [{ role: 'user' as const, content }];
const priced = (alias: string, api_base: string, extra: Record<string, unknown> = {}) => ({
  model_name: alias,
  litellm_params: { model: `openai/${GEMMA}`, api_base, ...extra },
  model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
});

/** A backend that answers every request with the same id, as a careless server might. */
async function fixedIdBackend(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        id: 'chatcmpl-always-the-same',
        object: 'chat.completion',
        created: 1,
        model: GEMMA,
        choices: [{ index: 0, message: { role: 'assistant', content: 'same' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

describe('money: one charge per served request, streams billed for what they delivered', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let fixed: { server: Server; url: string };
  let app: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    fixed = await fixedIdBackend();
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [priced('gemma', gemma.url), priced('fixed', fixed.url), priced('short-timeout', gemma.url, { timeout: 0.5 })],
      settings: { litellm_settings: { num_retries: 0 } },
    });
  });
  afterAll(async () => {
    await app?.close();
    await gemma?.close();
    await new Promise((r) => fixed?.server.close(r));
    await db?.drop();
  });

  const rowsOf = (tag: string) => db.query<SpendRow>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1 ORDER BY "startTime"', [tag]);
  async function bookedRows(tag: string, n: number): Promise<SpendRow[]> {
    await waitFor(async () => (await rowsOf(tag)).length >= n, 5000);
    await sleep(150);
    const rows = await rowsOf(tag);
    expect(rows).toHaveLength(n);
    return rows;
  }
  const keySpend = async (token: string) =>
    (await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [token]))[0].spend;

  describe('request identity', () => {
    it('three requests with one x-request-id are three rows and three charges', async () => {
      const tag = uniqueTag('replay');
      const key = await generateKey(app);
      const sdk = app.client(key.key);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { data, response } = await sdk.chat.completions
          .create({ model: 'gemma', messages: user('a b c'), max_tokens: 2, user: tag }, { headers: { 'x-request-id': 'same-id-every-time' } })
          .withResponse();
        expect(response.headers.get('x-request-id')).toBe('same-id-every-time');
        ids.push(data.id);
      }
      expect(new Set(ids).size).toBe(3);
      const rows = await bookedRows(tag, 3);
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
      for (const r of rows) expect(r.metadata).toMatchObject({ request_id: 'same-id-every-time' });
      await waitFor(async () => (await keySpend(key.token)) > 0, 3000);
      await sleep(150);
      expectMoney(await keySpend(key.token), 3 * costOf(PRICES, rows[0].prompt_tokens, 2));
    });

    it('a backend that reuses one response id for every answer still books each request', async () => {
      const tag = uniqueTag('fixed-id');
      const key = await generateKey(app);
      const sdk = app.client(key.key);
      const callIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { data, response } = await sdk.chat.completions.create({ model: 'fixed', messages: user('x'), user: tag }).withResponse();
        expect(data.id).toBe('chatcmpl-always-the-same');
        callIds.push(response.headers.get('x-litellm-call-id')!);
      }
      const rows = await bookedRows(tag, 2);
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(callIds));
      for (const r of rows) expect(r.metadata).toMatchObject({ response_id: 'chatcmpl-always-the-same' });
      await sleep(150);
      expectMoney(await keySpend(key.token), 2 * costOf(PRICES, 3, 2));
    });

    it('GET /spend/logs?request_id=<the id the client saw> finds the row', async () => {
      const tag = uniqueTag('lookup');
      const answer = await app.client().chat.completions.create({ model: 'gemma', messages: user('find me'), max_tokens: 1, user: tag });
      await bookedRows(tag, 1);
      const res = await app.fetch(`/spend/logs?request_id=${encodeURIComponent(answer.id)}`);
      expect(res.status).toBe(200);
      const logs = (await res.json()) as Array<{ request_id: string; user: string }>;
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ request_id: answer.id, user: tag });
    });
  });

  describe('streams that end early', () => {
    it('a client that disconnects mid-stream pays for the tokens it received', async () => {
      const tag = uniqueTag('disconnect');
      const key = await generateKey(app);
      const controller = new AbortController();
      const stream = await app
        .client(key.key)
        .chat.completions.create(withMock({ model: 'gemma', messages: user('a b c d'), max_tokens: 200, stream: true, user: tag }, { inter_token_ms: 20 }), {
          signal: controller.signal,
        });
      let received = 0;
      try {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content) received++;
          if (received === 10) controller.abort();
        }
      } catch {
        /* aborted */
      }
      const [row] = await bookedRows(tag, 1);
      expect(row.status).toBe('failure');
      expect(row.metadata).toMatchObject({ error_type: 'client_disconnected' });
      expect(row.completion_tokens).toBeGreaterThanOrEqual(10);
      expect(row.completion_tokens).toBeLessThan(200);
      expect(row.prompt_tokens).toBeGreaterThan(0);
      expectMoney(row.spend, costOf(PRICES, row.prompt_tokens, row.completion_tokens));
      await waitFor(async () => (await keySpend(key.token)) > 0, 3000);
      expectMoney(await keySpend(key.token), row.spend);
    });

    it('a backend that drops the stream midway: billed for the chunks delivered', async () => {
      const tag = uniqueTag('drop');
      const stream = await app
        .client()
        .chat.completions.create(withMock({ model: 'gemma', messages: user('a b'), max_tokens: 50, stream: true, user: tag }, { fault: 'drop' }));
      const got: ChatCompletionChunk[] = [];
      await expect(
        (async () => {
          for await (const chunk of stream) got.push(chunk);
        })(),
      ).rejects.toThrow();
      const [row] = await bookedRows(tag, 1);
      expect(row.status).toBe('failure');
      // The mock drops after two token chunks.
      expect(row.completion_tokens).toBe(2);
      expectMoney(row.spend, costOf(PRICES, row.prompt_tokens, 2));
    });

    it('a stream past its deployment timeout: billed for the chunks delivered before it', async () => {
      const tag = uniqueTag('stall');
      const stream = await app
        .client()
        .chat.completions.create(withMock({ model: 'short-timeout', messages: user('a'), max_tokens: 5, stream: true, user: tag }, { inter_token_ms: 2000 }));
      await expect(
        (async () => {
          for await (const chunk of stream) void chunk;
        })(),
      ).rejects.toThrow(/timed out|timeout/i);
      const [row] = await bookedRows(tag, 1);
      expect(row.status).toBe('failure');
      expect(row.completion_tokens).toBe(1);
      expect(row.spend).toBeGreaterThan(0);
    });

    it('shows the client only the usage it asked for', async () => {
      const chunksOf = async (stream_options?: Record<string, boolean>) => {
        const s = await app.client().chat.completions.create({
          model: 'gemma',
          messages: user('a b c'),
          max_tokens: 3,
          stream: true,
          ...(stream_options ? { stream_options } : {}),
        } as never);
        const out: ChatCompletionChunk[] = [];
        for await (const c of s as unknown as AsyncIterable<ChatCompletionChunk>) out.push(c);
        return out;
      };
      const none = await chunksOf();
      expect(none.every((c) => !('usage' in c))).toBe(true);
      expect(none.every((c) => c.choices.length > 0)).toBe(true);

      const final = await chunksOf({ include_usage: true });
      expect(final.slice(0, -1).every((c) => c.usage === null)).toBe(true);
      expect(final.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });

      const continuous = await chunksOf({ include_usage: true, continuous_usage_stats: true });
      expect(continuous.every((c) => c.usage && typeof c.usage.completion_tokens === 'number')).toBe(true);
      expect(continuous.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
    });
  });

  describe('stream must be a boolean', () => {
    for (const value of [1, 'true', 'yes', {}]) {
      it(`"stream": ${JSON.stringify(value)} is a 400 naming the field`, async () => {
        const tag = uniqueTag('stream-type');
        const err = await apiErrorOf(app.client().chat.completions.create({ model: 'gemma', messages: user('x'), stream: value, user: tag } as never));
        expect(err.status).toBe(400);
        expect((err.error as { param?: string }).param).toBe('stream');
        expect(err.message).toMatch(/"stream" must be true or false/);
        expect(gemma.requests.filter((r) => (r.body as { user?: string })?.user === tag)).toHaveLength(0);
      });
    }
  });
});
