import { Agent } from 'undici';
import type { DeploymentConfig } from '../config/config.types.js';

/** The vLLM server's root URL (`api_base` without a trailing `/v1`), where `/metrics` and `/health` live. */
export function serverRoot(apiBase: string): string {
  return apiBase.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * Runs `probe` for every deployment about every `intervalMs()`, off the request path: one timer,
 * never more than one probe in flight per deployment (a slow backend is skipped until it answered),
 * and its own small connection pool so probes never queue behind /v1 traffic.
 */
export class BackgroundPoller {
  readonly agent = new Agent({ connections: 2, keepAliveTimeout: 10_000, pipelining: 0 });
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly deployments: () => readonly DeploymentConfig[],
    /** 0: off (checked again later, since a config reload may turn it on). */
    private readonly intervalMs: () => number,
    private readonly probe: (d: DeploymentConfig) => Promise<void>,
  ) {}

  /** The first round at once (a backend down at boot is known before its first request), then every interval. */
  start(): void {
    this.tick(this.intervalMs() > 0);
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.intervalMs();
    this.timer = setTimeout(() => this.tick(every > 0), every > 0 ? every : 5000);
    this.timer.unref();
  }

  private tick(enabled: boolean): void {
    if (enabled) {
      for (const d of this.deployments()) {
        if (this.inFlight.has(d.id)) continue;
        this.inFlight.add(d.id);
        this.probe(d)
          .catch(() => undefined)
          .finally(() => this.inFlight.delete(d.id));
      }
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.agent.close().catch(() => undefined);
  }
}

/** GET `url` through the poller's pool within `timeoutMs`: status and body text. */
export async function fetchText(agent: Agent, d: DeploymentConfig, url: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
  const u = new URL(url);
  const res = await agent.request({
    origin: u.origin,
    path: u.pathname,
    method: 'GET',
    headers,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.statusCode, text: await res.body.text() };
}
