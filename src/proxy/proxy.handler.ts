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
import { attempt, CLIENT_SIDE } from './attempt.js';
import { spendEntryOf } from './booking.js';
import { type Endpoint, matchEndpoint, responseIdOf } from './endpoints.js';
import { FallbackChain } from './failover.js';
import { mayCall, mayCallAlias, resolveModel } from './model-alias.js';
import { BodyBudget, parseBody, readBody } from './request-body.js';
import { readUploadHead } from './multipart.js';
import { observe } from './observe.js';
import { createContext, releaseAll, type RequestContext } from './request-context.js';
import { deploymentOfResponse, deploymentsFor, responseIdFor } from './response-pins.js';
import { writeError } from './response-writer.js';
import { RouterService } from './router.service.js';
import { routeHintOf, servedOf } from './strategies/route-hint-of.js';
import type { RouteHint } from './strategies/route-hint.js';
import { clientUsageOf, SseTap } from './sse-tap.js';
import { UpstreamClient } from '../upstream/upstream.client.js';
import { noDeploymentError, type UpstreamFailure } from './upstream-errors.js';

/**
 * The `/v1` hot path, answered straight off the `node:http` request (ahead of Express and Nest's
 * pipeline) as a chain of steps: authenticate → read and check the body → resolve the alias → admit
 * (model access, budget, limits) → forward with failover → respond (whole or streamed) → book.
 * Whatever happens, the request's slots, leases and held bytes are released once, at its end.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new NestLogger('Proxy');
  readonly http: HttpLimits;
  private readonly bodies: BodyBudget;
  private readonly requestLog: Logger;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly auth: AuthService,
    private readonly registry: ModelRegistry,
    private readonly router: RouterService,
    readonly upstream: UpstreamClient,
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
      if (--pending === 0) observe(this.metrics, this.requestLog, ctx, res.statusCode);
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

  private async serve(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const principal = await this.auth.authenticate(req.headers);
    ctx.principal = principal;
    const ep = ctx.endpoint;
    if (ep.byResponseId) return this.serveStored(req, res, ctx);
    const held = (n: number) => (ctx.bodyBytes += n);
    let body: Record<string, unknown>;
    if (ep.body === 'multipart') {
      const upload = await readUploadHead(req, this.http, this.bodies, held);
      body = { ...upload.fields, model: upload.model };
      const contentType = req.headers['content-type'];
      ctx.payload = (dep) => ({ ...upload.body(dep.upstreamModel), contentType });
    } else {
      body = parseBody(await readBody(req, this.http, this.bodies, held), this.http, ep);
      const named = ep.createsResponse === true;
      ctx.payload = (dep) => {
        body.model = dep.upstreamModel;
        if (named) body.request_id = responseIdFor(ctx.callId, dep);
        return { body: JSON.stringify(body) };
      };
    }
    if (!body.model) throw ApiError.badRequest('"model" is required: the name of a model from /v1/models', 'model');
    const model = resolveModel(principal, body.model as string, this.registry);
    let group = this.registry.group(model.alias);
    if (group.length === 0) {
      throw ApiError.badRequest(`Invalid model name passed in model=${model.requested}. Call \`/v1/models\` to view available models for your key.`, 'model');
    }
    this.auth.assertModelAllowed(principal, model.requested, mayCall(principal, model, this.registry));
    // An upload's bytes are audio, not prompt: its reservation counts only the output it may write.
    await this.admit(ctx, group, body, ep.body === 'multipart' ? 0 : ctx.bodyBytes);
    ctx.alias = model.name;
    ctx.user = typeof body.user === 'string' ? body.user : '';
    if (ctx.clientGone) return;

    let tap: SseTap | undefined;
    if (ep.stream && body.stream === true) {
      if (ep.stream.injectUsage) {
        tap = new SseTap(clientUsageOf(body.stream_options), ep.stream);
        // Usage on every chunk, so a stream that ends early is billed for what it delivered; the
        // client sees only what it asked for (the tap takes the rest out).
        body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true, continuous_usage_stats: true };
      } else tap = new SseTap('continuous', ep.stream);
    }
    // A follow-up goes where its previous response lives (its id says where); a foreign id is looked for.
    if (ep.createsResponse && body.previous_response_id !== undefined) {
      const holder = deploymentOfResponse(body.previous_response_id, this.registry);
      if (holder && group.includes(holder)) group = [holder];
      else ctx.probing = true;
    }
    await this.forwardWithFallbacks(ctx, group, res, tap, routeHintOf(req, body, ctx.bodyBytes, this.router.settings));
  }

  /** Budget and rate limits of a virtual key, held until the request ends. */
  private async admit(ctx: RequestContext, group: readonly DeploymentConfig[], body: Record<string, unknown>, promptBytes: number): Promise<void> {
    const principal = ctx.principal!;
    if (principal.kind !== 'virtual') return;
    // The worst case is held against the key's, user's and team's budgets until the request is booked.
    const reservation = this.budgets.reserve(principal.key, group, body, promptBytes, ctx.endpoint.generates);
    ctx.cleanups.push(() => reservation.release());
    const lease = await this.limits.acquire(principal.key);
    ctx.cleanups.push(() => lease.release(ctx.usage ? ctx.usage.prompt_tokens + ctx.usage.completion_tokens : 0));
  }

  /**
   * GET /v1/responses/{id} and its cancel: sent to the deployment the id names (response-pins.ts); an
   * id the proxy did not make is asked of every deployment the key may use, until one has it.
   */
  private async serveStored(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    req.resume();
    const url = req.url ?? '';
    const { id } = responseIdOf(url)!;
    const q = url.indexOf('?');
    ctx.upstreamPath = ctx.endpoint.upstreamPath.replace('{id}', encodeURIComponent(id)) + (q === -1 ? '' : url.slice(q));
    const principal = ctx.principal!;
    const holder = deploymentOfResponse(id, this.registry);
    let group: readonly DeploymentConfig[];
    if (holder) {
      this.auth.assertModelAllowed(principal, holder.modelName, mayCallAlias(principal, holder.modelName, this.registry));
      group = [holder];
    } else {
      group = deploymentsFor(principal, this.registry);
      ctx.probing = true;
    }
    await this.admit(ctx, group, {}, 0);
    ctx.alias = holder?.modelName ?? group[0]?.modelName ?? '';
    if (group.length === 0) throw new ApiError(404, ErrorType.NotFound, `Response with id '${id}' not found.`, 'response_id');
    if (ctx.clientGone) return;
    await this.forwardWithFallbacks(ctx, group, res, undefined, { inputTokens: 0, stream: false });
  }

  /** The alias's deployments, then LiteLLM's fallbacks (failover.ts) while nothing reached the client. */
  private async forwardWithFallbacks(
    ctx: RequestContext,
    group: readonly DeploymentConfig[],
    res: ServerResponse,
    tap: SseTap | undefined,
    hint: RouteHint,
  ): Promise<void> {
    let failure = await this.forward(ctx, group, res, tap, hint);
    if (!failure) return;
    // An upload's body is streamed once; a stored response lives on one deployment: no fallbacks for either.
    const single = ctx.endpoint.body !== 'json';
    // Built only once the alias has failed: a request that is served allocates nothing here.
    const rules = this.registry.rules;
    const chain = new FallbackChain(rules, ctx.alias);
    const principal = ctx.principal!;
    const usable = (name: string) => {
      const next = resolveModel({ kind: 'master' }, name, this.registry);
      return this.registry.group(next.alias).length > 0 && (!rules.enforceFallbackModelAccess || mayCall(principal, next, this.registry));
    };
    while (failure && !single && !res.headersSent && !ctx.clientGone) {
      const next = chain.next(ctx.alias, failure, usable);
      if (next === undefined) break;
      // The spend row's model_group is the group that served, as LiteLLM books a fallback.
      ctx.alias = next;
      failure = await this.forward(ctx, this.registry.group(this.registry.resolve(next)), res, tap, hint);
    }
    if (!failure) return;
    ctx.errorType = failure.error.type;
    if (!res.headersSent) ctx.statusCode = failure.error.status;
    writeError(res, ctx, failure.error);
  }

  /** Tries deployments of the alias in the router's order until one answers or the retries are spent; else why not. */
  private async forward(
    ctx: RequestContext,
    group: readonly DeploymentConfig[],
    res: ServerResponse,
    tap: SseTap | undefined,
    hint: RouteHint,
  ): Promise<UpstreamFailure | undefined> {
    const settings = this.router.settings;
    const { requestTimeoutMs } = settings;
    // An upload is streamed once: no second try. Probing for a response id asks each deployment once.
    const numRetries = ctx.endpoint.body === 'multipart' ? 0 : ctx.probing ? Math.max(settings.numRetries, group.length - 1) : settings.numRetries;
    const tried = new Set<string>();
    let last: UpstreamFailure | undefined;
    for (let n = 0; n <= numRetries; n++) {
      let pick = this.router.pick(group, tried, hint);
      if ('exhausted' in pick && tried.size > 0 && !ctx.probing) {
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
      if (ctx.endpoint.byResponseId) ctx.alias = dep.modelName;
      const timeoutMs = dep.timeoutMs ?? requestTimeoutMs;
      const tUp = performance.now();
      this.router.started(dep);
      try {
        last = await attempt(this, ctx, dep, timeoutMs, res, tap, tUp);
      } finally {
        this.router.finished(dep);
      }
      if (!last) {
        this.router.succeeded(dep, servedOf(ctx, tUp, tap !== undefined));
        return undefined;
      }
      // A 404 while probing means "not here", not a broken backend.
      const elsewhere = ctx.probing && last.error.status === 404;
      // Only a backend's own fault counts toward its cooldown: never the request's 4xx, never a client that left.
      if (last.fault && !elsewhere) {
        this.router.failed(dep, last.fault);
        this.metrics.upstreamError(ctx.alias, last.kind);
      }
      if ((!last.retry && !elsewhere) || ctx.clientGone) break;
    }
    if (last === CLIENT_SIDE || ctx.clientGone) {
      ctx.errorType ??= 'client_disconnected';
      return undefined;
    }
    return last ?? { retry: false, kind: 'none', error: new ApiError(502, ErrorType.Upstream, `No backend answered for model=${ctx.alias}`) };
  }
}
