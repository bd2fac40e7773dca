import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool, type Dispatcher } from 'undici';
import { APP_CONFIG, type AppConfig, type DeploymentConfig } from '../config/config.types.js';

export interface UpstreamRequest {
  deployment: DeploymentConfig;
  /** Path after the deployment's api_base, e.g. `/chat/completions`. */
  path: string;
  method?: 'GET' | 'POST';
  body?: string;
  signal?: AbortSignal;
  timeoutMs: number;
  requestId?: string;
}

/**
 * One pooled keep-alive HTTP client per backend origin (undici), of `UPSTREAM_CONNECTIONS` connections.
 * Requests beyond those wait in undici's queue; the router bounds that queue per deployment
 * (`UPSTREAM_QUEUE_MAX`), since it counts every request it sends to a deployment until it ends.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();
  private readonly basePaths = new Map<string, { origin: string; basePath: string }>();
  private readonly connections: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connections = config.upstreamConnections;
  }

  private target(apiBase: string): { origin: string; basePath: string } {
    let t = this.basePaths.get(apiBase);
    if (!t) {
      const url = new URL(apiBase);
      t = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
      this.basePaths.set(apiBase, t);
    }
    return t;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private options(req: UpstreamRequest): { origin: string; opts: Dispatcher.DispatchOptions } {
    const { origin, basePath } = this.target(req.deployment.apiBase);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // The deployment's own key, never the client's.
    if (req.deployment.apiKey) headers.authorization = `Bearer ${req.deployment.apiKey}`;
    if (req.requestId) headers['x-request-id'] = req.requestId;
    return {
      origin,
      opts: { path: basePath + req.path, method: req.method ?? 'POST', headers, body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs },
    };
  }

  /** Convenience form for probes and admin paths. */
  request(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const { origin, opts } = this.options(req);
    return this.pool(origin).request({ ...opts, signal: req.signal } as Dispatcher.RequestOptions);
  }

  /** The hot path's form: undici's dispatch API with a handler (see UpstreamCall). */
  dispatch(req: UpstreamRequest, handler: Dispatcher.DispatchHandler): void {
    const { origin, opts } = this.options(req);
    this.pool(origin).dispatch(opts, handler);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }
}
