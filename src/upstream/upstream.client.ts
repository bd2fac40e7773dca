import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { APP_CONFIG, type AppConfig, type DeploymentConfig } from '../config/config.types.js';

export interface UpstreamRequest extends UpstreamBody {
  deployment: DeploymentConfig;
  /** Path after the deployment's api_base, e.g. `/chat/completions`. */
  path: string;
  /** `path` follows the server's root (the api_base without its `/v1`), where vLLM serves /tokenize, /pooling… */
  fromRoot?: boolean;
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
  timeoutMs: number;
  requestId?: string;
}

/** What a request sends: JSON text, or a stream passed on as it arrives (multipart uploads). */
export interface UpstreamBody {
  body?: string | Readable;
  /** Default `application/json`. */
  contentType?: string;
  /** Known for a stream whose length the client declared; else undici sends it chunked. */
  contentLength?: number;
}

interface Target {
  origin: string;
  /** The api_base's path, e.g. `/v1`. */
  basePath: string;
  /** The server's root under that origin: `basePath` without a trailing `/v1`. */
  rootPath: string;
}

/**
 * One pooled keep-alive HTTP client per backend origin (undici), of `UPSTREAM_CONNECTIONS` connections.
 * Requests beyond those wait in undici's queue; the router bounds that queue per deployment
 * (`UPSTREAM_QUEUE_MAX`), since it counts every request it sends to a deployment until it ends.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();
  private readonly basePaths = new Map<string, Target>();
  private readonly connections: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connections = config.upstreamConnections;
  }

  private target(apiBase: string): Target {
    let t = this.basePaths.get(apiBase);
    if (!t) {
      const url = new URL(apiBase);
      const basePath = url.pathname.replace(/\/+$/, '');
      t = { origin: url.origin, basePath, rootPath: basePath.replace(/\/v1$/, '') };
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
    const { origin, basePath, rootPath } = this.target(req.deployment.apiBase);
    const headers: Record<string, string> = {};
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    if (req.contentLength !== undefined) headers['content-length'] = String(req.contentLength);
    // The deployment's own key, never the client's.
    if (req.deployment.apiKey) headers.authorization = `Bearer ${req.deployment.apiKey}`;
    if (req.requestId) headers['x-request-id'] = req.requestId;
    return {
      origin,
      opts: {
        path: (req.fromRoot ? rootPath : basePath) + req.path,
        method: req.method ?? 'POST',
        headers,
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      },
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
