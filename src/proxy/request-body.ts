import type { IncomingMessage } from 'node:http';
import { ApiError, ErrorType } from '../common/api-error.js';
import type { HttpLimits } from '../config/config.types.js';
import type { Endpoint } from './endpoints.js';

/**
 * Request-body bytes held by /v1 requests at once, across the process: a handful of clients sending
 * 32 MiB bodies must not be able to exhaust memory. A request holds its bytes until it ends.
 */
export class BodyBudget {
  private held = 0;

  constructor(private readonly max: number) {}

  get inFlight(): number {
    return this.held;
  }

  /** Takes `bytes`, or throws 503 when the budget is spent. */
  take(bytes: number): void {
    if (this.held + bytes > this.max) {
      throw new ApiError(503, ErrorType.ServiceUnavailable, 'The proxy is receiving too much request data at once; retry shortly.', null, {
        'retry-after': '1',
      });
    }
    this.held += bytes;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}

/** A body over MAX_REQUEST_BODY_BYTES. */
export function tooLarge(max: number): ApiError {
  return new ApiError(413, ErrorType.InvalidRequest, `Request body too large: the limit is ${max} bytes (MAX_REQUEST_BODY_BYTES).`);
}

/**
 * Counts a body as it arrives, within `limits.maxBodyBytes`, taking each held chunk from the
 * in-flight budget; `held` hears what was taken, so the caller gives it back when the request ends
 * (whatever happens). Refuses a declared length over the limit before anything is read.
 */
export class BodyMeter {
  size = 0;
  readonly max: number;

  constructor(
    req: IncomingMessage,
    limits: HttpLimits,
    private readonly budget: BodyBudget,
    private readonly held: (bytes: number) => void,
  ) {
    this.max = limits.maxBodyBytes;
    if (Number(req.headers['content-length']) > this.max) throw tooLarge(this.max);
  }

  /** Counts and holds a chunk; throws 413 past the limit, 503 when the budget is spent. */
  take(c: Buffer): void {
    this.size += c.length;
    if (this.size > this.max) throw tooLarge(this.max);
    this.budget.take(c.length);
    this.held(c.length);
  }
}

/** Reads a /v1 body whole, metered (see BodyMeter). */
export function readBody(req: IncomingMessage, limits: HttpLimits, budget: BodyBudget, held: (bytes: number) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const meter = new BodyMeter(req, limits, budget, held);
    const chunks: Buffer[] = [];
    const fail = (err: unknown) => {
      req.off('data', onData);
      reject(err);
    };
    const onData = (c: Buffer) => {
      try {
        meter.take(c);
      } catch (err) {
        return fail(err);
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

/** Nesting depth of objects and arrays, stopping as soon as it passes `max` (no recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
    } else {
      for (const key in v as Record<string, unknown>) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      }
    }
  }
  return false;
}

/**
 * The body as the proxy needs it: a JSON object with a `model`, a `stream` both sides agree on, and
 * the endpoint's list (chat `messages`) an array — else the backend's own message would be vaguer.
 */
export function parseBody(raw: Buffer, limits: HttpLimits, endpoint?: Pick<Endpoint, 'listField'>): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw ApiError.badRequest(`Invalid JSON in request body: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('Request body must be a JSON object');
  if (deeperThan(body, limits.maxJsonDepth)) {
    throw ApiError.badRequest(`Request body is nested too deeply: at most ${limits.maxJsonDepth} levels of objects and arrays (MAX_JSON_DEPTH).`);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') throw ApiError.badRequest('"model" is required: the name of a model from /v1/models', 'model');
  // vLLM would read 1 or "true" as true: refuse, so proxy and backend never disagree on streaming.
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw ApiError.badRequest(`"stream" must be true or false, got ${JSON.stringify(b.stream)}`, 'stream');
  }
  const opts = b.stream_options;
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    throw ApiError.badRequest('"stream_options" must be an object such as {"include_usage": true}', 'stream_options');
  }
  const list = endpoint?.listField;
  if (list && !Array.isArray(b[list.name])) {
    const value = b[list.name];
    const what = `an array of ${list.name} such as ${list.example}`;
    const got = JSON.stringify(value) ?? String(value);
    const shown = got.length > 80 ? `${got.slice(0, 80)}…` : got;
    throw ApiError.badRequest(value === undefined ? `"${list.name}" is required: ${what}` : `"${list.name}" must be ${what}, got ${shown}`, list.name);
  }
  return b;
}
