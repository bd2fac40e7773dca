import { Injectable } from '@nestjs/common';
import type { DeploymentConfig } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { DeploymentHealthService } from '../upstream/deployment-health.service.js';
import { UpstreamClient } from '../upstream/upstream.client.js';

const PROBE_TIMEOUT_MS = 5_000;

export interface EndpointHealth {
  model: string;
  model_id: string;
  litellm_model: string;
  api_base: string;
  error?: string;
}

/**
 * Probes each deployment's `GET /models` (vLLM answers it cheaply), all at once; with
 * `background_health_checks` on, answers from the last background probe instead (as LiteLLM does),
 * probing only deployments not checked yet.
 */
@Injectable()
export class BackendHealthService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly upstream: UpstreamClient,
    private readonly background: DeploymentHealthService,
  ) {}

  async check(
    alias?: string,
  ): Promise<{ healthy_endpoints: EndpointHealth[]; unhealthy_endpoints: EndpointHealth[]; healthy_count: number; unhealthy_count: number }> {
    const deployments = this.registry.all().filter((d) => !alias || d.modelName === alias);
    const results = await Promise.all(deployments.map((d) => this.probe(d)));
    const healthy = results.filter((r) => !r.error);
    const unhealthy = results.filter((r) => r.error);
    return { healthy_endpoints: healthy, unhealthy_endpoints: unhealthy, healthy_count: healthy.length, unhealthy_count: unhealthy.length };
  }

  private async probe(d: DeploymentConfig): Promise<EndpointHealth> {
    const base: EndpointHealth = { model: d.modelName, model_id: d.id, litellm_model: d.litellmModel, api_base: d.apiBase };
    const cached = this.background.result(d.id);
    if (cached) return cached.healthy ? base : { ...base, error: cached.error };
    try {
      const res = await this.upstream.request({ deployment: d, path: '/models', method: 'GET', timeoutMs: PROBE_TIMEOUT_MS });
      const text = await res.body.text();
      if (res.statusCode >= 400) return { ...base, error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
      if (!text.includes(JSON.stringify(d.upstreamModel))) return { ...base, error: `the backend does not serve ${d.upstreamModel}` };
      return base;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { ...base, error: e.code ?? e.message ?? 'unreachable' };
    }
  }
}
