import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../common/api-error.js';
import type { DeploymentConfig, HttpLimits } from '../config/config.types.js';
import { UpstreamCall } from '../upstream/upstream-call.js';
import type { UpstreamClient } from '../upstream/upstream.client.js';
import { settleUsage } from './booking.js';
import type { RequestContext } from './request-context.js';
import { writeStreamHead, writeWhole } from './response-writer.js';
import { SseTap } from './sse-tap.js';
import { dropIfUnread, relayStream } from './stream-relay.js';
import { failureBeforeAnswer, failureBrokenAnswer, failureFromStatus, type UpstreamFailure } from './upstream-errors.js';
import { extractId, extractUsage } from './usage.js';

/** The attempt ended on the client's side (gone, or stalled): nothing to answer, nothing to retry. */
export const CLIENT_SIDE: UpstreamFailure = { retry: false, kind: 'client', error: new ApiError(499, 'client_disconnected', 'The client went away') };

/** What one attempt needs from the handler. */
export interface AttemptDeps {
  upstream: UpstreamClient;
  http: HttpLimits;
}

const isEventStream = (type: unknown) => typeof type === 'string' && type.startsWith('text/event-stream');

/**
 * One deployment's try: undefined when it answered the client (whole, or streamed through `tap`),
 * else why not. An SSE answer to a request that did not ask for one in JSON (a form's `stream=true`,
 * a stored response fetched with `?stream=true`) is relayed as it is.
 */
export async function attempt(
  deps: AttemptDeps,
  ctx: RequestContext,
  dep: DeploymentConfig,
  timeoutMs: number,
  res: ServerResponse,
  tap: SseTap | undefined,
  tUp: number,
): Promise<UpstreamFailure | undefined> {
  const up = new UpstreamCall();
  ctx.upstream = up;
  const ep = ctx.endpoint;
  deps.upstream.dispatch(
    { deployment: dep, path: ctx.upstreamPath, fromRoot: ep.base === 'root', method: ep.method, ...ctx.payload(dep), timeoutMs, requestId: ctx.callId },
    up,
  );
  if (ctx.clientGone) up.abort();
  try {
    await up.started;
  } catch (err) {
    ctx.backendMs += performance.now() - tUp;
    return ctx.clientGone ? CLIENT_SIDE : failureBeforeAnswer(err, ctx.alias, timeoutMs);
  }
  if (up.status >= 400) {
    const text = await up.collect().then(
      (b) => b.toString('utf8'),
      () => '',
    );
    ctx.backendMs += performance.now() - tUp;
    return ctx.clientGone ? CLIENT_SIDE : failureFromStatus(up.status, text, ctx.alias, up.headers);
  }
  if (!tap && ep.stream && isEventStream(up.headers['content-type'])) tap = new SseTap('continuous', ep.stream);
  if (tap) {
    writeStreamHead(res, ctx, dep, tUp - ctx.t0 - ctx.backendMs);
    const end = await relayStream(res, ctx, up, tap, deps.http.streamStallTimeoutMs);
    ctx.responseId = tap.id;
    if (!ep.unbilled) settleUsage(ctx, tap.usage, tap.events);
    if (!end.ok) return end.failure ?? CLIENT_SIDE;
  } else {
    let buf: Buffer;
    try {
      buf = await up.collect();
    } catch (err) {
      ctx.backendMs += performance.now() - tUp;
      return ctx.clientGone ? CLIENT_SIDE : failureBrokenAnswer(err, ctx.alias);
    }
    const tDone = performance.now();
    if (!ep.unbilled) ctx.usage = extractUsage(buf);
    ctx.responseId = extractId(buf);
    writeWhole(res, ctx, dep, up.status, up.headers['content-type'], buf, performance.now() - ctx.t0 - ctx.backendMs - (tDone - tUp));
  }
  ctx.outcome = 'success';
  dropIfUnread(res, deps.http.streamStallTimeoutMs);
  return undefined;
}
