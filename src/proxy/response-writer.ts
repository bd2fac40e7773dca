import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ApiError } from '../common/api-error.js';
import type { DeploymentConfig } from '../config/config.types.js';
import type { RequestContext } from './request-context.js';

/** Headers every answer from a backend carries. */
function answerHeaders(ctx: RequestContext, dep: DeploymentConfig, overheadMs: number): Record<string, string> {
  return {
    'x-request-id': ctx.requestId,
    'x-litellm-call-id': ctx.callId,
    'x-litellm-model-id': dep.id,
    'x-litellm-overhead-duration-ms': overheadMs.toFixed(3),
  };
}

export function writeWhole(
  res: ServerResponse,
  ctx: RequestContext,
  dep: DeploymentConfig,
  status: number,
  contentType: unknown,
  body: Buffer,
  overheadMs: number,
): void {
  res.writeHead(status, {
    'content-type': typeof contentType === 'string' ? contentType : 'application/json',
    'content-length': body.length,
    ...answerHeaders(ctx, dep, overheadMs),
  });
  res.end(body);
}

export function writeStreamHead(res: ServerResponse, ctx: RequestContext, dep: DeploymentConfig, overheadMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...answerHeaders(ctx, dep, overheadMs) });
  res.flushHeaders();
}

/** An error in OpenAI's envelope; once a stream has begun, only its end can be written. */
export function writeError(res: ServerResponse, ctx: RequestContext, err: ApiError, closeConnection = false): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const payload = JSON.stringify(err.body());
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': ctx.requestId,
    'x-litellm-overhead-duration-ms': (performance.now() - ctx.t0 - ctx.backendMs).toFixed(3),
    ...err.headers,
  };
  // The body was not read to its end: the connection cannot carry another request.
  if (closeConnection) headers.connection = 'close';
  res.writeHead(err.status, headers);
  res.end(payload);
}
