import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '../models/model-registry.service.js';
import { RouterService } from '../proxy/router.service.js';
import { BackendLoadService } from '../upstream/backend-load.service.js';
import { DeploymentHealthService } from '../upstream/deployment-health.service.js';
import { BackendHealthService, type EndpointHealth } from './backend-health.service.js';
import type { DeploymentHealthDto, DeploymentsHealthDto } from './deployment-health.dto.js';

/** A page refreshing every few seconds must not turn into a probe storm: probes are reused this long. */
const PROBE_REUSE_MS = 3_000;

/** Each deployment's state for the Models page: the router's cooldown and in-flight count, the last probe (or background health check), vLLM's load. */
@Injectable()
export class DeploymentStateService {
  private last?: { at: number; results: Promise<Map<string, EndpointHealth>> };

  constructor(
    private readonly registry: ModelRegistry,
    private readonly router: RouterService,
    private readonly backends: BackendHealthService,
    private readonly loads: BackendLoadService,
    private readonly checks: DeploymentHealthService,
  ) {}

  private probes(): { at: number; results: Promise<Map<string, EndpointHealth>> } {
    const now = Date.now();
    if (!this.last || now - this.last.at > PROBE_REUSE_MS) {
      const results = this.backends
        .check()
        .then(({ healthy_endpoints, unhealthy_endpoints }) => new Map([...healthy_endpoints, ...unhealthy_endpoints].map((e) => [e.model_id, e])));
      this.last = { at: now, results };
      results.catch(() => (this.last = undefined));
    }
    return this.last;
  }

  async deployments(): Promise<DeploymentsHealthDto> {
    const { at, results } = this.probes();
    const probed = await results;
    const data = this.registry.all().map((d): DeploymentHealthDto => {
      const r = this.router.view(d.id);
      const probe = probed.get(d.id);
      const load = this.loads.snapshot(d.id);
      const check = this.checks.result(d.id);
      const probeError = probe?.error ?? (check && !check.healthy ? (check.error ?? 'background health check failed') : undefined);
      const state = r.coolUntil !== null ? 'cooling_down' : probeError ? 'unreachable' : 'healthy';
      return {
        model_name: d.modelName,
        model_id: d.id,
        api_base: d.apiBase,
        state,
        cooldown_until: r.coolUntil !== null ? new Date(r.coolUntil).toISOString() : null,
        last_error: r.lastError ?? probeError ?? null,
        in_flight: r.inFlight,
        queue_waiting: load?.waiting ?? null,
        requests_running: load?.running ?? null,
        kv_cache_usage: load?.kvCacheUsage ?? null,
        load_updated_at: load ? new Date(load.updatedAt).toISOString() : null,
        checked_at: new Date(at).toISOString(),
      };
    });
    return { data };
  }
}
