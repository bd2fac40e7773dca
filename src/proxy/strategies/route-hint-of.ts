import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RouterSettings } from '../../config/config.types.js';
import type { RequestContext } from '../request-context.js';
import type { RouteHint, Served } from './route-hint.js';

/** The router's view of a request, from the body the handler already parsed (never parsed again). */
export function routeHintOf(req: IncomingMessage, body: Record<string, unknown>, bodyBytes: number, settings: RouterSettings): RouteHint {
  let sessionKey: string | undefined;
  if (settings.load.sessionAffinity) {
    const name = settings.load.sessionAffinityHeader;
    const header = name ? req.headers[name] : undefined;
    if (typeof header === 'string' && header !== '') sessionKey = header;
    else if (typeof body.user === 'string' && body.user !== '') sessionKey = body.user;
  }
  return { sessionKey, inputTokens: Math.ceil(bodyBytes / 4), stream: body.stream === true };
}

/** How the attempt that started at `tUp` (performance.now()) went, for the latency and usage strategies. */
export function servedOf(ctx: RequestContext, tUp: number, stream: boolean): Served {
  const ms = performance.now() - tUp;
  const sentAt = ctx.startTime + (tUp - ctx.t0);
  return {
    ms,
    ttftMs: stream && ctx.firstChunkAt !== null ? Math.max(0, ctx.firstChunkAt - sentAt) : undefined,
    completionTokens: ctx.usage?.completion_tokens ?? 0,
    totalTokens: ctx.usage ? ctx.usage.prompt_tokens + ctx.usage.completion_tokens : 0,
  };
}
