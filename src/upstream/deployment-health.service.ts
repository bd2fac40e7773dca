import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DeploymentConfig } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BackgroundPoller, fetchText, serverRoot } from './background-poller.js';

export interface HealthCheckResult {
  healthy: boolean;
  /** Why not, when unhealthy. */
  error?: string;
  checkedAt: number;
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * Active health checks (LiteLLM's `general_settings.background_health_checks` and
 * `health_check_interval`): each deployment's vLLM `GET /health` is probed in the background. A
 * deployment whose last probe failed is skipped by the router until a probe passes again, and
 * `GET /health` answers from these results instead of probing on every call.
 */
@Injectable()
export class DeploymentHealthService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly results = new Map<string, HealthCheckResult>();
  private readonly poller: BackgroundPoller;

  constructor(private readonly registry: ModelRegistry) {
    this.poller = new BackgroundPoller(
      () => registry.all(),
      () => (this.enabled ? Math.round(this.registry.router.load.healthCheckIntervalSec * 1000) : 0),
      (d) => this.probe(d),
    );
  }

  get enabled(): boolean {
    return this.registry.router.load.backgroundHealthChecks;
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.poller.stop();
  }

  /** The last probe of the deployment (undefined: checks off, or not probed yet). */
  result(id: string): HealthCheckResult | undefined {
    return this.enabled ? this.results.get(id) : undefined;
  }

  /** False only when checks are on and the last probe failed. */
  healthy(id: string): boolean {
    return this.result(id)?.healthy ?? true;
  }

  private async probe(d: DeploymentConfig): Promise<void> {
    let error: string | undefined;
    try {
      const { status, text } = await fetchText(this.poller.agent, d, `${serverRoot(d.apiBase)}/health`, PROBE_TIMEOUT_MS);
      if (status !== 200) error = `health check: HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      error = `health check: ${e.code ?? e.message ?? 'unreachable'}`;
    }
    this.results.set(d.id, { healthy: error === undefined, error, checkedAt: Date.now() });
  }
}
