import { isObject } from './deployment.parser.js';

type Obj = Record<string, unknown>;

/** What this project reads from each section of a LiteLLM config; anything else is named at boot, never silently dropped. */
export const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  litellm_settings: ['request_timeout', 'num_retries', 'fallbacks', 'default_fallbacks', 'context_window_fallbacks'],
  router_settings: [
    'routing_strategy',
    'allowed_fails',
    'allowed_fails_policy',
    'cooldown_time',
    'default_max_parallel_requests',
    'num_retries',
    'fallbacks',
    'default_fallbacks',
    'context_window_fallbacks',
    'max_fallbacks',
    'model_group_alias',
    'routing_strategy_args',
    'vllm_metrics_interval',
    'session_affinity',
    'session_affinity_header',
    'session_affinity_max_imbalance',
  ],
  general_settings: ['master_key', 'database_url', 'disable_spend_logs', 'enforce_fallback_model_access', 'background_health_checks', 'health_check_interval'],
};

const TOP_LEVEL = ['model_list', 'litellm_settings', 'router_settings', 'general_settings'];
const MODEL_ENTRY = ['model_name', 'litellm_params', 'model_info'];
/** `model_info` is free-form in LiteLLM (shown by /model/info), so its other keys are kept, not warned about. */
export const LITELLM_PARAMS = [
  'model',
  'api_base',
  'api_key',
  'timeout',
  'rpm',
  'tpm',
  'max_parallel_requests',
  'weight',
  'order',
  'input_cost_per_token',
  'output_cost_per_token',
  'input_cost_per_second',
];

/** LiteLLM's routing strategies (litellm/types/router.py `RoutingStrategy`): a name outside this list is invalid. */
export const LITELLM_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
];

/** YAML paths of every setting in `root` this project does not implement. */
export function unsupportedSettings(root: Obj): string[] {
  const out: string[] = [];
  for (const key of Object.keys(root)) if (!TOP_LEVEL.includes(key)) out.push(key);
  for (const [section, known] of Object.entries(SUPPORTED)) {
    const value = root[section];
    if (!isObject(value)) continue;
    for (const key of Object.keys(value)) if (!known.includes(key)) out.push(`${section}.${key}`);
  }
  const list = Array.isArray(root.model_list) ? (root.model_list as unknown[]) : [];
  list.forEach((entry, i) => {
    if (!isObject(entry)) return;
    for (const key of Object.keys(entry)) if (!MODEL_ENTRY.includes(key)) out.push(`model_list[${i}].${key}`);
    const params = entry.litellm_params;
    if (isObject(params)) for (const key of Object.keys(params)) if (!LITELLM_PARAMS.includes(key)) out.push(`model_list[${i}].litellm_params.${key}`);
  });
  return out;
}

/** The one warning line naming them (empty: nothing to say). */
export function unsupportedWarning(configPath: string, paths: readonly string[]): string | undefined {
  if (paths.length === 0) return undefined;
  return `config ${configPath}: settings not implemented by this proxy, ignored: ${paths.join(', ')}`;
}
