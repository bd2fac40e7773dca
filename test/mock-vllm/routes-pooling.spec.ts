import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm.js';
import type { RecordedUpload } from './routes-audio.js';
import { slowUpload, wav } from '../helpers/audio.js';

// The mock's pooling, tokenizer and audio routes over HTTP, in vLLM's shapes (see routes-*.ts for the sources).

const MODEL = 'BAAI/bge-reranker-v2-m3';
const KEY = 'mock-key';

/** A one-hop HTTP forwarder to `target` that pipes the request body through, or buffers it whole first. */
async function forwarder(target: string, buffer: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const up = http.request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    if (!buffer) {
      req.pipe(up);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => up.end(Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('mock vLLM: pooling, tokenizer and audio routes', () => {
  let mock: MockVllm;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockVllm({ model: MODEL, apiKey: KEY, maxModelLen: 8192 });
    client = new OpenAI({ baseURL: mock.url, apiKey: KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await mock.close();
  });
  afterEach(() => {
    mock.reset();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<Response> =>
    fetch(`${mock.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  describe('rerank', () => {
    const body = { model: MODEL, query: 'capital of france', documents: ['berlin is in germany', 'paris is the capital of france', 'capital letters are big'] };

    it.each(['/rerank', '/v1/rerank', '/v2/rerank'])('%s ranks documents by relevance with RerankUsage', async (path) => {
      const res = await post(path, body, { authorization: `Bearer ${KEY}`, 'x-request-id': 'abc' });
      expect(res.status).toBe(200);
      const r = (await res.json()) as {
        id: string;
        model: string;
        usage: unknown;
        results: { index: number; relevance_score: number; document: { text: string } }[];
      };
      expect(r.id).toBe('rerank-abc');
      expect(r.model).toBe(MODEL);
      // 3 query words per pair + 4 + 6 + 4 document words.
      expect(r.usage).toEqual({ prompt_tokens: 23, total_tokens: 23 });
      expect(r.results.map((x) => x.index)).toEqual([1, 2, 0]);
      expect(r.results[0]).toEqual({ index: 1, document: { text: body.documents[1] }, relevance_score: 0.5 });
      expect(mock.requests.map((q) => q.path)).toEqual([path]);
    });

    it('keeps top_n results and can answer the older total_tokens-only usage', async () => {
      const r = (await (await post('/rerank', { ...body, top_n: 1, mock: { legacy_rerank_usage: true } })).json()) as { usage: unknown; results: unknown[] };
      expect(r.results).toHaveLength(1);
      expect(r.usage).toEqual({ total_tokens: 23 });
    });

    it('guards /v1 and /v2 with the API key but not the root path, as vLLM does', async () => {
      for (const path of ['/v1/rerank', '/v2/rerank']) {
        const res = await post(path, body, {});
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: 'Unauthorized' });
      }
      expect((await post('/rerank', body, {})).status).toBe(200);
    });

    it('refuses another model (404), a body not sent as JSON and a missing query (400) in vLLM error shape', async () => {
      const wrong = await post('/rerank', { ...body, model: 'other' });
      expect(wrong.status).toBe(404);
      expect(await wrong.json()).toEqual({ error: { message: 'The model `other` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
      const form = await fetch(`${mock.baseUrl}/rerank`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
      expect(form.status).toBe(400);
      expect(((await form.json()) as { error: { message: string } }).error.message).toBe("Unsupported Media Type: Only 'application/json' is allowed");
      const missing = await post('/rerank', { documents: ['a'] });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('Field required: query');
    });
  });

  it.each(['/score', '/v1/score'])('%s scores text_1 against each text_2 with UsageInfo', async (path) => {
    const res = await post(path, { model: MODEL, text_1: 'a b', text_2: ['a b', 'c'] }, { authorization: `Bearer ${KEY}`, 'x-request-id': 'r1' });
    expect(res.status).toBe(200);
    const r = (await res.json()) as Record<string, unknown>;
    expect(r).toMatchObject({
      id: 'score-r1',
      object: 'list',
      model: MODEL,
      data: [
        { index: 0, object: 'score', score: 1 },
        { index: 1, object: 'score', score: 0 },
      ],
      usage: { prompt_tokens: 7, total_tokens: 7, completion_tokens: 0, prompt_tokens_details: null },
    });
    expect(typeof r.created).toBe('number');
  });

  it('refuses score lists that do not pair up, as validate_score_input does', async () => {
    const res = await post('/score', { text_1: ['a', 'b'], text_2: ['a', 'b', 'c'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Input lengths must be either 1:1, 1:N or N:N');
    const empty = await post('/rerank', { query: 'a', documents: [] });
    expect(((await empty.json()) as { error: { message: string } }).error.message).toBe('At least one text_pair element must be given');
  });

  it('serves /pooling and /classify at the root only', async () => {
    const pool = (await (await post('/pooling', { model: MODEL, input: ['one two', 'three'] })).json()) as Record<string, unknown>;
    expect(pool).toMatchObject({ object: 'list', model: MODEL, usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(pool.id).toMatch(/^pool-/);
    expect((pool.data as { index: number; object: string; data: number[] }[]).map((d) => [d.index, d.object, d.data.length])).toEqual([
      [0, 'pooling', 8],
      [1, 'pooling', 8],
    ]);

    const cls = (await (await post('/classify', { model: MODEL, input: 'good film' })).json()) as Record<string, unknown>;
    expect(cls).toMatchObject({ object: 'list', model: MODEL, usage: { prompt_tokens: 2, total_tokens: 2 } });
    expect(cls.id).toMatch(/^classify-/);
    const [d] = cls.data as { index: number; label: string; probs: number[]; num_classes: number }[];
    expect(d?.num_classes).toBe(2);
    expect((d?.probs ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(['negative', 'positive']).toContain(d?.label);

    for (const path of ['/v1/pooling', '/v1/classify', '/v1/tokenize']) {
      const res = await post(path, { model: MODEL, input: 'x' });
      expect(res.status, path).toBe(404);
    }
  });

  it('tokenizes and detokenizes at the root', async () => {
    const t = (await (await post('/tokenize', { model: MODEL, prompt: 'hello big world', return_token_strs: true })).json()) as {
      count: number;
      max_model_len: number;
      tokens: number[];
      token_strs: string[] | null;
    };
    expect(t.count).toBe(4);
    expect(t.max_model_len).toBe(8192);
    expect(t.tokens[0]).toBe(1);
    expect(t.token_strs).toEqual(['<s>', 'hello', 'big', 'world']);

    const chat = (await (await post('/tokenize', { messages: [{ role: 'user', content: 'hello world' }] })).json()) as { count: number; token_strs: unknown };
    expect(chat).toMatchObject({ count: 2, token_strs: null });

    const d = await post('/detokenize', { model: MODEL, tokens: t.tokens });
    expect(await d.json()).toEqual({ prompt: 'hello big world' });
  });

  describe('audio', () => {
    it('transcribes through the openai SDK with a duration usage, and records the form', async () => {
      const r = await client.audio.transcriptions.create({ model: MODEL, file: await toFile(wav(2.2), 'a.wav'), language: 'en' });
      expect(r).toEqual({ text: TOKEN.repeat(8), usage: { type: 'duration', seconds: 3 } });
      const rec = mock.requests[0];
      expect(rec?.path).toBe('/v1/audio/transcriptions');
      const up = rec?.body as RecordedUpload;
      expect(up.fields).toMatchObject({ model: MODEL, language: 'en' });
      expect(up.files).toEqual([{ field: 'file', filename: 'a.wav', contentType: expect.any(String) as string, size: 44 + 70400 }]);
      expect(up.firstByteAt).toBeGreaterThanOrEqual(rec?.receivedAt ?? Infinity);
      expect(up.endedAt).toBeGreaterThanOrEqual(up.firstByteAt ?? Infinity);
    });

    it('translates without usage', async () => {
      const r = await client.audio.translations.create({ model: MODEL, file: await toFile(wav(1), 'a.wav') });
      expect(r).toEqual({ text: TOKEN.repeat(8) });
    });

    it('streams transcription chunks with a final token usage chunk when stream_include_usage is set', async () => {
      const form = new FormData();
      form.set('model', MODEL);
      form.set('file', new Blob([wav(1)]), 'a.wav');
      form.set('stream', 'true');
      form.set('stream_include_usage', 'true');
      form.set('max_completion_tokens', '3');
      form.set('prompt', 'two words');
      const res = await fetch(`${mock.url}/audio/transcriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 's1' },
        body: form,
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = (await res.text()).split('\n\n').filter(Boolean);
      expect(events.at(-1)).toBe('data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as Record<string, unknown>);
      expect(chunks).toHaveLength(4);
      expect(chunks[0]).toMatchObject({ id: 'transcribe-s1', object: 'transcription.chunk', model: MODEL, choices: [{ delta: { content: TOKEN } }] });
      expect(chunks[2]).toMatchObject({ choices: [{ delta: { content: TOKEN }, finish_reason: 'length', stop_reason: null }] });
      expect(chunks[3]).toMatchObject({ choices: [], usage: { prompt_tokens: 6, completion_tokens: 3, total_tokens: 9 } });
    });

    it('streams through the SDK too (stream: true)', async () => {
      const stream = await client.audio.transcriptions.create({ model: MODEL, file: await toFile(wav(1), 'a.wav'), stream: true });
      let text = '';
      for await (const ev of stream) {
        const c = ev as unknown as { choices?: { delta?: { content?: string } }[] };
        text += c.choices?.[0]?.delta?.content ?? '';
      }
      expect(text).toBe(TOKEN.repeat(8));
    });

    it('refuses stream options without stream, a missing file, and the wrong model', async () => {
      const form = (fields: Record<string, string>, file = true): FormData => {
        const f = new FormData();
        for (const [k, v] of Object.entries(fields)) f.set(k, v);
        if (file) f.set('file', new Blob([wav(0.5)]), 'a.wav');
        return f;
      };
      const call = (f: FormData) => fetch(`${mock.url}/audio/translations`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: f });
      const opts = await call(form({ stream_include_usage: 'true' }));
      expect(opts.status).toBe(400);
      expect(await opts.json()).toEqual({
        error: { message: 'Stream options can only be defined when `stream=True`.', type: 'BadRequestError', param: 'stream_include_usage', code: 400 },
      });
      const nofile = await call(form({ model: MODEL }, false));
      expect(nofile.status).toBe(400);
      const wrong = await call(form({ model: 'whisper' }));
      expect(wrong.status).toBe(404);
      const noKey = await fetch(`${mock.url}/audio/translations`, { method: 'POST', body: form({}) });
      expect(noKey.status).toBe(401);
    });

    it('sees the first body bytes of a slow upload long before its end', async () => {
      const audio = wav(3);
      const r = await slowUpload(`${mock.url}/audio/transcriptions`, {
        model: MODEL,
        file: audio,
        pieces: 4,
        pauseMs: 150,
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ text: TOKEN.repeat(8), usage: { type: 'duration', seconds: 3 } });
      const lastWriteAt = r.lastWriteAt;
      const up = mock.requests[0]?.body as RecordedUpload;
      expect(up.order).toEqual(['model', 'file']);
      expect(up.files[0]?.size).toBe(audio.length);
      expect(lastWriteAt - (up.firstByteAt ?? Infinity)).toBeGreaterThanOrEqual(300);
      expect(up.endedAt).toBeGreaterThanOrEqual(lastWriteAt);
    });

    it('tells a hop that streams the upload from one that buffers it (what the proxy e2e test relies on)', async () => {
      const seen = async (buffer: boolean): Promise<number> => {
        const hop = await forwarder(mock.baseUrl, buffer);
        try {
          mock.reset();
          const r = await slowUpload(`${hop.url}/v1/audio/transcriptions`, {
            model: MODEL,
            file: wav(2),
            pieces: 4,
            pauseMs: 150,
            headers: { authorization: `Bearer ${KEY}` },
          });
          expect(r.status).toBe(200);
          return r.lastWriteAt - ((mock.requests[0]?.body as RecordedUpload).firstByteAt ?? Infinity);
        } finally {
          await hop.close();
        }
      };
      expect(await seen(false)).toBeGreaterThanOrEqual(300);
      expect(await seen(true)).toBeLessThanOrEqual(0);
    });
  });
});
