import { Inject, Injectable, Logger as NestLogger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AuthService } from '../auth/auth.service.js';
import type { Principal } from '../auth/principal.js';
import { ApiError, ErrorType } from '../common/api-error.js';
import { toApiError } from '../common/api-exception.filter.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { requestIdFor } from '../common/request-id.js';
import { APP_CONFIG, type AppConfig, type DeploymentConfig } from '../config/config.types.js';
import { type Lease, LimitsService } from '../limits/limits.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BudgetService } from '../spend/budget.service.js';
import { type BudgetLease, NO_BUDGET_LEASE } from '../spend/reservations.js';
import { costOf, type Usage } from '../spend/spend-entry.js';
import { SpendWriter } from '../spend/spend-writer.service.js';
import { RouterService } from './router.service.js';
import { SseTap } from './sse-tap.js';
import { UpstreamCall } from './upstream-call.js';
import { UpstreamClient } from './upstream.client.js';
import { extractId, extractUsage } from './usage.js';

interface Endpoint {
  upstreamPath: string;
  callType: string;
  streamable: boolean;
}

const CHAT: Endpoint = { upstreamPath: '/chat/completions', callType: 'acompletion', streamable: true };
const TEXT: Endpoint = { upstreamPath: '/completions', callType: 'atext_completion', streamable: true };
const EMBED: Endpoint = { upstreamPath: '/embeddings', callType: 'aembedding', streamable: false };
const ENDPOINTS = new Map<string, Endpoint>([
  ['/v1/chat/completions', CHAT],
  ['/chat/completions', CHAT],
  ['/v1/completions', TEXT],
  ['/completions', TEXT],
  ['/v1/embeddings', EMBED],
  ['/embeddings', EMBED],
]);

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const STATUS_TYPES: Record<number, string> = { 400: ErrorType.InvalidRequest, 401: ErrorType.Authentication, 403: ErrorType.Permission, 404: ErrorType.NotFound, 422: ErrorType.InvalidRequest, 429: ErrorType.RateLimit };

/** What one request's log line and metrics say; filled in as the request goes. */
interface Trace {
  requestId: string;
  /** Set once the alias is known to exist, so metric labels stay bounded whatever clients send. */
  alias: string;
  deployment: string;
  tokensIn: number;
  tokensOut: number;
  spend: number;
  ttftMs: number | null;
  errorType?: string;
}

/** State of one request through the proxy. */
interface Call {
  trace: Trace;
  /** Echoed as `x-request-id` (the caller's own id when it sent one). */
  requestId: string;
  /** Ours alone: the spend row's id when the backend gave none. */
  callId: string;
  t0: number;
  /** Time spent waiting on backends in failed attempts: not the proxy's overhead. */
  backendMs: number;
  startTime: number;
  endpoint: Endpoint;
  principal: Principal;
  alias: string;
  user: string;
  /** The client went away; `upstream` is the backend call to stop. */
  aborted: boolean;
  upstream?: UpstreamCall;
  lease: Lease;
  /** The budget reservation, released when the request ends. */
  budget: BudgetLease;
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, ErrorType.InvalidRequest, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The message a backend put in its error body (vLLM: `{"error": {"message"}}`; older: `{"message"}`). */
function upstreamMessage(text: string): string {
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

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

/**
 * The `/v1` hot path, answered straight off the `node:http` request (ahead of Express and Nest's
 * pipeline): auth from the in-process cache, one JSON parse, `model` rewritten, forwarded through a
 * pooled undici client, streamed back chunk by chunk; spend booked in memory.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new NestLogger('Proxy');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly registry: ModelRegistry,
    private readonly router: RouterService,
    private readonly upstream: UpstreamClient,
    private readonly budgets: BudgetService,
    private readonly spend: SpendWriter,
    private readonly limits: LimitsService,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** The endpoint this request is for, when the fast path serves it. */
  match(req: IncomingMessage): Endpoint | undefined {
    return req.method === 'POST' ? ENDPOINTS.get(pathOf(req.url)) : undefined;
  }

  handle(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
    const t0 = performance.now();
    const trace: Trace = { requestId: '', alias: '', deployment: '', tokensIn: 0, tokensOut: 0, spend: 0, ttftMs: null };
    this.metrics.started();
    res.once('close', () => this.observe(trace, res.statusCode, t0));
    this.serve(req, res, endpoint, t0, trace).catch((err: unknown) => this.sendError(res, toApiError(err, this.logger), requestIdFor(req), t0));
  }

  /** One log line (never prompts, completions or keys) and one metrics observation per request. */
  private observe(trace: Trace, status: number, t0: number): void {
    const ms = performance.now() - t0;
    const model = trace.alias || 'unknown';
    this.metrics.finished(model, status, ms / 1000, trace.ttftMs === null ? null : trace.ttftMs / 1000, trace.tokensIn, trace.tokensOut, trace.spend);
    this.log.info(
      { req_id: trace.requestId, model, deployment: trace.deployment || undefined, status, ms: Math.round(ms * 10) / 10, tokens_in: trace.tokensIn, tokens_out: trace.tokensOut, ttft_ms: trace.ttftMs ?? undefined, error_type: trace.errorType },
      'request',
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, t0: number, trace: Trace): Promise<void> {
    const startTime = Date.now();
    const requestId = requestIdFor(req);
    trace.requestId = requestId;
    let principal: Principal;
    let body: Record<string, unknown>;
    let bodyBytes: number;
    try {
      principal = await this.auth.authenticate(req.headers);
      const raw = await readBody(req);
      bodyBytes = raw.length;
      body = this.parse(raw);
    } catch (err) {
      req.resume();
      return this.sendError(res, toApiError(err, this.logger), requestId, t0);
    }
    const alias = body.model as string;
    const group = this.registry.group(alias);
    let lease: Lease;
    let budget = NO_BUDGET_LEASE;
    try {
      if (group.length === 0) {
        throw ApiError.badRequest(`Invalid model name passed in model=${alias}. Call \`/v1/models\` to view available models for your key.`, 'model');
      }
      this.auth.assertModelAllowed(principal, alias);
      if (principal.kind === 'virtual') {
        budget = this.budgets.reserve(principal.key, group, body, bodyBytes, endpoint.streamable);
        lease = await this.limits.acquire(principal.key);
      } else {
        lease = { release: () => undefined };
      }
    } catch (err) {
      budget.release();
      return this.sendError(res, toApiError(err, this.logger), requestId, t0);
    }

    const stream = endpoint.streamable && body.stream === true;
    let wantsUsage = false;
    if (stream) {
      const opts = body.stream_options;
      wantsUsage = typeof opts === 'object' && opts !== null && (opts as { include_usage?: unknown }).include_usage === true;
      // Ask vLLM for usage on every stream, so it can be booked; the client sees it only if it asked.
      if (!wantsUsage) body.stream_options = { ...(typeof opts === 'object' && opts !== null ? opts : {}), include_usage: true };
    }
    trace.alias = alias;
    const call: Call = { trace, requestId, callId: randomUUID(), t0, backendMs: 0, startTime, endpoint, principal, alias, user: typeof body.user === 'string' ? body.user : '', aborted: false, lease, budget };
    res.once('close', () => {
      if (res.writableFinished) return;
      call.aborted = true;
      call.upstream?.abort();
    });
    try {
      await this.forward(call, body, group, res, stream, wantsUsage);
    } catch (err) {
      // A throw before any outcome (e.g. a body too deep to serialise) must not hold budget forever.
      call.budget.release();
      throw err;
    }
  }

  private parse(raw: Buffer): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw ApiError.badRequest(`Invalid JSON in request body: ${(err as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('Request body must be a JSON object');
    const model = (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model === '') throw ApiError.badRequest('"model" is required: the name of a model from /v1/models', 'model');
    return body as Record<string, unknown>;
  }

  private async forward(call: Call, body: Record<string, unknown>, group: readonly DeploymentConfig[], res: ServerResponse, stream: boolean, wantsUsage: boolean): Promise<void> {
    const { numRetries, requestTimeoutMs } = this.router.settings;
    const tried = new Set<string>();
    let lastError: ApiError | undefined;
    let lastDeployment: DeploymentConfig | undefined;
    for (let attempt = 0; attempt <= numRetries; attempt++) {
      let pick = this.router.pick(group, tried);
      if ('exhausted' in pick && tried.size > 0) {
        // Every deployment was tried once: retry among them again (a transient 5xx may pass).
        tried.clear();
        pick = this.router.pick(group, tried);
      }
      if (!('deployment' in pick)) {
        lastError ??= new ApiError(429, ErrorType.RateLimit, `No healthy deployment available for model=${call.alias}: every deployment is cooling down after repeated failures. Try again shortly.`, null, { 'retry-after': String(this.router.settings.cooldownTimeSec) });
        break;
      }
      const dep = pick.deployment;
      lastDeployment = dep;
      tried.add(dep.id);
      body.model = dep.upstreamModel;
      const tUp = performance.now();
      this.router.started(dep);
      const up = new UpstreamCall();
      call.upstream = up;
      this.upstream.dispatch(
        { deployment: dep, path: call.endpoint.upstreamPath, body: JSON.stringify(body), timeoutMs: dep.timeoutMs ?? requestTimeoutMs, requestId: call.requestId },
        up,
      );
      if (call.aborted) up.abort();
      try {
        await up.started;
      } catch (err) {
        call.backendMs += performance.now() - tUp;
        this.router.finished(dep);
        if (call.aborted) return this.finish(call, dep, 'failure', undefined, null, { error_type: 'client_disconnected' });
        const code = errorCode(err);
        if (code && TIMEOUT_ERRORS.has(code)) {
          this.backendFailed(call, dep, 'timeout');
          lastError = new ApiError(408, ErrorType.Timeout, `litellm.Timeout: Request timed out after ${(dep.timeoutMs ?? requestTimeoutMs) / 1000} s waiting for model=${call.alias}`);
          break;
        }
        this.backendFailed(call, dep, 'connection');
        lastError = new ApiError(502, ErrorType.Upstream, `litellm.APIConnectionError: could not reach a backend for model=${call.alias} (${code ?? (err as Error).message})`);
        continue;
      }
      const status = up.status;
      if (status >= 400) {
        const text = await up.collect().then((b) => b.toString('utf8'), () => '');
        call.backendMs += performance.now() - tUp;
        this.router.finished(dep);
        const message = upstreamMessage(text);
        if (status >= 500 || status === 429) {
          this.backendFailed(call, dep, status === 429 ? 'http_429' : 'http_5xx');
          lastError =
            status === 429
              ? new ApiError(429, ErrorType.RateLimit, `Backend for model=${call.alias} is overloaded: ${message}`, null, { 'retry-after': '1' })
              : new ApiError(502, ErrorType.Upstream, `Backend for model=${call.alias} failed (${status}): ${message}`);
          continue;
        }
        const err = new ApiError(status, STATUS_TYPES[status] ?? ErrorType.InvalidRequest, message);
        this.finish(call, dep, 'failure', undefined, null, { error_type: err.type, status_code: status });
        return this.sendError(res, err, call.requestId, call.t0, call.backendMs);
      }
      if (stream) return this.pipeStream(call, dep, up, res, wantsUsage, tUp);
      return this.sendWhole(call, dep, up, res, tUp);
    }
    const err = lastError ?? new ApiError(502, ErrorType.Upstream, `No backend answered for model=${call.alias}`);
    if (lastDeployment) this.finish(call, lastDeployment, 'failure', undefined, null, { error_type: err.type, status_code: err.status });
    else {
      call.lease.release(0);
      call.budget.release();
    }
    this.sendError(res, err, call.requestId, call.t0, call.backendMs);
  }

  private async sendWhole(call: Call, dep: DeploymentConfig, up: UpstreamCall, res: ServerResponse, tUp: number): Promise<void> {
    let buf: Buffer;
    try {
      buf = await up.collect();
    } catch (err) {
      call.backendMs += performance.now() - tUp;
      this.router.finished(dep);
      if (call.aborted) return this.finish(call, dep, 'failure', undefined, null, { error_type: 'client_disconnected' });
      const code = errorCode(err);
      this.backendFailed(call, dep, code && TIMEOUT_ERRORS.has(code) ? 'timeout' : 'broken_answer');
      const e = code && TIMEOUT_ERRORS.has(code)
        ? new ApiError(408, ErrorType.Timeout, `litellm.Timeout: Request timed out waiting for model=${call.alias}`)
        : new ApiError(502, ErrorType.Upstream, `Backend for model=${call.alias} broke off its answer (${code ?? (err as Error).message})`);
      this.finish(call, dep, 'failure', undefined, null, { error_type: e.type });
      return this.sendError(res, e, call.requestId, call.t0, call.backendMs);
    }
    const tDone = performance.now();
    this.router.finished(dep);
    const usage = extractUsage(buf);
    const overhead = performance.now() - call.t0 - call.backendMs - (tDone - tUp);
    const contentType = up.headers['content-type'];
    res.writeHead(up.status, {
      'content-type': typeof contentType === 'string' ? contentType : 'application/json',
      'content-length': buf.length,
      'x-request-id': call.requestId,
      'x-litellm-call-id': call.callId,
      'x-litellm-model-id': dep.id,
      'x-litellm-overhead-duration-ms': overhead.toFixed(3),
    });
    res.end(buf);
    this.finish(call, dep, 'success', usage, null, undefined, extractId(buf));
  }

  private pipeStream(call: Call, dep: DeploymentConfig, up: UpstreamCall, res: ServerResponse, wantsUsage: boolean, tUp: number): void {
    const tap = new SseTap(!wantsUsage);
    let firstChunkAt: number | null = null;
    let ended = false;
    // Time in the proxy before the backend took over; the rest of a stream is the backend's.
    const overhead = tUp - call.t0 - call.backendMs;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': call.requestId,
      'x-litellm-call-id': call.callId,
      'x-litellm-model-id': dep.id,
      'x-litellm-overhead-duration-ms': overhead.toFixed(3),
    });
    res.flushHeaders();
    const end = (outcome: 'success' | 'failure', error?: ApiError) => {
      if (ended) return;
      ended = true;
      res.off('drain', onDrain);
      this.router.finished(dep);
      if (error) {
        this.backendFailed(call, dep, error.status === 408 ? 'timeout' : 'mid_stream');
        if (!res.destroyed) res.end(`data: ${JSON.stringify(error.body())}\n\n`);
      } else if (!res.destroyed) {
        res.end();
      }
      this.finish(call, dep, outcome, tap.usage, firstChunkAt, error ? { error_type: error.type } : undefined, tap.id);
    };
    const onDrain = () => up.resume();
    res.on('drain', onDrain);
    up.pipe({
      data: (chunk) => {
        firstChunkAt ??= Date.now();
        const out = tap.push(chunk);
        return out === undefined || res.write(out);
      },
      end: () => {
        const rest = tap.rest();
        if (rest && !res.destroyed) res.write(rest);
        if (tap.done) end('success');
        else end('failure', new ApiError(502, ErrorType.Upstream, `Backend for model=${call.alias} ended the stream before it was complete`));
      },
      error: (err) => {
        if (call.aborted) {
          if (!ended) {
            ended = true;
            res.off('drain', onDrain);
            this.router.finished(dep);
            this.finish(call, dep, 'failure', tap.usage, firstChunkAt, { error_type: 'client_disconnected' }, tap.id);
          }
          return;
        }
        const code = errorCode(err);
        end(
          'failure',
          code && TIMEOUT_ERRORS.has(code)
            ? new ApiError(408, ErrorType.Timeout, `litellm.Timeout: no data from the backend for model=${call.alias} within the timeout`)
            : new ApiError(502, ErrorType.Upstream, `Backend for model=${call.alias} failed mid-stream (${code ?? err.message})`),
        );
      },
    });
  }

  /** A backend failure: counts toward the deployment's cooldown and the upstream-error metric. */
  private backendFailed(call: Call, dep: DeploymentConfig, kind: string): void {
    this.router.failed(dep);
    this.metrics.upstreamError(call.alias, kind);
  }

  /** Books the request (success or failure) and frees its limit slot. */
  private finish(call: Call, dep: DeploymentConfig, status: 'success' | 'failure', usage: Usage | undefined, firstChunkAt: number | null, extra?: Record<string, unknown>, responseId?: string): void {
    const tokens = usage ? usage.prompt_tokens + usage.completion_tokens : 0;
    call.lease.release(tokens);
    const key = call.principal.kind === 'virtual' ? call.principal.key : undefined;
    const spend = status === 'success' ? costOf(dep, usage) : 0;
    const t = call.trace;
    t.deployment = dep.id;
    t.tokensIn = usage?.prompt_tokens ?? 0;
    t.tokensOut = usage?.completion_tokens ?? 0;
    t.spend = spend;
    t.ttftMs = firstChunkAt === null ? null : firstChunkAt - call.startTime;
    if (extra?.error_type) t.errorType = String(extra.error_type);
    this.spend.book({
      requestId: responseId ?? call.callId,
      callType: call.endpoint.callType,
      apiKey: key?.token ?? '',
      spend,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      startTime: call.startTime,
      endTime: Date.now(),
      completionStartTime: firstChunkAt,
      model: dep.upstreamModel,
      modelId: dep.id,
      modelGroup: call.alias,
      apiBase: dep.apiBase,
      user: call.user,
      teamId: key?.teamId ?? null,
      status,
      metadata: {
        user_api_key_alias: key?.keyAlias ?? null,
        user_api_key_user_id: key?.userId ?? null,
        user_api_key_team_id: key?.teamId ?? null,
        litellm_call_id: call.callId,
        request_id: call.requestId,
        ...extra,
      },
    });
    // Settled: the actual cost is pending in the writer now, so the worst case can go.
    call.budget.release();
  }

  /** `backendMs`: time this request waited on backends, left out of the overhead header. */
  private sendError(res: ServerResponse, err: ApiError, requestId: string, t0: number, backendMs = 0): void {
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const payload = JSON.stringify(err.body());
    res.writeHead(err.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': requestId,
      'x-litellm-overhead-duration-ms': (performance.now() - t0 - backendMs).toFixed(3),
      ...err.headers,
    });
    res.end(payload);
  }
}
