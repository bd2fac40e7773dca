import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { keyRows, parseSse } from './helpers/routes.js';
import { expectErrorEnvelope, tagged, uniqueTag } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey } from './helpers/spend.js';

// Issue 15, the Anthropic Messages API as vLLM serves it (docs: /work/notes/VLLM-CONTRACT.md):
// POST /v1/messages with the key in x-api-key (what Anthropic clients send) or Authorization,
// proxied with the upstream model id, answered as vLLM answered (JSON or `event:` SSE, unbuffered),
// billed as anthropic_messages from usage.input_tokens/output_tokens (stream: message_start's input
// tokens and the last message_delta's output tokens).

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const ANTHROPIC_VERSION = { 'anthropic-version': '2023-06-01' };

describe('vLLM Anthropic Messages API through the proxy', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    [db, gemma] = await Promise.all([createTestDatabase(), startMockVllm({ model: GEMMA })]);
    const gemmaModel = { id: 'gemma-messages', input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output };
    const models = [
      { model_name: 'gemma', litellm_params: { model: `hosted_vllm/${GEMMA}`, api_base: gemma.url }, model_info: gemmaModel },
      { model_name: 'other', litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url } },
    ];
    app = await startTestProxy({ databaseUrl: db.url, models, settings: { litellm_settings: { num_retries: 0 } } });
  });
  afterAll(async () => {
    await app?.close();
    await gemma?.close();
    await db?.drop();
  });

  /** POST /v1/messages with the key in x-api-key, as the Anthropic SDK sends it. */
  const messages = (key: string | null, body: Record<string, unknown>): Promise<Response> =>
    app.fetch('/v1/messages', {
      method: 'POST',
      key: null,
      json: body,
      headers: key === null ? ANTHROPIC_VERSION : { ...ANTHROPIC_VERSION, 'x-api-key': key },
    });

  it('answers with vLLM Anthropic message, proxied with the upstream model id, billed as anthropic_messages', async () => {
    const tag = uniqueTag('msg');
    const key = await generateKey(app);
    const res = await messages(key.key, { model: 'gemma', max_tokens: 100, messages: [{ role: 'user', content: 'hello there world' }], test_tag: tag });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-/) as string,
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: TOKEN.repeat(16) }],
      model: GEMMA,
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, output_tokens: 16 },
    });

    const [seen] = tagged(gemma, tag);
    expect(seen).toMatchObject({ method: 'POST', path: '/v1/messages', body: { model: GEMMA, max_tokens: 100 } });
    expect(seen?.headers['x-api-key']).toBeUndefined();
    expect(String(seen?.headers.authorization ?? '')).not.toContain(key.key);
    expect(seen?.headers['x-request-id']).toMatch(/.+/);

    const [row] = await keyRows(db, key.token, 1);
    expect(row).toMatchObject({
      call_type: 'anthropic_messages',
      model: GEMMA,
      model_group: 'gemma',
      model_id: 'gemma-messages',
      prompt_tokens: 3,
      completion_tokens: 16,
    });
    expectMoney(row?.spend, costOf(PRICES, 3, 16));
  });

  it('takes the key in Authorization too', async () => {
    const res = await app.fetch('/v1/messages', {
      method: 'POST',
      key: MASTER_KEY,
      headers: ANTHROPIC_VERSION,
      json: { model: 'gemma', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: 'message', stop_reason: 'max_tokens', usage: { input_tokens: 1, output_tokens: 2 } });
  });

  it('streams the Anthropic events unbuffered and bills message_start input + message_delta output tokens', async () => {
    const tag = uniqueTag('msg-stream');
    const key = await generateKey(app);
    const started = Date.now();
    const res = await messages(key.key, {
      model: 'gemma',
      max_tokens: 10,
      stream: true,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'a b c' }] }],
      test_tag: tag,
      mock: { inter_token_ms: 100 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    let firstDeltaAt: number | undefined;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (firstDeltaAt === undefined && text.includes('event: content_block_delta')) firstDeltaAt = Date.now() - started;
    }
    const end = Date.now() - started;
    // 9 × 100 ms between the first and the last token: the first must arrive long before the end.
    expect(end).toBeGreaterThanOrEqual(850);
    expect(firstDeltaAt).toBeLessThan(end - 500);

    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(10).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]?.data.message).toMatchObject({ model: GEMMA, usage: { input_tokens: 5, output_tokens: 0 } });
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 10 } });
    expect(tagged(gemma, tag)[0]?.body).toMatchObject({ model: GEMMA, stream: true });

    const [row] = await keyRows(db, key.token, 1);
    expect(row).toMatchObject({ call_type: 'anthropic_messages', model: GEMMA, prompt_tokens: 5, completion_tokens: 10 });
    expectMoney(row?.spend, costOf(PRICES, 5, 10));
  });

  it('refuses with 401 a key without the model or no key, 400 an unknown model or messages that are not a list', async () => {
    const narrow = await generateKey(app, { models: ['other'] });
    const chat = await app.fetch('/v1/chat/completions', {
      method: 'POST',
      key: narrow.key,
      json: { model: 'gemma', messages: [{ role: 'user', content: 'x' }] },
    });
    const chatError = await expectErrorEnvelope(chat, 401);
    const refused = await messages(narrow.key, { model: 'gemma', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect((await expectErrorEnvelope(refused, 401)).message).toBe(chatError.message);
    await expectErrorEnvelope(await messages(null, { model: 'gemma', max_tokens: 5, messages: [] }), 401);
    await expectErrorEnvelope(await messages('sk-not-a-key', { model: 'gemma', max_tokens: 5, messages: [] }), 401);

    const unknown = await expectErrorEnvelope(await messages(MASTER_KEY, { model: 'nope', max_tokens: 5, messages: [] }), 400);
    expect(unknown.message).toContain('Invalid model name passed in model=nope');
    expect((await messages(MASTER_KEY, { model: 'gemma', max_tokens: 5, messages: 'hi' })).status).toBe(400);
  });
});
