import { ConfigError } from './config.error.js';
import type { FallbackMap, RoutingRules } from './config.types.js';
import { isObject, optionalNumber, resolveEnvRef } from './deployment.parser.js';

type Obj = Record<string, unknown>;

/** LiteLLM's `max_fallbacks` default (litellm/constants.py `DEFAULT_MAX_FALLBACKS`). */
export const DEFAULT_MAX_FALLBACKS = 5;

function aliasList(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new ConfigError(`${path}: must be a list of model names, e.g. ["qwen3-8b"]`);
  }
  return value as string[];
}

/**
 * `[{"gemma": ["qwen"]}, …]`, LiteLLM's standard form: one mapping per alias. The first entry for an
 * alias wins, as in LiteLLM's lookup; `*` is the generic entry.
 */
function fallbackMap(value: unknown, path: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (value === undefined || value === null) return map;
  if (!Array.isArray(value)) throw new ConfigError(`${path}: must be a list such as [{"gemma-4-31b": ["qwen3-8b"]}]`);
  value.forEach((item, i) => {
    if (!isObject(item) || Object.keys(item).length !== 1) {
      throw new ConfigError(`${path}[${i}]: must be a mapping of one model name to its fallbacks, e.g. {"gemma-4-31b": ["qwen3-8b"]}`);
    }
    const [alias, targets] = Object.entries(item)[0];
    const list = aliasList(targets, `${path}[${i}].${alias}`);
    if (!map.has(alias)) map.set(alias, list);
  });
  return map;
}

/** router_settings wins over litellm_settings, as LiteLLM's `Router(fallbacks=…) or litellm.fallbacks`. */
function pick(router: Obj, litellm: Obj, key: string): { value: unknown; path: string } {
  if (router[key] !== undefined && router[key] !== null) return { value: router[key], path: `router_settings.${key}` };
  return { value: litellm[key], path: `litellm_settings.${key}` };
}

function modelGroupAlias(value: unknown): RoutingRules['modelGroupAlias'] {
  const map = new Map<string, { target: string; hidden: boolean }>();
  if (value === undefined || value === null) return map;
  const path = 'router_settings.model_group_alias';
  if (!isObject(value)) throw new ConfigError(`${path}: must be a mapping such as {"gpt-4": "gemma-4-31b"}`);
  for (const [name, to] of Object.entries(value)) {
    if (typeof to === 'string' && to !== '') map.set(name, { target: to, hidden: false });
    else if (isObject(to) && typeof to.model === 'string' && to.model !== '' && (to.hidden === undefined || typeof to.hidden === 'boolean')) {
      map.set(name, { target: to.model, hidden: to.hidden === true });
    } else {
      throw new ConfigError(`${path}.${name}: must be a model name or {model: <name>, hidden: true|false}`);
    }
  }
  return map;
}

function flag(obj: Obj, key: string, path: string, env: NodeJS.ProcessEnv): boolean {
  const raw = resolveEnvRef(obj[key], `${path}.${key}`, env);
  if (raw === undefined || raw === null) return false;
  if (typeof raw === 'boolean') return raw;
  if (/^(true|false)$/i.test(String(raw))) return /^true$/i.test(String(raw));
  throw new ConfigError(`${path}.${key}: must be true or false`);
}

/** The fallbacks and model-name aliases of a LiteLLM config (litellm_settings / router_settings / general_settings). */
export function parseRoutingRules(litellm: Obj, router: Obj, general: Obj, env: NodeJS.ProcessEnv): RoutingRules {
  const fb = pick(router, litellm, 'fallbacks');
  const fallbacks = fallbackMap(fb.value, fb.path);
  const df = pick(router, litellm, 'default_fallbacks');
  // LiteLLM appends default_fallbacks as the generic `*` entry.
  if (df.value !== undefined && df.value !== null && !fallbacks.has('*')) fallbacks.set('*', aliasList(df.value, df.path));
  const cw = pick(router, litellm, 'context_window_fallbacks');
  const maxFallbacks = optionalNumber(router, 'max_fallbacks', 'router_settings', env) ?? DEFAULT_MAX_FALLBACKS;
  if (!Number.isInteger(maxFallbacks)) throw new ConfigError('router_settings.max_fallbacks: must be a whole number');
  return {
    fallbacks: fallbacks as FallbackMap,
    contextWindowFallbacks: fallbackMap(cw.value, cw.path),
    maxFallbacks,
    enforceFallbackModelAccess: flag(general, 'enforce_fallback_model_access', 'general_settings', env),
    modelGroupAlias: modelGroupAlias(router.model_group_alias),
  };
}
