import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockVllm } from './mock-vllm/mock-vllm.js';
import { MASTER_KEY, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope } from './helpers/sdk.js';
import { expectMoney, generateKey } from './helpers/spend.js';
import { startVllmRoutesEnv, type VllmRoutesEnv } from './helpers/vllm-routes.js';

// Issue 15 (/work/notes/VLLM-CONTRACT.md): vLLM's pooling and tokenizer routes through the proxy — rerank,
// score, pooling, classify, tokenize, detokenize. Each client path goes to its vLLM path (under /v1 =
// api_base, or at the root = api_base without /v1) with the upstream model id and the deployment's key,
// a key without the model is refused, and the request is booked in LiteLLM_SpendLogs with its call_type.

const RERANKER = 'BAAI/bge-reranker-v2-m3';
const DEPLOY_KEY = 'sk-vllm-pooling-deployment';
const PRICE_IN = 0.000001;
const PRICE_OUT = 0.000002;

const RERANK = { model: 'reranker', query: 'capital of france', documents: ['berlin is in germany', 'paris is the capital of france'] };
// Mock token counts (one per word; a rerank/score pair costs the words of both texts).
const RERANK_TOKENS = 3 + 4 + (3 + 6);
const SCORE = { model: 'reranker', text_1: 'a b', text_2: ['a b', 'c'] };
const SCORE_TOKENS = 2 + 2 + (2 + 1);

interface Case {
  path: string;
  upstream: string;
  callType: string;
  body: Record<string, unknown>;
  /** prompt_tokens booked (and billed at the input price). */
  tokens: number;
}

const CASES: Case[] = [
  { path: '/v1/rerank', upstream: '/v1/rerank', callType: 'arerank', body: RERANK, tokens: RERANK_TOKENS },
  { path: '/rerank', upstream: '/rerank', callType: 'arerank', body: RERANK, tokens: RERANK_TOKENS },
  { path: '/v2/rerank', upstream: '/v2/rerank', callType: 'arerank', body: RERANK, tokens: RERANK_TOKENS },
  { path: '/v1/score', upstream: '/v1/score', callType: 'ascore', body: SCORE, tokens: SCORE_TOKENS },
  { path: '/score', upstream: '/score', callType: 'ascore', body: SCORE, tokens: SCORE_TOKENS },
  { path: '/pooling', upstream: '/pooling', callType: 'apooling', body: { model: 'reranker', input: ['one two three', 'four'] }, tokens: 4 },
  { path: '/classify', upstream: '/classify', callType: 'aclassify', body: { model: 'reranker', input: 'a good film' }, tokens: 3 },
  { path: '/tokenize', upstream: '/tokenize', callType: 'atokenize', body: { model: 'reranker', prompt: 'hello big world' }, tokens: 0 },
  { path: '/detokenize', upstream: '/detokenize', callType: 'adetokenize', body: { model: 'reranker', tokens: [1, 2, 3] }, tokens: 0 },
];

describe('vLLM pooling and tokenizer routes through the proxy', () => {
  let env: VllmRoutesEnv;
  let vllm: MockVllm;
  let app: TestProxy;
  let bookedRows: VllmRoutesEnv['bookedRows'];

  beforeAll(async () => {
    // The deployment runs with --api-key: /v1 and /v2 refuse anything but the deployment's key.
    env = await startVllmRoutesEnv({ upstreamModel: RERANKER, alias: 'reranker', deployKey: DEPLOY_KEY, prices: { input: PRICE_IN, output: PRICE_OUT } });
    ({ vllm, app, bookedRows } = env);
  });
  afterAll(async () => {
    await env?.close();
  });

  const post = (path: string, key: string | null, body: unknown) => app.fetch(path, { method: 'POST', key, json: body });

  describe.each(CASES)('$path', (c) => {
    it(`goes to ${c.upstream} with the upstream model id, answered unchanged, booked as ${c.callType}`, async () => {
      const key = await generateKey(app, { models: ['reranker'] });
      const before = vllm.requests.length;
      const res = await post(c.path, key.key, c.body);
      expect(res.status, await res.clone().text()).toBe(200);
      const answer = (await res.json()) as Record<string, unknown>;

      const seen = vllm.requests.slice(before);
      expect(seen.map((r) => r.path)).toEqual([c.upstream]);
      const upstream = seen[0]!;
      expect(upstream.body).toEqual({ ...c.body, model: RERANKER });
      expect(upstream.headers.authorization).toBe(`Bearer ${DEPLOY_KEY}`);
      expect(JSON.stringify(upstream.headers)).not.toContain(key.key);
      expect(upstream.headers['x-request-id']).toMatch(/.+/);
      // The backend's answer passes through as vLLM wrote it (ids derive from the proxy's X-Request-Id).
      if (c.callType === 'atokenize') expect(answer).toMatchObject({ count: 4, max_model_len: 32768, token_strs: null });
      if (c.callType === 'adetokenize') expect(Object.keys(answer)).toEqual(['prompt']);

      const [row] = await bookedRows(key.token, 1);
      expect(row).toMatchObject({ call_type: c.callType, model: RERANKER, model_group: 'reranker', prompt_tokens: c.tokens, completion_tokens: 0 });
      expectMoney(row!.spend, c.tokens * PRICE_IN);
    });

    it('refuses a key without the model (401, nothing sent upstream), no key (401) and an unknown model (400)', async () => {
      const key = await generateKey(app, { models: ['other'] });
      const before = vllm.requests.length;
      const denied = await expectErrorEnvelope(await post(c.path, key.key, c.body), 401);
      expect(denied.message).toContain('key not allowed to access model');
      await expectErrorEnvelope(await post(c.path, null, c.body), 401);
      const unknown = await expectErrorEnvelope(await post(c.path, MASTER_KEY, { ...c.body, model: 'no-such-model' }), 400);
      expect(unknown.message).toContain('Invalid model name passed in model=no-such-model');
      expect(vllm.requests.length).toBe(before);
    });
  });

  it('bills rerank from usage.total_tokens when vLLM sends no prompt_tokens (older RerankUsage)', async () => {
    const key = await generateKey(app, { models: ['reranker'] });
    const res = await post('/rerank', key.key, { ...RERANK, mock: { legacy_rerank_usage: true } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: unknown }).usage).toEqual({ total_tokens: RERANK_TOKENS });
    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'arerank', prompt_tokens: RERANK_TOKENS });
    expectMoney(row!.spend, RERANK_TOKENS * PRICE_IN);
  });

  it('accepts the x-api-key header, as Anthropic-style clients send it', async () => {
    const key = await generateKey(app, { models: ['reranker'] });
    const res = await app.fetch('/rerank', { method: 'POST', key: null, headers: { 'x-api-key': key.key }, json: RERANK });
    expect(res.status).toBe(200);
    await bookedRows(key.token, 1);
  });

  it("counts toward the key's rate limit and budget like chat: 429 past rpm_limit, budget_exceeded once spent", async () => {
    const limited = await generateKey(app, { models: ['reranker'], rpm_limit: 1 });
    expect((await post('/v1/score', limited.key, SCORE)).status).toBe(200);
    await expectErrorEnvelope(await post('/tokenize', limited.key, { model: 'reranker', prompt: 'x' }), 429);

    const poor = await generateKey(app, { models: ['reranker'], max_budget: (RERANK_TOKENS * PRICE_IN) / 2 });
    expect((await post('/v1/rerank', poor.key, RERANK)).status).toBe(200);
    await bookedRows(poor.token, 1);
    expect((await expectErrorEnvelope(await post('/v1/rerank', poor.key, RERANK), 400)).type).toBe('budget_exceeded');
  });
});
