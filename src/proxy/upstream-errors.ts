import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, ErrorType } from '../common/api-error.js';
import { TYPE_BY_STATUS } from '../common/api-exception.filter.js';
import type { BackendFault } from './cooldown-policy.js';
import type { Unavailable } from './router.service.js';

/** One failed attempt at a backend, as the proxy acts on it. */
export interface UpstreamFailure {
  /** What the client gets if no other attempt succeeds. */
  error: ApiError;
  /** Set when the backend (not the request, not the client) is at fault: counts toward its cooldown. */
  fault?: BackendFault;
  /** Worth another attempt (another deployment, or the same one again). */
  retry: boolean;
  /** Label of the upstream-error metric. */
  kind: string;
}

const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function isTimeout(err: unknown): boolean {
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

function failure(
  status: number,
  type: string,
  message: string,
  backendStatus: number,
  retry: boolean,
  kind: string,
  headers?: Record<string, string>,
): UpstreamFailure {
  return { error: new ApiError(status, type, message, null, headers), fault: { status: backendStatus, message }, retry, kind };
}

/** The backend failed before sending a status line: the deployment's timeout, or no connection. */
export function failureBeforeAnswer(err: unknown, alias: string, timeoutMs: number): UpstreamFailure {
  if (isTimeout(err)) {
    return failure(408, ErrorType.Timeout, `litellm.Timeout: Request timed out after ${timeoutMs / 1000} s waiting for model=${alias}`, 408, false, 'timeout');
  }
  const code = errorCode(err) ?? (err as Error).message;
  return failure(502, ErrorType.Upstream, `litellm.APIConnectionError: could not reach a backend for model=${alias} (${code})`, 0, true, 'connection');
}

/**
 * The backend answered with an error status. 5xx and 429 are the backend's (retried, counted);
 * 401 and 404 mean the deployment is misconfigured (counted, passed through: a retry would not help);
 * any other 4xx is the request's own fault and passes through, counted against nobody.
 */
export function failureFromStatus(status: number, bodyText: string, alias: string, headers: IncomingHttpHeaders): UpstreamFailure {
  const message = upstreamMessage(bodyText);
  const retryAfter = typeof headers['retry-after'] === 'string' ? headers['retry-after'] : '1';
  if (status === 429) {
    return failure(429, ErrorType.RateLimit, `Backend for model=${alias} is overloaded: ${message}`, 429, true, 'http_429', { 'retry-after': retryAfter });
  }
  if (status === 503) {
    return failure(503, ErrorType.ServiceUnavailable, `Backend for model=${alias} is unavailable (503): ${message}`, 503, true, 'http_5xx', {
      'retry-after': retryAfter,
    });
  }
  if (status >= 500) return failure(502, ErrorType.Upstream, `Backend for model=${alias} failed (${status}): ${message}`, status, true, 'http_5xx');
  const error = new ApiError(status, TYPE_BY_STATUS[status] ?? ErrorType.InvalidRequest, message);
  if (status === 401 || status === 404)
    return { error, fault: { status, message: `Backend for model=${alias} answered ${status}: ${message}` }, retry: false, kind: `http_${status}` };
  return { error, retry: false, kind: 'http_4xx' };
}

/** A non-streamed answer that broke off (or stalled past the timeout) after its status line. */
export function failureBrokenAnswer(err: unknown, alias: string): UpstreamFailure {
  if (isTimeout(err)) return failure(408, ErrorType.Timeout, `litellm.Timeout: Request timed out waiting for model=${alias}`, 408, false, 'timeout');
  const code = errorCode(err) ?? (err as Error).message;
  return failure(502, ErrorType.Upstream, `Backend for model=${alias} broke off its answer (${code})`, 0, false, 'broken_answer');
}

/** A stream that failed after it began (`err`), or ended without its final event (no `err`). */
export function failureMidStream(err: Error | undefined, alias: string): UpstreamFailure {
  if (!err) return failure(502, ErrorType.Upstream, `Backend for model=${alias} ended the stream before it was complete`, 0, false, 'mid_stream');
  if (isTimeout(err))
    return failure(408, ErrorType.Timeout, `litellm.Timeout: no data from the backend for model=${alias} within the timeout`, 408, false, 'timeout');
  return failure(502, ErrorType.Upstream, `Backend for model=${alias} failed mid-stream (${errorCode(err) ?? err.message})`, 0, false, 'mid_stream');
}

/**
 * No deployment can take the request: 503 (never a 429, which would read as the caller's own rate
 * limit), saying why, with the last backend error and when to come back.
 */
export function noDeploymentError(alias: string, u: Unavailable): ApiError {
  const why: string[] = [];
  if (u.cooling > 0) why.push(`${u.cooling} cooling down after backend failures${u.lastError ? ` (last error: ${u.lastError})` : ''}`);
  if (u.busy > 0) why.push(`${u.busy} at capacity (max_parallel_requests, a full upstream queue, or its tpm/rpm this minute)`);
  const message = `No deployment of model=${alias} can take the request now: ${why.join('; ')}. Retry after ${u.retryAfterSec} s.`;
  return new ApiError(503, ErrorType.ServiceUnavailable, message, null, { 'retry-after': String(u.retryAfterSec) });
}
