// The OpenAI Responses API as vLLM serves it: POST /v1/responses (JSON or an `event:` SSE stream),
// GET /v1/responses/{id}, POST /v1/responses/{id}/cancel, with vLLM's in-memory store.
//
// Fidelity notes (checked against vllm-project/vllm, vllm/entrypoints/openai/responses/ — api_router.py,
// serving.py, protocol.py — and their newer home vllm/frontend/entrypoints/openai/responses/):
// - The response id is the request's `request_id` body field, default `resp_{uuid4 hex}`
//   (ResponsesRequest.request_id; ResponsesResponse.from_request sets id=request.request_id). vLLM does
//   NOT derive it from the X-Request-Id header, unlike chat/completions (`_base_request_id`).
// - usage is ResponseUsage: input_tokens, input_tokens_details {cached_tokens, input_tokens_per_turn,
//   cached_tokens_per_turn}, output_tokens, output_tokens_details {reasoning_tokens, tool_output_tokens,
//   output_tokens_per_turn, tool_output_tokens_per_turn}, total_tokens.
// - finish_reason "length" (max_output_tokens reached) gives status "incomplete" with
//   incomplete_details {reason: "max_output_tokens"}; the stream still ends with response.completed.
// - Stream (`_process_simple_streaming_events`, no reasoning parser): response.created,
//   response.in_progress (both the in_progress response, usage null, sent before generation starts),
//   response.output_item.added (item id a bare uuid4), response.content_part.added (content_index 0),
//   response.output_text.delta per token (content_index counting up from 1 — vLLM increments it per
//   delta), response.output_text.done, response.content_part.done, response.output_item.done,
//   response.completed (the full response from responses_full_generator, with usage and a fresh
//   `msg_…` output id). sequence_number counts every event from 0. No `data: [DONE]`.
// - The store (VLLM_ENABLE_RESPONSES_API_STORE=1; without it `store` is silently ignored) keeps every
//   response made with store=true (the default). Unknown id on GET/cancel, or an unknown
//   previous_response_id: 404 "Response with id '…' not found." (type invalid_request_error,
//   param response_id). Cancel works only on a background response still queued/in_progress;
//   otherwise 400 "Cannot cancel a synchronous response.".
// - background=true (needs the store) answers at once with status "queued", usage null; the stored
//   response becomes "completed" when generation ends, unless it was cancelled meanwhile.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  type Ctx,
  DEFAULT_COMPLETION_TOKENS,
  HttpError,
  TOKEN,
  badRequest,
  countChatTokens,
  countWords,
  invalidRequest,
  randomId,
  send,
  type Steering,
} from './mock-vllm.js';
import { type NonStreamAnswer, sseEvent, writeEventStream } from './sse-events.js';

export interface ResponsesOptions {
  model: string;
  maxModelLen: number | undefined;
  /** VLLM_ENABLE_RESPONSES_API_STORE; default true (the mock is useless for retrieval without it). */
  store: boolean;
}

type Status = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';

interface Stored {
  body: Record<string, unknown>;
  /** Input plus output tokens: what a follow-up with previous_response_id carries as context. */
  context: number;
}

/** create_error_response with err_type invalid_request_error, as the Responses serving sends its own errors. */
const servingError = (status: number, message: string, param: string): HttpError =>
  new HttpError(status, JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: status } }));
const badRequestParam = (message: string, param: string): HttpError => servingError(400, message, param);
const notFound = (id: string): HttpError => servingError(404, `Response with id '${id}' not found.`, 'response_id');

/** Words in `input` (a string or a list of items with string or part content) and `instructions`. */
function countInput(body: Record<string, unknown>): number {
  const input = body.input;
  let n = typeof body.instructions === 'string' ? countWords(body.instructions) : 0;
  if (typeof input === 'string') n += countWords(input);
  else if (Array.isArray(input)) n += countChatTokens(input);
  return n;
}

function usage(input: number, output: number): Record<string, unknown> {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0, input_tokens_per_turn: [], cached_tokens_per_turn: [] },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0, tool_output_tokens: 0, output_tokens_per_turn: [], tool_output_tokens_per_turn: [] },
    total_tokens: input + output,
  };
}

const outputText = (text: string, logprobs: unknown[] | null) => ({ annotations: [], text, type: 'output_text', logprobs });

export class ResponsesRoutes {
  private readonly stored = new Map<string, Stored>();

  constructor(private readonly opts: ResponsesOptions) {}

  /** Drops every stored response (vLLM loses them on restart). */
  clear(): void {
    this.stored.clear();
  }

  /** POST /v1/responses, after the mock's common checks (auth, faults, model, load). */
  async create(body: Record<string, unknown>, res: ServerResponse, ctx: Ctx, s: Steering, answer: NonStreamAnswer): Promise<void> {
    const input = body.input;
    if (input === undefined || input === null) throw invalidRequest('Field required: input');
    if (typeof input !== 'string' && !Array.isArray(input)) throw invalidRequest('Input should be a valid string or list: input');
    const max = body.max_output_tokens;
    if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max))) {
      throw invalidRequest('Input should be a valid integer: max_output_tokens');
    }
    if (typeof max === 'number' && max < 1) throw badRequest(`max_tokens must be at least 1, got ${max}.`);
    const store = body.store !== false && this.opts.store;
    if (body.background === true && body.store === false) throw invalidRequest('background can only be used when `store` is true');
    if (body.background === true && !store) {
      throw badRequestParam(
        'This vLLM engine does not support `store=True` and therefore does not support the background mode. To enable these features, set the environment variable `VLLM_ENABLE_RESPONSES_API_STORE=1` when launching the vLLM server.',
        'background',
      );
    }
    let prompt = countInput(body);
    const previous = body.previous_response_id;
    if (typeof previous === 'string') {
      const prev = this.stored.get(previous);
      if (!prev) throw notFound(previous);
      prompt += prev.context;
    }
    prompt = Math.max(1, prompt);
    const limit = this.opts.maxModelLen;
    if (limit !== undefined && prompt >= limit) {
      throw badRequestParam(`The engine prompt length ${prompt} exceeds the max_model_len ${limit}. Please reduce prompt.`, 'input');
    }
    const n = typeof max === 'number' ? max : DEFAULT_COMPLETION_TOKENS;
    const id = typeof body.request_id === 'string' && body.request_id !== '' ? body.request_id : `resp_${randomId()}`;
    const created = Math.floor(Date.now() / 1000);
    const maxTokens = typeof max === 'number' ? max : (limit ?? 32768) - prompt;
    const make = (status: Status, output: unknown[], u: Record<string, unknown> | null) =>
      this.response(body, { id, created, status, output, usage: u, maxTokens });
    const finished = typeof max === 'number' ? 'incomplete' : 'completed';
    const final = () => {
      const r = make(finished, [this.message(`msg_${randomId()}`, TOKEN.repeat(n), 'completed')], usage(prompt, n));
      if (store && this.stored.get(id)?.body.status !== 'cancelled') this.stored.set(id, { body: r, context: prompt + n });
      return r;
    };

    if (body.background === true) {
      const queued = make('queued', [], null);
      this.stored.set(id, { body: queued, context: 0 });
      send(res, 200, JSON.stringify(queued));
      // Generation goes on without the client (vLLM's background task), paced like any answer.
      setTimeout(final, s.ttftMs + n * s.interTokenMs).unref();
      return;
    }
    if (body.stream !== true) {
      await answer(res, ctx, s, n, () => JSON.stringify(final()));
      return;
    }
    let seq = 0;
    const ev = (type: string, fields: Record<string, unknown>): string => sseEvent(type, { ...fields, sequence_number: seq++, type });
    const itemId = randomUUID();
    const part = { item_id: itemId, output_index: 0 };
    const inProgress = make('in_progress', [], null);
    const text = TOKEN.repeat(n);
    await writeEventStream(res, ctx, s, n, {
      head: () => ev('response.created', { response: inProgress }) + ev('response.in_progress', { response: inProgress }),
      token: (k) =>
        (k === 1
          ? ev('response.output_item.added', { item: this.message(itemId, null, 'in_progress'), output_index: 0 }) +
            ev('response.content_part.added', { content_index: 0, ...part, part: outputText('', []) })
          : '') + ev('response.output_text.delta', { content_index: k, delta: TOKEN, ...part, logprobs: [] }),
      tail: () =>
        ev('response.output_text.done', { content_index: n + 1, ...part, logprobs: [], text }) +
        ev('response.content_part.done', { content_index: n + 2, ...part, part: outputText(text, null) }) +
        ev('response.output_item.done', { item: { ...this.message(itemId, text, 'completed'), summary: [] }, output_index: 0 }) +
        ev('response.completed', { response: final() }),
    });
  }

  /** GET /v1/responses/{id} and POST /v1/responses/{id}/cancel; false if the path is not one of them. */
  byId(req: IncomingMessage, path: string, res: ServerResponse): boolean {
    const m = /^\/v1\/responses\/([^/]+)(\/cancel)?$/.exec(path);
    if (!m) return false;
    const id = decodeURIComponent(m[1] as string);
    const cancel = m[2] !== undefined;
    if (req.method !== (cancel ? 'POST' : 'GET')) throw new HttpError(405, '{"detail":"Method Not Allowed"}');
    req.resume();
    const entry = this.stored.get(id);
    if (!entry) throw notFound(id);
    if (cancel) {
      const status = entry.body.status;
      if (status !== 'queued' && status !== 'in_progress') throw badRequestParam('Cannot cancel a synchronous response.', 'response_id');
      entry.body = { ...entry.body, status: 'cancelled' };
    }
    send(res, 200, JSON.stringify(entry.body));
    return true;
  }

  private message(id: string, text: string | null, status: 'in_progress' | 'completed') {
    return { id, content: text === null ? [] : [outputText(text, null)], role: 'assistant', status, type: 'message' };
  }

  /** ResponsesResponse.from_request, field for field in vLLM's order. */
  private response(
    body: Record<string, unknown>,
    r: { id: string; created: number; status: Status; output: unknown[]; usage: Record<string, unknown> | null; maxTokens: number },
  ): Record<string, unknown> {
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
    return {
      id: r.id,
      created_at: r.created,
      incomplete_details: r.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: body.instructions ?? null,
      metadata: body.metadata ?? null,
      model: this.opts.model,
      object: 'response',
      output: r.output,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      temperature: num(body.temperature, 1.0),
      // ResponsesRequest.check_tool_usage: without tools, "auto" becomes "none".
      tool_choice: body.tool_choice ?? (tools.length > 0 ? 'auto' : 'none'),
      tools,
      top_p: num(body.top_p, 1.0),
      background: body.background === true,
      max_output_tokens: r.maxTokens,
      max_tool_calls: body.max_tool_calls ?? null,
      previous_response_id: body.previous_response_id ?? null,
      prompt: null,
      reasoning: body.reasoning ?? null,
      service_tier: body.service_tier ?? 'auto',
      status: r.status,
      text: body.text ?? null,
      top_logprobs: null,
      truncation: body.truncation ?? 'disabled',
      usage: r.usage,
      user: body.user ?? null,
      presence_penalty: num(body.presence_penalty, 0.0),
      frequency_penalty: num(body.frequency_penalty, 0.0),
      kv_transfer_params: null,
      ec_transfer_params: null,
      input_messages: null,
      output_messages: null,
    };
  }
}
