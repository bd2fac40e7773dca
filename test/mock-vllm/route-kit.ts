// What the route families in routes-*.ts share: the mock's state they may use, and the JSON-route
// wrapper (read, record, authenticate, check the model, answer), as vLLM's FastAPI routes do.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest } from './mock-vllm.js';
import { HttpError, errorJson, invalidRequest, isRecord, randomId, readBody, send } from './mock-vllm.js';

export interface RouteEnv {
  /** The served model id. */
  model: string;
  maxModelLen: number;
  /** Appends to `mock.requests` (a no-op with `record: false`). */
  record(r: RecordedRequest): void;
  /** vLLM's verify_token for `Authorization`. */
  authorized(header: string | undefined): boolean;
}

export type Route = (req: IncomingMessage, res: ServerResponse, env: RouteEnv, path: string) => Promise<void>;

/**
 * vLLM's AuthenticationMiddleware guards `GUARDED_PREFIX = ("/v1", "/v2", "/inference", "/cohere")`
 * (vllm/entrypoints/serve/middleware/authenticate.py), so /v2/rerank needs the key but /rerank, /score,
 * /pooling, /classify, /tokenize and /detokenize never do. Answers 401 `{"error":"Unauthorized"}` if refused.
 */
export function refuseUnauthorized(req: IncomingMessage, res: ServerResponse, env: RouteEnv, path: string): boolean {
  if (!(path.startsWith('/v1') || path.startsWith('/v2'))) return false;
  if (env.authorized(req.headers.authorization)) return false;
  send(res, 401, '{"error":"Unauthorized"}');
  return true;
}

/** `_check_model` (vllm/entrypoints/openai/engine/serving.py): `model` is optional, another one is a 404. */
export function checkModel(requested: unknown, env: RouteEnv): void {
  if (requested !== undefined && requested !== null && requested !== env.model) {
    throw new HttpError(404, errorJson(`The model \`${String(requested)}\` does not exist.`, 'NotFoundError', 404));
  }
}

/** vLLM's `_base_request_id`: the caller's X-Request-Id, else a random id; answers' ids derive from it. */
export function baseRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && given !== '' ? given : randomId();
}

export type JsonAnswer = (body: Record<string, unknown>, env: RouteEnv, baseId: string) => unknown;

/** A POST route taking and answering JSON (vLLM's `validate_json_request` routes). */
export function jsonRoute(answer: JsonAnswer): Route {
  return async (req, res, env, path) => {
    const receivedAt = Date.now();
    const raw = await readBody(req);
    let body: unknown = raw === '' ? null : raw;
    let parsed = false;
    try {
      if (raw !== '') {
        body = JSON.parse(raw);
        parsed = true;
      }
    } catch {
      // kept as the raw string
    }
    env.record({ method: req.method ?? 'POST', path, headers: req.headers, body, receivedAt });
    if (refuseUnauthorized(req, res, env, path)) return;
    // validate_json_request (vllm/entrypoints/openai/utils.py; a 415 HTTPException in older releases).
    const media = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
    if (media !== 'application/json') throw invalidRequest("Unsupported Media Type: Only 'application/json' is allowed");
    if (!parsed || !isRecord(body)) throw invalidRequest(parsed ? 'expected a JSON object' : 'There was an error parsing the body');
    checkModel(body.model, env);
    send(res, 200, JSON.stringify(answer(body, env, baseRequestId(req))));
  };
}

/** pydantic's refusals of a missing field and one of the wrong type, as vLLM passes them on (400). */
export function required(body: Record<string, unknown>, field: string): unknown {
  const v = body[field];
  if (v === undefined || v === null) throw invalidRequest(`Field required: ${field}`);
  return v;
}

export function stringList(v: unknown, field: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw invalidRequest(`Input should be a valid string or list of strings: ${field}`);
}

/** vLLM's UsageInfo for pooling answers: no completion, `prompt_tokens_details` null. */
export function poolingUsage(prompt: number): Record<string, unknown> {
  return { prompt_tokens: prompt, total_tokens: prompt, completion_tokens: 0, prompt_tokens_details: null };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
