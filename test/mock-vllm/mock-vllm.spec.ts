import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import OpenAI from 'openai';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm.js';

const MODEL = 'google/gemma-4-31b';

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('mock vLLM', () => {
  let mock: MockVllm;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockVllm({ model: MODEL });
    // No retries: the SDK retries 5xx/429 by default, which would use up the faults under test.
    client = new OpenAI({ baseURL: mock.url, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await mock.close();
  });
  afterEach(() => {
    mock.reset();
  });

  const post = (path: string, body: unknown, init: RequestInit = {}): Promise<Response> =>
    fetch(`${mock.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });

  it('lists the served model in vLLM shape and answers /health and /version', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([MODEL]);

    const raw: unknown = await (await fetch(`${mock.url}/models`)).json();
    expect(raw).toMatchObject({
      object: 'list',
      data: [{ id: MODEL, object: 'model', owned_by: 'vllm', root: MODEL, parent: null }],
    });

    const health = await fetch(`${mock.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    expect(await (await fetch(`${mock.baseUrl}/version`)).json()).toHaveProperty('version');
    expect(mock.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/models', '/health', '/version']);
  });

  it('answers non-streaming chat with deterministic usage and content', async () => {
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there   world' },
      ],
      max_tokens: 4,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe(MODEL);
    expect(r.choices[0]?.message).toMatchObject({ role: 'assistant', content: TOKEN.repeat(4) });
    expect(r.choices[0]?.finish_reason).toBe('length');
    expect(r.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });

    const d = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: '' }] });
    expect(d.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 16, total_tokens: 17 });
    expect(d.choices[0]?.finish_reason).toBe('stop');

    const body = mock.requests[0]?.body;
    expect(body).toMatchObject({ model: MODEL, max_tokens: 4 });
  });

  it('streams chat without a usage chunk unless include_usage is set', async () => {
    const chunks = [];
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'one two' }],
      max_tokens: 3,
      stream: true,
    });
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(1 + 3 + 1);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TOKEN.repeat(3));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('streams chat with a final usage chunk when include_usage is true', async () => {
    const chunks = [];
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'one two' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(1 + 3 + 1 + 1);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams /v1/completions as text_completion chunks and ends with [DONE]', async () => {
    const res = await post('/v1/completions', { model: MODEL, prompt: 'a b c', max_tokens: 2, stream: true });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as { object: string; choices: { text: string }[] });
    expect(parsed.every((p) => p.object === 'text_completion')).toBe(true);
    expect(parsed.map((p) => p.choices[0]?.text).join('')).toBe(TOKEN.repeat(2));
  });

  it('answers embeddings for a string and an array, base64 (SDK default) and float alike', async () => {
    const one = await client.embeddings.create({ model: MODEL, input: 'hello world' });
    expect(one.data).toHaveLength(1);
    const v = one.data[0]?.embedding ?? [];
    expect(v).toHaveLength(8);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(one.usage).toMatchObject({ prompt_tokens: 2, total_tokens: 2 });

    const many = await client.embeddings.create({ model: MODEL, input: ['hello world', 'x'], encoding_format: 'float' });
    expect(many.data.map((d) => d.index)).toEqual([0, 1]);
    // Same text, same vector (float32 precision on the base64 path).
    many.data[0]?.embedding.forEach((x, i) => expect(x).toBeCloseTo(v[i] ?? NaN, 6));
    expect(many.usage.prompt_tokens).toBe(3);
  });

  it('answers an unknown model with 404 in vLLM error shape', async () => {
    const err: unknown = await client.chat.completions.create({ model: 'no/such-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('The model `no/such-model` does not exist.');

    const res = await post('/v1/chat/completions', { model: 'no/such-model', messages: [] });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'The model `no/such-model` does not exist.', type: 'NotFoundError', param: null, code: 404 },
    });
  });

  it('rejects invalid JSON with 400', async () => {
    const res = await post('/v1/chat/completions', '{not json');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number } };
    expect(body.error.code).toBe(400);
  });

  it("applies fault '500' to exactly the next request, then is healthy", async () => {
    mock.setFault('500', 1);
    const err: unknown = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(500);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).message).toContain('mock internal error');

    const ok = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]?.message.content).toBe(TOKEN.repeat(16));
  });

  it('takes faults from the /mock/fault route and from the request body', async () => {
    expect((await post('/mock/fault', { fault: '429', count: 1 })).status).toBe(200);
    expect((await post('/v1/completions', { prompt: 'x' })).status).toBe(429);
    expect((await post('/v1/completions', { prompt: 'x' })).status).toBe(200);
    expect((await post('/v1/completions', { prompt: 'x', mock: { fault: '400' } })).status).toBe(400);
  });

  it("makes the SDK stream throw on fault 'drop' after two tokens", async () => {
    mock.setFault('drop', 1);
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 10,
        stream: true,
      });
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    };
    await expect(consume()).rejects.toThrow();
    expect(seen.join('')).toBe(TOKEN.repeat(2));
    expect(mock.aborts).toEqual([]);
  });

  it('records a request whose client went away in aborts', async () => {
    const ac = new AbortController();
    // Headers come at once (as in vLLM), the first token only after the TTFT.
    const res = await post(
      '/v1/chat/completions',
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, mock: { ttft_ms: 5000 } },
      { signal: ac.signal },
    );
    expect(res.status).toBe(200);
    ac.abort();
    await waitFor(() => mock.aborts.length === 1);
    expect(mock.aborts[0]?.path).toBe('/v1/chat/completions');
  });

  it('applies latency: ttft + n * inter-token for a non-streaming answer', async () => {
    const t0 = performance.now();
    await post('/v1/chat/completions', {
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      mock: { ttft_ms: 40, inter_token_ms: 10 },
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(65);
  });

  it('requires the API key on /v1 only, and close() ends hung requests', async () => {
    const secured = await startMockVllm({ model: MODEL, apiKey: 'secret' });
    expect((await fetch(`${secured.url}/models`)).status).toBe(401);
    expect((await fetch(`${secured.url}/models`, { headers: { authorization: 'Bearer secret' } })).status).toBe(200);
    expect((await fetch(`${secured.baseUrl}/health`)).status).toBe(200);

    secured.setFault('hang');
    const hung = fetch(`${secured.url}/embeddings`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret' },
      body: JSON.stringify({ input: 'x' }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => secured.requests.some((r) => r.path === '/v1/embeddings'));
    const t0 = performance.now();
    await secured.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await hung).toBe('failed');
    // Sockets the mock closes itself are not client aborts.
    expect(secured.aborts).toEqual([]);
  });
  it("refuses a prompt over maxModelLen with vLLM's 400 (prompt alone, or prompt + max_tokens)", async () => {
    const small = await startMockVllm({ model: MODEL, maxModelLen: 10 });
    try {
      const ask = (words: number, max?: number) =>
        fetch(`${small.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: Array(words).fill('w').join(' ') }], max_tokens: max }),
        });
      const over = await ask(12);
      expect(over.status).toBe(400);
      expect(await over.json()).toEqual({
        error: {
          message:
            "This model's maximum context length is 10 tokens. However, your request has 12 input tokens. Please reduce the length of the input messages. (parameter=input_tokens, value=12)",
          type: 'BadRequestError',
          param: 'input_tokens',
          code: 400,
        },
      });
      const total = (await (await ask(4, 8)).json()) as { error: { message: string; param: string } };
      expect(total.error.param).toBe('max_tokens');
      expect(total.error.message).toContain("'max_tokens' or 'max_completion_tokens' is too large: 8.");
      expect((await ask(4, 2)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('mock vLLM load model', () => {
  it('batches at most max_num_seqs, queues the rest, and reports both on /metrics as vLLM names them', async () => {
    const mock = await startMockVllm({ model: MODEL, ttftMs: 300, load: { maxNumSeqs: 1 } });
    try {
      const scrape = async () => (await fetch(`${mock.baseUrl}/metrics`)).text();
      const ask = () =>
        fetch(`${mock.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
        });
      const t0 = Date.now();
      const both = Promise.all([ask(), ask()]);
      await new Promise((r) => setTimeout(r, 100));
      const during = await scrape();
      expect(during).toContain(`vllm:num_requests_running{engine="0",model_name="${MODEL}"} 1.0`);
      expect(during).toContain(`vllm:num_requests_waiting{engine="0",model_name="${MODEL}"} 1.0`);
      expect(during).toContain(`vllm:kv_cache_usage_perc{engine="0",model_name="${MODEL}"} 1.0`);
      expect((await both).map((r) => r.status)).toEqual([200, 200]);
      // The second waited for the first: served one after the other.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550);

      mock.setReportedLoad({ waiting: 40 });
      expect(await scrape()).toContain(`vllm:num_requests_waiting{engine="0",model_name="${MODEL}"} 40.0`);
      mock.setHealth(503);
      expect((await fetch(`${mock.baseUrl}/health`)).status).toBe(503);
      mock.reset();
      expect((await fetch(`${mock.baseUrl}/health`)).status).toBe(200);
      expect(await scrape()).toContain(`vllm:num_requests_waiting{engine="0",model_name="${MODEL}"} 0.0`);
    } finally {
      await mock.close();
    }
  });
});
