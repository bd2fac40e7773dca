/** What a vLLM server reports about its load (its /metrics), per deployment. */
export interface DeploymentLoad {
  /** vllm:num_requests_waiting */
  waiting: number;
  /** vllm:num_requests_running */
  running: number;
  /** vllm:kv_cache_usage_perc, 0..1 */
  kvCacheUsage: number;
  /** Epoch ms of the scrape. */
  updatedAt: number;
}

/**
 * Optional provider hook: bind this token to a service that knows the last vLLM /metrics snapshot of
 * each deployment (the routing poller), and GET /health/deployments fills queue_waiting,
 * requests_running and kv_cache_usage from it. Unbound, those fields are null.
 */
export const DEPLOYMENT_LOAD_SOURCE = Symbol('DEPLOYMENT_LOAD_SOURCE');

export interface DeploymentLoadSource {
  loadOf(deploymentId: string): DeploymentLoad | undefined;
}
