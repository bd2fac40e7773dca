import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, expectErrorEnvelope } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16, item 7: the messages an operator or a client met that said the wrong thing now say what
// is wrong and what to do, without the proxy's internals.

const MODEL_ID = 'google/gemma-4-31b';

describe('messages that say what is wrong', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    app = await startTestProxy({ databaseUrl: db.url, models: [{ model_name: 'gemma', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url } }] });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  it('"messages": "hi" says messages must be an array, and never reaches the backend', async () => {
    mock.reset();
    const body = { model: 'gemma', messages: 'hi' } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const err = await apiErrorOf(app.client().chat.completions.create(body));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/"messages" must be an array of messages such as \[\{"role": "user", "content": "hi"\}\], got "hi"/);
    expect(err.param).toBe('messages');
    const missing = await apiErrorOf(app.client().chat.completions.create({ model: 'gemma' } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming));
    expect(missing.message).toMatch(/"messages" is required: an array of messages/);
    expect(mock.requests).toHaveLength(0);
  });

  it('the mock vLLM tells a missing field from one of the wrong type, as vLLM does', async () => {
    const post = (json: unknown) =>
      fetch(`${mock.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
    expect(((await (await post({ model: MODEL_ID, messages: 'hi' })).json()) as { error: { message: string } }).error.message).toMatch(/valid list/);
    expect(((await (await post({ model: MODEL_ID })).json()) as { error: { message: string } }).error.message).toMatch(/Field required/);
  });

  it('an unknown key is refused without a made-up "sk-...", a hash or a table name', async () => {
    const plain = await expectErrorEnvelope(await app.fetch('/v1/models', { key: 'hello' }), 401);
    expect(plain.message).toMatch(/Invalid proxy server token passed/);
    expect(plain.message).toMatch(/start with "sk-"/);
    expect(plain.message).not.toMatch(/sk-\.\.\.ello|hello|LiteLLM_|Hash/);
    const unknown = 'sk-unknown-key-0000wxyz';
    const sk = await expectErrorEnvelope(await app.fetch('/v1/models', { key: unknown }), 401);
    expect(sk.message).toMatch(/Received API Key = sk-\.\.\.wxyz/);
    expect(sk.message).toMatch(/deleted|regenerate/);
    expect(sk.message).not.toMatch(/LiteLLM_|Hash|[0-9a-f]{64}/);
    expect(sk.message).not.toContain(unknown);
  });

  it('"max_budget": "lots" says it must be a number; an unknown model is refused with the known ones', async () => {
    const budget = await expectErrorEnvelope(await app.fetch('/key/generate', { method: 'POST', json: { max_budget: 'lots' } }), 400);
    expect(budget.message).toMatch(/^max_budget must be a number \(dollars\), got "lots"/);
    expect(budget.message).not.toMatch(/less than/);
    const model = await expectErrorEnvelope(await app.fetch('/key/generate', { method: 'POST', json: { models: ['gemma-typo'] } }), 400);
    expect(model.message).toMatch(/gemma-typo/);
    expect(model.message).toMatch(/gemma/);
    expect(model.param).toBe('models');
  });
});
