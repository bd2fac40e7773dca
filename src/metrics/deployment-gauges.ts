import { Gauge, type Registry } from 'prom-client';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { BackendLoadService } from '../upstream/backend-load.service.js';
import type { DeploymentHealthService } from '../upstream/deployment-health.service.js';

const LABELS = ['model', 'deployment', 'api_base'];

/**
 * Per-deployment gauges read at scrape time from the background readers: what each vLLM last
 * reported (only while fresh) and the last active health check (only when checks are on).
 */
export function registerDeploymentGauges(registry: Registry, models: ModelRegistry, loads: BackendLoadService, health: DeploymentHealthService): void {
  const gauge = (name: string, help: string, value: (id: string) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const d of models.all()) {
          const v = value(d.id);
          if (v !== undefined) this.set({ model: d.modelName, deployment: d.id, api_base: d.apiBase }, v);
        }
      },
    });
  gauge(
    'model_proxy_deployment_queue_waiting',
    "Requests waiting in the deployment's vLLM queue (vllm:num_requests_waiting)",
    (id) => loads.snapshot(id)?.waiting,
  );
  gauge('model_proxy_deployment_running', "Requests in the deployment's vLLM batch (vllm:num_requests_running)", (id) => loads.snapshot(id)?.running);
  gauge(
    'model_proxy_deployment_kv_cache_usage',
    "KV-cache usage of the deployment's vLLM, 0..1 (vllm:kv_cache_usage_perc)",
    (id) => loads.snapshot(id)?.kvCacheUsage,
  );
  gauge('model_proxy_deployment_healthy', 'Last background health check of the deployment: 1 passed, 0 failed', (id) => {
    const r = health.result(id);
    return r === undefined ? undefined : r.healthy ? 1 : 0;
  });
}
