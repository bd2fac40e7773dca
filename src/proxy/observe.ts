import { performance } from 'node:perf_hooks';
import type { Logger } from '../common/logger.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RequestContext } from './request-context.js';

/** One log line (never prompts, completions or keys; `log` is the requestLogger) and one metrics observation per request. */
export function observe(metrics: MetricsService, log: Logger, ctx: RequestContext, status: number): void {
  const ms = performance.now() - ctx.t0;
  const model = ctx.alias || 'unknown';
  const tokensIn = ctx.usage?.prompt_tokens ?? 0;
  const tokensOut = ctx.usage?.completion_tokens ?? 0;
  const ttftMs = ctx.firstChunkAt === null ? null : ctx.firstChunkAt - ctx.startTime;
  metrics.finished(model, status, ms / 1000, ttftMs === null ? null : ttftMs / 1000, tokensIn, tokensOut, ctx.spend);
  log.info(
    {
      req_id: ctx.requestId,
      model,
      deployment: ctx.deployment?.id,
      status,
      ms: Math.round(ms * 10) / 10,
      tokens_in: tokensIn,
      tokens_out: tokensOut,
      ttft_ms: ttftMs ?? undefined,
      error_type: ctx.errorType,
    },
    'request',
  );
}
