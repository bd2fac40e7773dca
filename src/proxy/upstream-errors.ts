import { ApiError, ErrorType } from '../common/api-error.js';
import { TYPE_BY_STATUS } from '../common/api-exception.filter.js';

const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** What a failed attempt means: the client's error, whether another deployment may be tried, the metric label. */
export interface UpstreamFailure {
  error: ApiError;
  /** `model_proxy_upstream_errors_total{kind}`; undefined when the request itself was at fault (a 4xx). */
  kind?: string;
  /** Another deployment may succeed where this one failed. */
  retryable: boolean;
}

export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

export function isTimeout(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && TIMEOUT_ERRORS.has(code);
}

/** The message a backend put in its error body (vLLM: `{"error": {"message"}}`; older: `{"message"}`). */
export function upstreamMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    if (parsed.error && typeof parsed.error === 'object' && typeof parsed.error.message === 'string') return parsed.error.message;
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
    if (parsed.detail !== undefined) return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 1000) || 'no message';
}

/** The backend failed before its status line: unreachable, reset, or past its timeout. */
export function failedToAnswer(err: unknown, alias: string, timeoutMs: number): UpstreamFailure {
  if (isTimeout(err)) {
    return { kind: 'timeout', retryable: false, error: new ApiError(408, ErrorType.Timeout, `litellm.Timeout: Request timed out after ${timeoutMs / 1000} s waiting for model=${alias}`) };
  }
  const code = errorCode(err) ?? (err as Error).message;
  return { kind: 'connection', retryable: true, error: new ApiError(502, ErrorType.Upstream, `litellm.APIConnectionError: could not reach a backend for model=${alias} (${code})`) };
}

/** The backend answered with an error status; `text` is its body. */
export function answeredWithError(status: number, text: string, alias: string): UpstreamFailure {
  const message = upstreamMessage(text);
  if (status === 429) {
    return { kind: 'http_429', retryable: true, error: new ApiError(429, ErrorType.RateLimit, `Backend for model=${alias} is overloaded: ${message}`, null, { 'retry-after': '1' }) };
  }
  if (status >= 500) {
    return { kind: 'http_5xx', retryable: true, error: new ApiError(502, ErrorType.Upstream, `Backend for model=${alias} failed (${status}): ${message}`) };
  }
  // The request's own fault (vLLM's 400 for a bad parameter, 404 for a model it does not serve): passed through.
  return { retryable: false, error: new ApiError(status, TYPE_BY_STATUS[status] ?? ErrorType.InvalidRequest, message) };
}

/** The backend broke off an answer it had begun (a whole body, or a stream). */
export function brokeOff(err: unknown, alias: string, streaming: boolean): UpstreamFailure {
  if (isTimeout(err)) {
    const what = streaming ? `no data from the backend for model=${alias} within the timeout` : `Request timed out waiting for model=${alias}`;
    return { kind: 'timeout', retryable: false, error: new ApiError(408, ErrorType.Timeout, `litellm.Timeout: ${what}`) };
  }
  const code = errorCode(err) ?? (err as Error).message;
  return streaming
    ? { kind: 'mid_stream', retryable: false, error: new ApiError(502, ErrorType.Upstream, `Backend for model=${alias} failed mid-stream (${code})`) }
    : { kind: 'broken_answer', retryable: false, error: new ApiError(502, ErrorType.Upstream, `Backend for model=${alias} broke off its answer (${code})`) };
}
