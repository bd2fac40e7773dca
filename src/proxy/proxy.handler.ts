import { Inject, Injectable, Logger as NestLogger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AuthService } from '../auth/auth.service.js';
import { ApiError, ErrorType } from '../common/api-error.js';
import { toApiError } from '../common/api-exception.filter.js';
import { LOGGER, type Logger, requestLogger } from '../common/logger.js';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type HttpLimits } from '../config/config.types.js';
import { LimitsService } from '../limits/limits.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BudgetService } from '../spend/budget.service.js';
import { SpendWriter } from '../spend/spend-writer.service.js';
import { settleUsage, spendEntryOf } from './booking.js';
import { type Endpoint, matchEndpoint } from './endpoints.js';
import { FallbackChain } from './failover.js';
import { mayCall, resolveModel } from './model-alias.js';
import { BodyBudget, parseBody, readBody } from './request-body.js';
import { createContext, releaseAll, type RequestContext } from './request-context.js';
import { writeError, writeStreamHead, writeWhole } from './response-writer.js';
import { RouterService } from './router.service.js';
import { routeHintOf, servedOf } from './strategies/route-hint-of.js';
import type { RouteHint } from './strategies/route-hint.js';
import { clientUsageOf, SseTap } from './sse-tap.js';
import { dropIfUnread, relayStream } from './stream-relay.js';
import { UpstreamCall } from '../upstream/upstream-call.js';
import { UpstreamClient } from '../upstream/upstream.client.js';
import { failureBeforeAnswer, failureBrokenAnswer, failureFromStatus, noDeploymentError, type UpstreamFailure } from './upstream-errors.js';
import { extractId, extractUsage } from './usage.js';

/** The attempt ended on the client's side (gone, or stalled): nothing to answer, nothing to retry. */
const CLIENT_SIDE: UpstreamFailure = { retry: false, kind: 'client', error: new ApiError(499, 'client_disconnected', 'The client went away') };

/**
 * The `/v1` hot path, answered straight off the `node:http` request (ahead of Express and Nest's
 * pipeline) as a chain of steps: authenticate → read and check the body → resolve the alias → admit
 * (model access, budget, limits) → forward with failover → respond (whole or streamed) → book.
 * Whatever happens, the request's slots, leases and held bytes are released once, at its end.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new NestLogger('Proxy');
  private readonly http: HttpLimits;
  private readonly bodies: BodyBudget;
  private readonly requestLog: Logger;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly auth: AuthService,
    private readonly registry: ModelRegistry,
    private readonly router: RouterService,
    private readonly upstream: UpstreamClient,
    private readonly budgets: BudgetService,
    private readonly spend: SpendWriter,
    private readonly limits: LimitsService,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) log: Logger,
  ) {
    this.requestLog = requestLogger(log);
    this.http = config.http;
    this.bodies = new BodyBudget(config.http.maxInflightBodyBytes);
  }

  /** The endpoint this request is for, when the fast path serves it. */
  match(req: IncomingMessage): Endpoint | undefined {
    return matchEndpoint(req);
  }

  handle(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
    const ctx = createContext(req, endpoint);
    this.metrics.started();
    ctx.cleanups.push(() => this.bodies.give(ctx.bodyBytes));
    // Observed once both the connection and the request's own work are done.
    let pending = 2;
    const done = () => {
      if (--pending === 0) this.observe(ctx, res.statusCode);
    };
    // Attached first, so a client that leaves while its key or body is still being read is seen too.
    res.once('close', () => {
      if (!res.writableFinished) {
        ctx.clientGone = true;
        ctx.upstream?.abort();
      }
      done();
    });
    this.serve(req, res, ctx)
      .catch((err: unknown) => {
        const error = toApiError(err, this.logger);
        // A body refused part-way is not read further: the connection closes after the answer.
        const unread = !req.complete && (error.status === 413 || error.status === 503);
        if (!unread) req.resume();
        writeError(res, ctx, error, unread);
      })
      .finally(() => {
        if (ctx.deployment) this.spend.book(spendEntryOf(ctx, ctx.deployment));
        releaseAll(ctx);
        done();
      });
  }

  /** One log line (never prompts, completions or keys) and one metrics observation per request. */
  private observe(ctx: RequestContext, status: number): void {
    const ms = performance.now() - ctx.t0;
    const model = ctx.alias || 'unknown';
    const tokensIn = ctx.usage?.prompt_tokens ?? 0;
    const tokensOut = ctx.usage?.completion_tokens ?? 0;
    const ttftMs = ctx.firstChunkAt === null ? null : ctx.firstChunkAt - ctx.startTime;
    this.metrics.finished(model, status, ms / 1000, ttftMs === null ? null : ttftMs / 1000, tokensIn, tokensOut, ctx.spend);
    this.requestLog.info(
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

  private async serve(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const principal = await this.auth.authenticate(req.headers);
    ctx.principal = principal;
    const body = parseBody(await readBody(req, this.http, this.bodies, (n) => (ctx.bodyBytes += n)), this.http, ctx.endpoint);
    const model = resolveModel(principal, body.model as string, this.registry);
    const group = this.registry.group(model.alias);
    if (group.length === 0) {
      throw ApiError.badRequest(`Invalid model name passed in model=${model.requested}. Call \`/v1/models\` to view available models for your key.`, 'model');
    }
    this.auth.assertModelAllowed(principal, model.requested, mayCall(principal, model, this.registry));
    if (principal.kind === 'virtual') {
      // The worst case is held against the key's, user's and team's budgets until the request is booked.
      const reservation = this.budgets.reserve(principal.key, group, body, ctx.bodyBytes, ctx.endpoint.streamable);
      ctx.cleanups.push(() => reservation.release());
      const lease = await this.limits.acquire(principal.key);
      ctx.cleanups.push(() => lease.release(ctx.usage ? ctx.usage.prompt_tokens + ctx.usage.completion_tokens : 0));
    }
    ctx.alias = model.name;
    ctx.user = typeof body.user === 'string' ? body.user : '';
    if (ctx.clientGone) return;

    let tap: SseTap | undefined;
    if (ctx.endpoint.streamable && body.stream === true) {
      tap = new SseTap(clientUsageOf(body.stream_options));
      // Usage on every chunk, so a stream that ends early is billed for what it delivered; the
      // client sees only what it asked for (the tap takes the rest out).
      body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true, continuous_usage_stats: true };
    }
    await this.forwardWithFallbacks(ctx, body, group, res, tap, routeHintOf(req, body, ctx.bodyBytes, this.router.settings));
  }

  /** The alias's deployments, then LiteLLM's fallbacks (failover.ts) while nothing reached the client. */
  private async forwardWithFallbacks(
    ctx: RequestContext,
    body: Record<string, unknown>,
    group: readonly DeploymentConfig[],
    res: ServerResponse,
    tap: SseTap | undefined,
    hint: RouteHint,
  ): Promise<void> {
    let failure = await this.forward(ctx, body, group, res, tap, hint);
    if (!failure) return;
    // Built only once the alias has failed: a request that is served allocates nothing here.
    const rules = this.registry.rules;
    const chain = new FallbackChain(rules, ctx.alias);
    const principal = ctx.principal!;
    const usable = (name: string) => {
      const next = resolveModel({ kind: 'master' }, name, this.registry);
      return this.registry.group(next.alias).length > 0 && (!rules.enforceFallbackModelAccess || mayCall(principal, next, this.registry));
    };
    while (failure && !res.headersSent && !ctx.clientGone) {
      const next = chain.next(ctx.alias, failure, usable);
      if (next === undefined) break;
      // The spend row's model_group is the group that served, as LiteLLM books a fallback.
      ctx.alias = next;
      failure = await this.forward(ctx, body, this.registry.group(this.registry.resolve(next)), res, tap, hint);
    }
    if (!failure) return;
    ctx.errorType = failure.error.type;
    if (!res.headersSent) ctx.statusCode = failure.error.status;
    writeError(res, ctx, failure.error);
  }

  /** Tries deployments of the alias in the router's order until one answers or the retries are spent; else why not. */
  private async forward(
    ctx: RequestContext,
    body: Record<string, unknown>,
    group: readonly DeploymentConfig[],
    res: ServerResponse,
    tap: SseTap | undefined,
    hint: RouteHint,
  ): Promise<UpstreamFailure | undefined> {
    const { numRetries, requestTimeoutMs } = this.router.settings;
    const tried = new Set<string>();
    let last: UpstreamFailure | undefined;
    for (let attempt = 0; attempt <= numRetries; attempt++) {
      let pick = this.router.pick(group, tried, hint);
      if ('exhausted' in pick && tried.size > 0) {
        // Every deployment was tried once: retry among them again (a transient 5xx may pass).
        tried.clear();
        pick = this.router.pick(group, tried, hint);
      }
      if (!('deployment' in pick)) {
        if ('unavailable' in pick) last ??= { retry: false, kind: 'unavailable', error: noDeploymentError(ctx.alias, pick.unavailable) };
        break;
      }
      const dep = pick.deployment;
      tried.add(dep.id);
      ctx.deployment = dep;
      body.model = dep.upstreamModel;
      const timeoutMs = dep.timeoutMs ?? requestTimeoutMs;
      const payload = JSON.stringify(body);
      const tUp = performance.now();
      this.router.started(dep);
      try {
        last = await this.attempt(ctx, dep, payload, timeoutMs, res, tap, tUp);
      } finally {
        this.router.finished(dep);
      }
      if (!last) {
        this.router.succeeded(dep, servedOf(ctx, tUp, tap !== undefined));
        return undefined;
      }
      // Only a backend's own fault counts toward its cooldown: never the request's 4xx, never a client that left.
      if (last.fault) {
        this.router.failed(dep, last.fault);
        this.metrics.upstreamError(ctx.alias, last.kind);
      }
      if (!last.retry || ctx.clientGone) break;
    }
    if (last === CLIENT_SIDE || ctx.clientGone) {
      ctx.errorType ??= 'client_disconnected';
      return undefined;
    }
    return last ?? { retry: false, kind: 'none', error: new ApiError(502, ErrorType.Upstream, `No backend answered for model=${ctx.alias}`) };
  }

  /** One deployment's try: undefined when it answered the client, else why not. */
  private async attempt(
    ctx: RequestContext,
    dep: DeploymentConfig,
    payload: string,
    timeoutMs: number,
    res: ServerResponse,
    tap: SseTap | undefined,
    tUp: number,
  ): Promise<UpstreamFailure | undefined> {
    const up = new UpstreamCall();
    ctx.upstream = up;
    this.upstream.dispatch({ deployment: dep, path: ctx.endpoint.upstreamPath, body: payload, timeoutMs, requestId: ctx.callId }, up);
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
    if (tap) {
      writeStreamHead(res, ctx, dep, tUp - ctx.t0 - ctx.backendMs);
      const end = await relayStream(res, ctx, up, tap, this.http.streamStallTimeoutMs);
      ctx.responseId = tap.id;
      settleUsage(ctx, tap.usage, tap.events);
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
      ctx.usage = extractUsage(buf);
      ctx.responseId = extractId(buf);
      writeWhole(res, ctx, dep, up.status, up.headers['content-type'], buf, performance.now() - ctx.t0 - ctx.backendMs - (tDone - tUp));
    }
    ctx.outcome = 'success';
    dropIfUnread(res, this.http.streamStallTimeoutMs);
    return undefined;
  }
}
