// A mock vLLM OpenAI-compatible server on bare node:http.
//
// It stands in for vLLM in end-to-end tests (routes, response and error shapes, streaming with
// stream_options.include_usage, latency, fault injection) and is the speed baseline for the
// benchmarks, so the happy path does no logging and as little work per request as possible.
//
// Fidelity notes (checked against vllm-project/vllm):
// - Error body: `{"error": {"message", "type", "param", "code"}}` with `code` = the HTTP status as an
//   int — `ErrorInfo`/`ErrorResponse` in vllm/entrypoints/openai/engine/protocol.py (formerly
//   vllm/entrypoints/openai/protocol.py; versions before ~0.10 sent the flat
//   `{"object":"error","message",...}` shape). `type` follows `create_error_response`:
//   "BadRequestError", "NotFoundError", "InternalServerError"; request-validation failures use the
//   HTTP phrase ("Bad Request"), as `validation_exception_handler` does.
// - Bad API key: vLLM's `AuthenticationMiddleware` (vllm/entrypoints/openai/server_utils.py) answers
//   401 `{"error": "Unauthorized"}` — a plain string, not ErrorInfo — and only guards paths under
//   /v1 (so /health and /version stay open). The mock does the same so the proxy meets the real thing.
// - Besides /health, /ping and /version, only the pooling and tokenizer routes (routes-pooling.ts,
//   routes-tokenize.ts) exist without the /v1 prefix, as in vLLM; unknown paths get FastAPI's
//   `{"detail":"Not Found"}`.

import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { MockLoad, type MockLoadOptions, type ReportedLoad } from './load.js';
import { createMessage } from './routes-messages.js';
import { ResponsesRoutes } from './routes-responses.js';
import type { RouteEnv } from './route-kit.js';
import { POOLING_ROUTES } from './routes-pooling.js';
import { TOKENIZE_ROUTES } from './routes-tokenize.js';
import { AUDIO_ROUTES } from './routes-audio.js';

export type Fault = '500' | '400' | '429' | 'hang' | 'drop' | 'reset';
export const FAULTS: readonly Fault[] = ['500', '400', '429', 'hang', 'drop', 'reset'];

export interface MockVllmOptions {
  /** 0 or undefined: a random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The served model id, e.g. 'google/gemma-4-31b'. */
  model: string;
  /** If set, /v1/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  ttftMs?: number;
  interTokenMs?: number;
  /** Default 8. */
  embeddingDims?: number;
  /**
   * Reported in /v1/models. Default 32768. When set, a prompt (or prompt + max_tokens) over it is refused
   * with vLLM's 400, as `vllm serve --max-model-len` does.
   */
  maxModelLen?: number;
  /** Default true; benchmarks turn it off so `requests` does not grow without bound. */
  record?: boolean;
  /** vLLM-like batching and queueing (see load.ts); default: every request runs at once. */
  load?: MockLoadOptions;
  /** VLLM_ENABLE_RESPONSES_API_STORE: keep responses for GET/cancel/previous_response_id. Default true. */
  responsesStore?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw string if it was not valid JSON; null when there was none. */
  body: unknown;
  receivedAt: number;
}

export interface RecordedAbort {
  path: string;
  at: number;
}

export interface MockLatency {
  ttftMs: number;
  interTokenMs: number;
}

export interface MockVllm {
  /** 'http://127.0.0.1:PORT/v1' — what an OpenAI client takes as baseURL. */
  url: string;
  /** 'http://127.0.0.1:PORT' */
  baseUrl: string;
  port: number;
  model: string;
  /** Every request except the /mock/* control routes (empty when `record: false`). */
  requests: RecordedRequest[];
  /** Requests whose client went away before the mock finished answering. */
  aborts: RecordedAbort[];
  /**
   * Applies `fault` to the next `count` inference requests (POST chat/completions, completions,
   * embeddings, responses, messages; default: until cleared). GETs such as /health and /v1/models
   * never take a fault, so a proxy's background polling cannot use up a fault meant for the request
   * under test.
   */
  setFault(fault: Fault | null, count?: number): void;
  setLatency(latency: Partial<MockLatency>): void;
  /** Adds these to the gauges GET /metrics reports ({} clears), e.g. a deep queue without real load. */
  setReportedLoad(load: ReportedLoad): void;
  /** The status GET /health answers (200 = healthy). */
  setHealth(status: number): void;
  /** Clears requests, aborts and the fault, and restores the latency given at start. */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

/** Version reported by GET /version. */
export const MOCK_VLLM_VERSION = '0.11.0';

const DEFAULT_COMPLETION_TOKENS = 16;
/** Every generated token is this text, so tests can assert content: n tokens = TOKEN.repeat(n). */
export const TOKEN = 'tok ';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export const JSON_TYPE = 'application/json';
// Starlette's StreamingResponse adds the charset; vLLM's own SSE code compares against this exact value.
export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** Per-request state, shared by the answer code and the 'close' listener. */
interface Ctx {
  path: string;
  /** The socket is gone (client left, we destroyed it, or close()). */
  closed: boolean;
  /** We destroyed the socket on purpose (drop/reset): not a client abort. */
  selfDestroyed: boolean;
  /** Cancels the pending sleep/drain wait, if any. */
  cancel: (() => void) | undefined;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

export function errorJson(message: string, type: string, code: number): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export const badRequest = (message: string): HttpError => new HttpError(400, errorJson(message, 'BadRequestError', 400));

/**
 * vLLM's refusal of a request over the context (`_validate_input` / VLLMValidationError): the prompt
 * alone, or the prompt plus the requested output; the message carries `(parameter=…, value=…)`.
 */
export function contextLengthError(maxModelLen: number, prompt: number, maxTokens: number | undefined): HttpError | undefined {
  if (prompt >= maxModelLen) {
    const message = `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${prompt} input tokens. Please reduce the length of the input messages. (parameter=input_tokens, value=${prompt})`;
    return new HttpError(400, JSON.stringify({ error: { message, type: 'BadRequestError', param: 'input_tokens', code: 400 } }));
  }
  if (maxTokens !== undefined && prompt + maxTokens > maxModelLen) {
    const message = `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxModelLen} tokens and your request has ${prompt} input tokens (${maxTokens} > ${maxModelLen} - ${prompt}). (parameter=max_tokens, value=${maxTokens})`;
    return new HttpError(400, JSON.stringify({ error: { message, type: 'BadRequestError', param: 'max_tokens', code: 400 } }));
  }
  return undefined;
}
// Pydantic/request validation failures go through vLLM's validation_exception_handler (type = phrase).
export const invalidRequest = (message: string): HttpError => new HttpError(400, errorJson(message, 'Bad Request', 400));

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFault(v: unknown): v is Fault {
  return typeof v === 'string' && (FAULTS as readonly string[]).includes(v);
}

function nonNegative(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidRequest(`${name} must be a number >= 0`);
  return v;
}

export function countWords(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13);
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** Deterministic stand-in for a tokenizer: words in strings, length of token-id arrays. */
export function countPromptTokens(v: unknown): number {
  if (typeof v === 'string') return countWords(v);
  if (typeof v === 'number') return 1;
  if (Array.isArray(v)) {
    let n = 0;
    for (const item of v) n += countPromptTokens(item);
    return n;
  }
  return 0;
}

export function countChatTokens(messages: unknown[]): number {
  let n = 0;
  for (const m of messages) {
    if (!isRecord(m)) continue;
    const content = m.content;
    if (typeof content === 'string') n += countWords(content);
    else if (Array.isArray(content)) {
      // Content parts: only text parts carry words.
      for (const part of content) if (isRecord(part) && typeof part.text === 'string') n += countWords(part.text);
    }
  }
  return n;
}

/** max_completion_tokens wins over max_tokens, as in vLLM's ChatCompletionRequest. */
function requestedTokens(body: Record<string, unknown>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidRequest('max_tokens must be an integer');
  if (v < 1) throw badRequest(`max_tokens must be at least 1, got ${v}.`);
  return v;
}

export function randomId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A unit vector derived from the text (FNV-1a, then a murmur3 finalizer per dimension), stable across runs. */
export function embed(text: string, dims: number): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const v = new Array<number>(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    let x = (h + Math.imul(i + 1, 0x9e3779b9)) | 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    x ^= x >>> 16;
    const f = ((x >>> 0) / 0xffffffff) * 2 - 1;
    v[i] = f;
    norm += f * f;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export function send(res: ServerResponse, status: number, body: string, type = JSON_TYPE): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, errorJson('request body too large', 'Request Entity Too Large', 413)));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves after `ms`, or early when the request closes (callers re-check ctx.closed). */
function sleep(ctx: Ctx, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      ctx.cancel = undefined;
      resolve();
    }, ms);
    ctx.cancel = () => {
      clearTimeout(t);
      ctx.cancel = undefined;
      resolve();
    };
  });
}

/** Waits for 'drain' (backpressure), or until the request closes. */
function drain(res: ServerResponse, ctx: Ctx): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      ctx.cancel = undefined;
      resolve();
    };
    res.on('drain', done);
    ctx.cancel = done;
  });
}

/** Destroys the connection once what was written so far has reached the kernel. */
function dropAfterFlush(res: ServerResponse, ctx: Ctx): void {
  ctx.selfDestroyed = true;
  const socket = res.socket;
  if (!socket) {
    res.destroy();
    return;
  }
  socket.write('', () => socket.destroy());
}

interface Steering {
  fault: Fault | undefined;
  ttftMs: number;
  interTokenMs: number;
}

// What the route families in routes-*.ts share with the routes here.
export type { Ctx, Steering };
export { DEFAULT_COMPLETION_TOKENS, drain, dropAfterFlush, sleep };

const INFERENCE_PATHS = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages']);
const GET_PATHS = new Set(['/health', '/ping', '/version', '/v1/models', '/metrics']);

export async function startMockVllm(opts: MockVllmOptions): Promise<MockVllm> {
  const model = opts.model;
  const modelJson = JSON.stringify(model);
  const host = opts.host ?? '127.0.0.1';
  const record = opts.record !== false;
  const defaultDims = opts.embeddingDims ?? 8;
  const initialLatency: MockLatency = { ttftMs: opts.ttftMs ?? 0, interTokenMs: opts.interTokenMs ?? 0 };
  const apiKey = opts.apiKey;
  // As vLLM's verify_token: scheme compared case-insensitively, the token exactly.
  const authorized = (h: string | undefined): boolean => {
    if (apiKey === undefined) return true;
    if (h === undefined) return false;
    const sp = h.indexOf(' ');
    return sp !== -1 && h.slice(0, sp).toLowerCase() === 'bearer' && h.slice(sp + 1) === apiKey;
  };

  const requests: RecordedRequest[] = [];
  const routeEnv: RouteEnv = {
    model,
    maxModelLen: opts.maxModelLen ?? 32768,
    record: (r) => void (record && requests.push(r)),
    authorized,
  };
  const load = new MockLoad(opts.load ?? {}, model);
  const responses = new ResponsesRoutes({ model, maxModelLen: opts.maxModelLen, store: opts.responsesStore !== false });
  let healthStatus = 200;
  const aborts: RecordedAbort[] = [];
  /** Inference requests answered to their end (counted even with `record: false`). */
  let completed = 0;
  let latency: MockLatency = { ...initialLatency };
  let fault: Fault | null = null;
  let faultLeft = 0;
  let closing = false;

  const startedAt = Math.floor(Date.now() / 1000);
  const modelsBody = JSON.stringify({
    object: 'list',
    data: [
      {
        id: model,
        object: 'model',
        created: startedAt,
        owned_by: 'vllm',
        root: model,
        parent: null,
        max_model_len: opts.maxModelLen ?? 32768,
        permission: [
          {
            id: `modelperm-${randomId()}`,
            object: 'model_permission',
            created: startedAt,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  });
  const versionBody = JSON.stringify({ version: MOCK_VLLM_VERSION });

  function setFault(f: Fault | null, count?: number): void {
    if (f !== null && !isFault(f)) throw new Error(`unknown fault ${String(f)}`);
    fault = f;
    faultLeft = f === null ? 0 : count === undefined || count <= 0 ? Infinity : count;
  }

  function takeFault(): Fault | undefined {
    if (fault === null) return undefined;
    const f = fault;
    if (--faultLeft <= 0) fault = null;
    return f;
  }

  function setLatency(l: Partial<MockLatency>): void {
    latency = {
      ttftMs: l.ttftMs ?? latency.ttftMs,
      interTokenMs: l.interTokenMs ?? latency.interTokenMs,
    };
  }

  function reset(): void {
    // In place, so arrays the tests already hold stay live.
    requests.length = 0;
    aborts.length = 0;
    completed = 0;
    setFault(null);
    latency = { ...initialLatency };
    load.setReported({});
    healthStatus = 200;
  }

  function steering(body: Record<string, unknown>): Steering {
    const m = body.mock;
    let bodyFault: Fault | undefined;
    let ttftMs: number | undefined;
    let interTokenMs: number | undefined;
    if (m !== undefined && m !== null) {
      if (!isRecord(m)) throw invalidRequest('mock must be an object');
      if (m.fault !== undefined && m.fault !== null) {
        if (!isFault(m.fault)) throw invalidRequest(`unknown mock.fault ${JSON.stringify(m.fault)}; one of ${FAULTS.join(', ')}`);
        bodyFault = m.fault;
      }
      ttftMs = nonNegative(m.ttft_ms, 'mock.ttft_ms');
      interTokenMs = nonNegative(m.inter_token_ms, 'mock.inter_token_ms');
    }
    return {
      // A per-request fault does not use up the global one.
      fault: bodyFault ?? takeFault(),
      ttftMs: ttftMs ?? latency.ttftMs,
      interTokenMs: interTokenMs ?? latency.interTokenMs,
    };
  }

  /** Applies a fault other than 'drop' (which the generators handle mid-answer). True if it answered. */
  function applyFault(f: Fault, req: IncomingMessage, res: ServerResponse, ctx: Ctx): boolean {
    switch (f) {
      case '500':
        send(res, 500, errorJson('mock internal error', 'InternalServerError', 500));
        return true;
      case '400':
        send(res, 400, errorJson('mock bad request', 'BadRequestError', 400));
        return true;
      case '429':
        // vLLM has no 429 of its own; an HTTPException would carry the HTTP phrase as type.
        send(res, 429, errorJson('mock rate limited', 'Too Many Requests', 429));
        return true;
      case 'hang':
        // Never answer; the 'close' listener records the abort when the client gives up.
        return true;
      case 'reset':
        ctx.selfDestroyed = true;
        req.socket.resetAndDestroy();
        return true;
      case 'drop':
        return false;
    }
  }

  /**
   * Writes an SSE answer: headers at once (vLLM sends them before the first token), then after the
   * TTFT the optional first chunk, n token chunks, the finish chunk, the optional usage chunk, [DONE].
   */
  async function streamAnswer(
    res: ServerResponse,
    ctx: Ctx,
    s: Steering,
    n: number,
    first: string | undefined,
    token: (completed: number) => string,
    finish: string,
    usage: string | undefined,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': SSE_TYPE, 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (s.ttftMs > 0) {
      await sleep(ctx, s.ttftMs);
      if (ctx.closed) return;
    }
    if (first !== undefined && !res.write(first)) {
      await drain(res, ctx);
      if (ctx.closed) return;
    }
    const dropAt = s.fault === 'drop' ? Math.min(2, n) : -1;
    for (let i = 0; i < n; i++) {
      if (i === dropAt) break;
      if (i > 0 && s.interTokenMs > 0) {
        await sleep(ctx, s.interTokenMs);
        if (ctx.closed) return;
      }
      if (!res.write(token(i + 1))) {
        await drain(res, ctx);
        if (ctx.closed) return;
      }
    }
    if (dropAt >= 0) {
      dropAfterFlush(res, ctx);
      return;
    }
    res.write(finish);
    if (usage !== undefined) res.write(usage);
    res.end('data: [DONE]\n\n');
  }

  /**
   * How a stream chunk ends, as vLLM writes it: with `include_usage` every chunk carries `"usage":null`
   * (the totals come in a last chunk with no choices); with `continuous_usage_stats` too, every chunk
   * carries the usage so far (vLLM: `include_continuous_usage = include_usage and continuous_usage_stats`).
   */
  function chunkTail(body: Record<string, unknown>, prompt: number): { tail: (completed: number) => string; includeUsage: boolean } {
    const opts = isRecord(body.stream_options) ? body.stream_options : {};
    const includeUsage = opts.include_usage === true;
    const continuous = includeUsage && opts.continuous_usage_stats === true;
    if (continuous) return { tail: (completed) => `],"usage":${usageOf(prompt, completed)}}\n\n`, includeUsage };
    const fixed = includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
    return { tail: () => fixed, includeUsage };
  }

  async function nonStreamAnswer(res: ServerResponse, ctx: Ctx, s: Steering, n: number, body: () => string): Promise<void> {
    const wait = s.ttftMs + n * s.interTokenMs;
    if (wait > 0) {
      await sleep(ctx, wait);
      if (ctx.closed) return;
    }
    if (s.fault === 'drop') {
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.flushHeaders();
      dropAfterFlush(res, ctx);
      return;
    }
    send(res, 200, body());
  }

  function usageOf(prompt: number, completion: number): string {
    return `{"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"completion_tokens":${completion},"prompt_tokens_details":null}`;
  }

  async function chat(body: Record<string, unknown>, res: ServerResponse, ctx: Ctx, s: Steering, baseId: string): Promise<void> {
    const messages = body.messages;
    // pydantic's two messages, as vLLM passes them on: a missing field, and one of the wrong type.
    if (messages === undefined) throw invalidRequest('Field required: messages');
    if (!Array.isArray(messages)) throw invalidRequest('Input should be a valid list: messages');
    const max = requestedTokens(body);
    const n = max ?? DEFAULT_COMPLETION_TOKENS;
    const finishReason = max === undefined ? 'stop' : 'length';
    const prompt = Math.max(1, countChatTokens(messages));
    if (opts.maxModelLen !== undefined) {
      const tooLong = contextLengthError(opts.maxModelLen, prompt, max);
      if (tooLong) throw tooLong;
    }
    const id = `chatcmpl-${baseId}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream === true) {
      const { tail, includeUsage } = chunkTail(body, prompt);
      const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${modelJson},"choices":[`;
      const tokenChoice = `{"index":0,"delta":{"content":${JSON.stringify(TOKEN)}},"logprobs":null,"finish_reason":null}`;
      // Token chunks are identical unless they carry running usage: build them once then.
      const sameToken = `${head}${tokenChoice}${tail(0)}`;
      const perToken = tail(0) !== tail(1);
      await streamAnswer(
        res,
        ctx,
        s,
        n,
        `${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}${tail(0)}`,
        perToken ? (k) => `${head}${tokenChoice}${tail(k)}` : () => sameToken,
        `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${finishReason}","stop_reason":null}${tail(n)}`,
        includeUsage ? `${head}],"usage":${usageOf(prompt, n)}}\n\n` : undefined,
      );
      return;
    }
    await nonStreamAnswer(res, ctx, s, n, () =>
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: TOKEN.repeat(n) },
            logprobs: null,
            finish_reason: finishReason,
            stop_reason: null,
          },
        ],
        usage: { prompt_tokens: prompt, total_tokens: prompt + n, completion_tokens: n, prompt_tokens_details: null },
      }),
    );
  }

  async function completions(body: Record<string, unknown>, res: ServerResponse, ctx: Ctx, s: Steering, baseId: string): Promise<void> {
    if (body.prompt === undefined || body.prompt === null) throw invalidRequest('Field required: prompt');
    const max = requestedTokens(body);
    const n = max ?? DEFAULT_COMPLETION_TOKENS;
    const finishReason = max === undefined ? 'stop' : 'length';
    const prompt = Math.max(1, countPromptTokens(body.prompt));
    const id = `cmpl-${baseId}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream === true) {
      const { tail, includeUsage } = chunkTail(body, prompt);
      const head = `data: {"id":"${id}","object":"text_completion","created":${created},"model":${modelJson},"choices":[`;
      const tokenChoice = `{"index":0,"text":${JSON.stringify(TOKEN)},"logprobs":null,"finish_reason":null,"stop_reason":null}`;
      const sameToken = `${head}${tokenChoice}${tail(0)}`;
      const perToken = tail(0) !== tail(1);
      await streamAnswer(
        res,
        ctx,
        s,
        n,
        undefined,
        perToken ? (k) => `${head}${tokenChoice}${tail(k)}` : () => sameToken,
        `${head}{"index":0,"text":"","logprobs":null,"finish_reason":"${finishReason}","stop_reason":null}${tail(n)}`,
        includeUsage ? `${head}],"usage":${usageOf(prompt, n)}}\n\n` : undefined,
      );
      return;
    }
    await nonStreamAnswer(res, ctx, s, n, () =>
      JSON.stringify({
        id,
        object: 'text_completion',
        created,
        model,
        choices: [{ index: 0, text: TOKEN.repeat(n), logprobs: null, finish_reason: finishReason, stop_reason: null, prompt_logprobs: null }],
        usage: { prompt_tokens: prompt, total_tokens: prompt + n, completion_tokens: n, prompt_tokens_details: null },
      }),
    );
  }

  async function embeddings(body: Record<string, unknown>, res: ServerResponse, ctx: Ctx, s: Steering, baseId: string): Promise<void> {
    const input = body.input;
    let inputs: unknown[];
    // string | string[] | number[] (one tokenized input) | number[][]
    if (typeof input === 'string') inputs = [input];
    else if (Array.isArray(input) && input.length > 0) inputs = typeof input[0] === 'number' ? [input] : input;
    else throw invalidRequest('Field required: input');
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') throw badRequest(`unsupported encoding_format ${JSON.stringify(format)}`);
    const dims = typeof body.dimensions === 'number' && Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : defaultDims;

    if (s.ttftMs > 0) {
      await sleep(ctx, s.ttftMs);
      if (ctx.closed) return;
    }
    if (s.fault === 'drop') {
      await nonStreamAnswer(res, ctx, { ...s, ttftMs: 0, interTokenMs: 0 }, 0, () => '');
      return;
    }
    let prompt = 0;
    const data = inputs.map((item, index) => {
      prompt += countPromptTokens(item);
      const vector = embed(typeof item === 'string' ? item : JSON.stringify(item), dims);
      // The openai SDK asks for base64 by default: little-endian float32, as vLLM encodes it.
      const embedding = format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { index, object: 'embedding', embedding };
    });
    prompt = Math.max(1, prompt);
    send(
      res,
      200,
      JSON.stringify({
        id: `embd-${baseId}`,
        object: 'list',
        created: Math.floor(Date.now() / 1000),
        model,
        data,
        usage: { prompt_tokens: prompt, total_tokens: prompt, completion_tokens: 0, prompt_tokens_details: null },
      }),
    );
  }

  async function control(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && path === '/mock/requests') {
      send(res, 200, JSON.stringify({ requests, aborts, completed, fault, faultLeft: Number.isFinite(faultLeft) ? faultLeft : null, latency }));
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, '{"detail":"Method Not Allowed"}');
    const raw = await readBody(req);
    let body: unknown = {};
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw invalidRequest('invalid JSON');
      }
    }
    if (!isRecord(body)) throw invalidRequest('expected a JSON object');
    switch (path) {
      case '/mock/fault': {
        const f = body.fault ?? null;
        if (f !== null && !isFault(f)) throw invalidRequest(`unknown fault ${JSON.stringify(f)}; one of ${FAULTS.join(', ')} or null`);
        const count = body.count;
        if (count !== undefined && count !== null && (typeof count !== 'number' || !Number.isInteger(count))) {
          throw invalidRequest('count must be an integer');
        }
        setFault(f, typeof count === 'number' ? count : undefined);
        break;
      }
      case '/mock/latency':
        setLatency({ ttftMs: nonNegative(body.ttft_ms, 'ttft_ms'), interTokenMs: nonNegative(body.inter_token_ms, 'inter_token_ms') });
        break;
      case '/mock/reset':
        reset();
        break;
      case '/mock/load':
        load.setReported({
          waiting: nonNegative(body.waiting, 'waiting'),
          running: nonNegative(body.running, 'running'),
          kvCacheUsage: nonNegative(body.kv_cache_usage, 'kv_cache_usage'),
        });
        break;
      case '/mock/health':
        healthStatus = typeof body.status === 'number' ? body.status : 200;
        break;
      default:
        throw new HttpError(404, '{"detail":"Not Found"}');
    }
    send(res, 200, '{"ok":true}');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> {
    const path = ctx.path;
    if (path.startsWith('/mock/')) return control(path, req, res);

    const method = req.method ?? 'GET';
    const receivedAt = Date.now();
    const inference = INFERENCE_PATHS.has(path);
    // Route families kept in their own files (routes-*.ts).
    const family = method === 'POST' ? (POOLING_ROUTES[path] ?? TOKENIZE_ROUTES[path] ?? AUDIO_ROUTES[path]) : undefined;
    if (family !== undefined) return family(req, res, routeEnv, path);

    if (method === 'POST' && inference) {
      const raw = await readBody(req);
      if (ctx.closed) return;
      let body: unknown = null;
      let parsed = false;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
          parsed = true;
        } catch {
          body = raw;
        }
      }
      if (record) requests.push({ method, path, headers: req.headers, body, receivedAt });
      if (!authorized(req.headers.authorization)) {
        send(res, 401, '{"error":"Unauthorized"}');
        return;
      }
      // Steering needs the body; without a usable one, only the global fault can apply.
      const obj = parsed && isRecord(body) ? body : undefined;
      const s = obj ? steering(obj) : { fault: takeFault(), ...latency };
      if (s.fault !== undefined && applyFault(s.fault, req, res, ctx)) return;
      if (obj === undefined) {
        if (s.fault === 'drop') {
          dropAfterFlush(res, ctx);
          return;
        }
        throw invalidRequest(parsed ? 'expected a JSON object' : 'There was an error parsing the body');
      }
      // model is optional in vLLM (defaults to the served model).
      const requested = obj.model;
      if (requested !== undefined && requested !== null && requested !== model && path !== '/v1/messages') {
        throw new HttpError(404, errorJson(`The model \`${String(requested)}\` does not exist.`, 'NotFoundError', 404));
      }
      if (obj.stream_options !== undefined && obj.stream_options !== null && obj.stream !== true && path !== '/v1/embeddings') {
        throw invalidRequest('Stream options can only be defined when `stream=True`.');
      }
      // vLLM's _base_request_id: the caller's X-Request-Id, else a random id; answers' ids derive from it.
      const given = req.headers['x-request-id'];
      const baseId = typeof given === 'string' && given !== '' ? given : randomId();
      // A batch slot first (vLLM's scheduler); the answer's pace depends on how full the batch is.
      const release = await load.admit(() => ctx.closed);
      res.once('close', release);
      if (ctx.closed) return;
      s.ttftMs = load.scaled(s.ttftMs);
      s.interTokenMs = load.scaled(s.interTokenMs);
      if (path === '/v1/chat/completions') return chat(obj, res, ctx, s, baseId);
      if (path === '/v1/completions') return completions(obj, res, ctx, s, baseId);
      if (path === '/v1/responses') return responses.create(obj, res, ctx, s, nonStreamAnswer);
      if (path === '/v1/messages') return createMessage({ model, maxModelLen: opts.maxModelLen }, obj, res, ctx, s, baseId, nonStreamAnswer);
      return embeddings(obj, res, ctx, s, baseId);
    }

    // vLLM's /metrics is polled by the proxy: answered, never recorded.
    if (method === 'GET' && path === '/metrics') {
      send(res, 200, load.metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
      return;
    }
    if (record) requests.push({ method, path, headers: req.headers, body: null, receivedAt });
    if (path.startsWith('/v1') && !authorized(req.headers.authorization)) {
      send(res, 401, '{"error":"Unauthorized"}');
      return;
    }
    if (responses.byId(req, path, res)) return;
    if (method === 'GET' || method === 'HEAD') {
      switch (path) {
        case '/health':
        case '/ping':
          res.writeHead(path === '/health' ? healthStatus : 200, { 'content-length': 0 });
          res.end();
          return;
        case '/version':
          send(res, 200, versionBody);
          return;
        case '/v1/models':
          send(res, 200, modelsBody);
          return;
      }
    }
    if (method === 'POST' && path === '/ping') {
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return;
    }
    // FastAPI's defaults for unknown routes and wrong methods.
    if (inference || GET_PATHS.has(path)) throw new HttpError(405, '{"detail":"Method Not Allowed"}');
    throw new HttpError(404, '{"detail":"Not Found"}');
  }

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ctx: Ctx = { path: q === -1 ? url : url.slice(0, q), closed: false, selfDestroyed: false, cancel: undefined };
    res.on('close', () => {
      ctx.closed = true;
      if (!res.writableEnded && !ctx.selfDestroyed && !closing) aborts.push({ path: ctx.path, at: Date.now() });
      else if (res.writableEnded && INFERENCE_PATHS.has(ctx.path)) completed++;
      ctx.cancel?.();
    });
    handle(req, res, ctx).catch((err: unknown) => {
      if (ctx.closed) return;
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        send(res, err.status, err.body);
      } else {
        send(res, 500, errorJson(err instanceof Error ? err.message : String(err), 'InternalServerError', 500));
      }
    });
  });
  // 'hang' may outlast the default request timeouts; those are the client's (proxy's) business here.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // A wildcard bind is reachable on loopback; IPv6 literals need brackets in a URL.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;

  return {
    url: `${baseUrl}/v1`,
    baseUrl,
    port,
    model,
    requests,
    aborts,
    setFault,
    setLatency,
    setReportedLoad: (l) => load.setReported(l),
    setHealth: (status) => {
      healthStatus = status;
    },
    reset,
    close(): Promise<void> {
      closing = true;
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Destroying the sockets fires each request's 'close', which clears its timers.
        server.closeAllConnections();
      });
    },
  };
}
