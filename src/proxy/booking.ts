import type { DeploymentConfig } from '../config/config.types.js';
import { costOf, type SpendEntry } from '../spend/spend-entry.js';
import type { RequestContext } from './request-context.js';

/** Bytes per token for the proxy's own estimate when no usage arrived (no tokenizer on the hot path). */
const BYTES_PER_TOKEN = 4;

/**
 * The usage to bill: what the backend reported last (the totals, or the running count of a stream
 * that ended early), or, when it reported none, the proxy's count of what it delivered.
 */
export function settleUsage(ctx: RequestContext, reported: RequestContext['usage'], eventsDelivered: number): void {
  if (reported) {
    ctx.usage = reported;
    return;
  }
  if (eventsDelivered === 0) return;
  const prompt = Math.ceil(ctx.bodyBytes / BYTES_PER_TOKEN);
  ctx.usage = { prompt_tokens: prompt, completion_tokens: eventsDelivered, total_tokens: prompt + eventsDelivered };
  ctx.usageEstimated = true;
}

/** The spend row for a request that reached a deployment: billed for the tokens it was given, whatever the outcome. */
export function spendEntryOf(ctx: RequestContext, dep: DeploymentConfig): SpendEntry {
  const usage = ctx.usage;
  const key = ctx.principal?.kind === 'virtual' ? ctx.principal.key : undefined;
  ctx.spend = costOf(dep, usage);
  const extra: Record<string, unknown> = {};
  if (ctx.errorType) extra.error_type = ctx.errorType;
  if (ctx.statusCode !== undefined) extra.status_code = ctx.statusCode;
  if (ctx.usageEstimated) extra.usage_estimated = true;
  if (ctx.responseId !== undefined) extra.response_id = ctx.responseId;
  return {
    // The answer's id when the backend derived it from ours (vLLM: `chatcmpl-<X-Request-Id>`), so
    // `/spend/logs?request_id=<answer id>` finds it; else ours. Either way unique to this request.
    requestId: ctx.responseId?.includes(ctx.callId) ? ctx.responseId : ctx.callId,
    callType: ctx.endpoint.callType,
    apiKey: key?.token ?? '',
    spend: ctx.spend,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    startTime: ctx.startTime,
    endTime: Date.now(),
    completionStartTime: ctx.firstChunkAt,
    model: dep.upstreamModel,
    modelId: dep.id,
    modelGroup: ctx.alias,
    apiBase: dep.apiBase,
    user: ctx.user,
    teamId: key?.teamId ?? null,
    status: ctx.outcome,
    metadata: {
      user_api_key_alias: key?.keyAlias ?? null,
      // The masked key (sk-...abcd), so reports can still name a key deleted since.
      user_api_key_name: key?.keyName ?? null,
      user_api_key_user_id: key?.userId ?? null,
      user_api_key_team_id: key?.teamId ?? null,
      litellm_call_id: ctx.callId,
      request_id: ctx.requestId,
      ...extra,
    },
  };
}
