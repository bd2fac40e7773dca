import { ConfigError } from './config.error.js';
import type { LoadRoutingSettings } from './config.types.js';
import { isObject, optionalNumber, resolveEnvRef } from './deployment.parser.js';

function bool(obj: Record<string, unknown>, key: string, path: string, env: NodeJS.ProcessEnv): boolean {
  const raw = resolveEnvRef(obj[key], `${path}.${key}`, env);
  if (raw === undefined || raw === null) return false;
  if (typeof raw === 'boolean') return raw;
  if (/^(true|false)$/i.test(String(raw))) return /^true$/i.test(String(raw));
  throw new ConfigError(`${path}.${key}: must be true or false`);
}

/** The load-aware part of `router_settings` (and LiteLLM's health-check names in `general_settings`). */
export function parseLoadRouting(router: Record<string, unknown>, general: Record<string, unknown>, env: NodeJS.ProcessEnv): LoadRoutingSettings {
  const argsRaw = router.routing_strategy_args ?? {};
  if (!isObject(argsRaw)) throw new ConfigError('router_settings.routing_strategy_args: must be a mapping such as { lowest_latency_buffer: 0.5, ttl: 3600 }');
  const argsPath = 'router_settings.routing_strategy_args';
  const header = resolveEnvRef(router.session_affinity_header, 'router_settings.session_affinity_header', env);
  if (header !== undefined && header !== null && (typeof header !== 'string' || !/^[A-Za-z0-9-]+$/.test(header))) {
    throw new ConfigError('router_settings.session_affinity_header: must be a header name such as x-session-id');
  }
  return {
    lowestLatencyBuffer: optionalNumber(argsRaw, 'lowest_latency_buffer', argsPath, env) ?? 0,
    latencyTtlSec: optionalNumber(argsRaw, 'ttl', argsPath, env) ?? 3600,
    vllmMetricsIntervalSec: optionalNumber(router, 'vllm_metrics_interval', 'router_settings', env) ?? 1,
    sessionAffinity: bool(router, 'session_affinity', 'router_settings', env),
    sessionAffinityHeader: typeof header === 'string' ? header.toLowerCase() : undefined,
    sessionAffinityMaxImbalance: optionalNumber(router, 'session_affinity_max_imbalance', 'router_settings', env) ?? 4,
    backgroundHealthChecks: bool(general, 'background_health_checks', 'general_settings', env),
    healthCheckIntervalSec: optionalNumber(general, 'health_check_interval', 'general_settings', env) ?? 300,
  };
}
