import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import OpenAI from 'openai';
import { parseSse } from '../helpers/routes.js';
import { startMockVllm, TOKEN, type MockVllm } from './mock-vllm.js';

// The mock's Responses API and Anthropic Messages routes, spoken to over HTTP (the official SDK where
// it has the call), in the shapes vLLM sends (see routes-responses.ts and routes-messages.ts).

const MODEL = 'google/gemma-4-31b';

describe('mock vLLM: /v1/responses and /v1/messages', () => {
  let mock: MockVllm;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockVllm({ model: MODEL });
    client = new OpenAI({ baseURL: mock.url, apiKey: 'x', maxRetries: 0 });
    return () => mock.close();
  });
  afterEach(() => mock.reset());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${mock.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  describe('responses', () => {
    it('answers a response object with output_text of TOKENs and vLLM usage; the id ignores X-Request-Id', async () => {
      const { data: r, response } = await client.responses
        .create({ model: MODEL, input: 'hello there world', instructions: 'be brief' }, { headers: { 'x-request-id': 'from-the-proxy' } })
        .withResponse();
      expect(response.status).toBe(200);
      expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
      expect(r).toMatchObject({ object: 'response', status: 'completed', model: MODEL, incomplete_details: null, previous_response_id: null });
      expect(r.output).toHaveLength(1);
      expect(r.output[0]).toMatchObject({
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: TOKEN.repeat(16), annotations: [] }],
      });
      expect(r.output_text).toBe(TOKEN.repeat(16));
      expect(r.usage).toEqual({
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0, input_tokens_per_turn: [], cached_tokens_per_turn: [] },
        output_tokens: 16,
        output_tokens_details: { reasoning_tokens: 0, tool_output_tokens: 0, output_tokens_per_turn: [], tool_output_tokens_per_turn: [] },
        total_tokens: 21,
      });
      expect(mock.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/responses', body: { model: MODEL, input: 'hello there world' } });
    });

    it('stops at max_output_tokens as incomplete, counts message-list input, and takes a request_id', async () => {
      const r = await client.responses.create({
        model: MODEL,
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'one two three' }] }],
        max_output_tokens: 3,
        // vLLM's extra field: the response id.
        ...{ request_id: 'resp_chosen' },
      });
      expect(r).toMatchObject({ id: 'resp_chosen', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 3 });
      expect(r.usage).toMatchObject({ input_tokens: 3, output_tokens: 3, total_tokens: 6 });
    });

    it('streams vLLM events with event: lines and sequence numbers, ending with response.completed and usage', async () => {
      const res = await post('/v1/responses', { model: MODEL, input: 'a b', max_output_tokens: 3, stream: true });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      expect(text).not.toContain('[DONE]');
      const events = parseSse(text);
      expect(events.map((e) => e.event)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      events.forEach((e, i) => expect(e.data).toMatchObject({ type: e.event, sequence_number: i }));
      expect(events[0]?.data.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
      const deltas = events.filter((e) => e.event === 'response.output_text.delta');
      expect(deltas.map((e) => e.data.delta).join('')).toBe(TOKEN.repeat(3));
      // vLLM counts content_index up per delta.
      expect(deltas.map((e) => e.data.content_index)).toEqual([1, 2, 3]);
      const done = events.at(-1)?.data.response as { id: string; status: string; usage: Record<string, unknown>; output: { id: string }[] };
      expect(done).toMatchObject({ status: 'incomplete', usage: { input_tokens: 2, output_tokens: 3, total_tokens: 5 } });
      expect(done.id).toBe((events[0]?.data.response as { id: string }).id);
      expect(done.output[0]?.id).toMatch(/^msg_/);
    });

    it('streams through the SDK: the deltas join to the text', async () => {
      const stream = await client.responses.create({ model: MODEL, input: 'x', stream: true });
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const e of stream) {
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') completed = e.response;
      }
      expect(text).toBe(TOKEN.repeat(16));
      expect(completed?.status).toBe('completed');
      expect(completed?.usage?.output_tokens).toBe(16);
    });

    it('sends the first events before the TTFT and paces the deltas', async () => {
      const started = Date.now();
      const res = await post('/v1/responses', { model: MODEL, input: 'x', max_output_tokens: 4, stream: true, mock: { ttft_ms: 300, inter_token_ms: 50 } });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^event: response.created\n/);
      expect(Date.now() - started).toBeLessThan(250);
      while (!(await reader.read()).done);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300 + 3 * 50 - 10);
    });

    it('stores responses: GET returns them, unknown ids get vLLM 404s, previous_response_id carries the context', async () => {
      const first = await client.responses.create({ model: MODEL, input: 'one two', max_output_tokens: 2 });
      expect(await client.responses.retrieve(first.id)).toEqual(first);

      const missing = await fetch(`${mock.url}/responses/resp_nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: { message: "Response with id 'resp_nope' not found.", type: 'invalid_request_error', param: 'response_id', code: 404 },
      });

      const next = await client.responses.create({ model: MODEL, input: 'three', max_output_tokens: 1, previous_response_id: first.id });
      expect(next.previous_response_id).toBe(first.id);
      // 2 + 2 tokens of the first turn, then one more word.
      expect(next.usage?.input_tokens).toBe(5);

      const unknown = await post('/v1/responses', { model: MODEL, input: 'x', previous_response_id: 'resp_gone' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { message: "Response with id 'resp_gone' not found.", code: 404 } });

      const unstored = await client.responses.create({ model: MODEL, input: 'x', store: false });
      expect((await fetch(`${mock.url}/responses/${unstored.id}`)).status).toBe(404);
    });

    it('cancels only background responses; a finished one gets vLLM 400', async () => {
      const done = await client.responses.create({ model: MODEL, input: 'x', max_output_tokens: 1 });
      const refused = await fetch(`${mock.url}/responses/${done.id}/cancel`, { method: 'POST' });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        error: { message: 'Cannot cancel a synchronous response.', type: 'invalid_request_error', param: 'response_id', code: 400 },
      });
      expect((await fetch(`${mock.url}/responses/resp_nope/cancel`, { method: 'POST' })).status).toBe(404);

      const queued = await client.responses.create({
        model: MODEL,
        input: 'x',
        background: true,
        mock: { ttft_ms: 200 },
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      expect(queued).toMatchObject({ status: 'queued', usage: null, background: true });
      const cancelled = await client.responses.cancel(queued.id);
      expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled' });
      await new Promise((r) => setTimeout(r, 300));
      expect((await client.responses.retrieve(queued.id)).status).toBe('cancelled');

      const finishes = await client.responses.create({ model: MODEL, input: 'x', max_output_tokens: 2, background: true });
      await new Promise((r) => setTimeout(r, 50));
      expect(await client.responses.retrieve(finishes.id)).toMatchObject({ status: 'incomplete', usage: { output_tokens: 2 } });
    });

    it('takes faults, checks the model and the input like the chat route', async () => {
      mock.setFault('500', 1);
      expect((await post('/v1/responses', { model: MODEL, input: 'x' })).status).toBe(500);
      expect((await post('/v1/responses', { model: 'other/model', input: 'x' })).status).toBe(404);
      const noInput = await post('/v1/responses', { model: MODEL });
      expect(noInput.status).toBe(400);
      expect(mock.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/responses', '/v1/responses']);
    });
  });

  describe('messages', () => {
    it('answers an Anthropic message with the chat id derived from X-Request-Id and Anthropic usage', async () => {
      const res = await post(
        '/v1/messages',
        { model: MODEL, max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }] }] },
        { 'x-request-id': 'abc123' },
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        id: 'chatcmpl-abc123',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: TOKEN.repeat(16) }],
        model: MODEL,
        stop_reason: 'end_turn',
        usage: { input_tokens: 4, output_tokens: 16 },
      });
      const short = (await (await post('/v1/messages', { model: MODEL, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] })).json()) as Record<
        string,
        unknown
      >;
      expect(short).toMatchObject({ stop_reason: 'max_tokens', usage: { input_tokens: 1, output_tokens: 2 } });
      expect(short.id).toMatch(/^chatcmpl-/);
    });

    it('streams Anthropic events: message_start with input tokens, deltas, message_delta with output tokens', async () => {
      const res = await post('/v1/messages', { model: MODEL, max_tokens: 3, stream: true, messages: [{ role: 'user', content: 'a b c' }] });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = parseSse(await res.text());
      expect(events.map((e) => e.event)).toEqual([
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      events.forEach((e) => expect(e.data.type).toBe(e.event));
      expect(events[0]?.data.message).toMatchObject({
        type: 'message',
        role: 'assistant',
        content: [],
        model: MODEL,
        usage: { input_tokens: 3, output_tokens: 0 },
      });
      expect(events[1]?.data).toEqual({ type: 'content_block_start', content_block: { type: 'text', text: '' }, index: 0 });
      expect(
        events
          .slice(2, 5)
          .map((e) => (e.data.delta as { text: string }).text)
          .join(''),
      ).toBe(TOKEN.repeat(3));
      expect(events[6]?.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 3, output_tokens: 3 } });
    });

    it('refuses in vLLM shapes: an unknown model in Anthropic shape, a missing field in the OpenAI one', async () => {
      const unknown = await post('/v1/messages', { model: 'no/such', max_tokens: 5, messages: [] });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ type: 'error', error: { type: 'NotFoundError', message: 'The model `no/such` does not exist.' } });
      const noMax = await post('/v1/messages', { model: MODEL, messages: [] });
      expect(noMax.status).toBe(400);
      expect(await noMax.json()).toMatchObject({ error: { type: 'Bad Request', code: 400 } });
      const notList = await post('/v1/messages', { model: MODEL, max_tokens: 5, messages: 'hi' });
      expect(notList.status).toBe(400);
    });

    it('cuts a stream with the drop fault after two deltas', async () => {
      const res = await post('/v1/messages', {
        model: MODEL,
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
        mock: { fault: 'drop' },
      });
      const text = await res.text().catch(() => 'cut');
      expect(text).not.toContain('message_stop');
    });
  });
});
