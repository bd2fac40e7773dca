import { createHash } from 'node:crypto';
import { ConfigError } from './config.error.js';
import type { DeploymentConfig } from './config.types.js';

const PROVIDER_PREFIXES = ['openai/', 'hosted_vllm/'];

type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves `os.environ/NAME` references; an unset variable is an error naming the path. */
export function resolveEnvRef(value: unknown, path: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value !== 'string' || !value.startsWith('os.environ/')) return value;
  const name = value.slice('os.environ/'.length);
  const resolved = env[name];
  if (resolved === undefined || resolved === '') {
    throw new ConfigError(`${path}: environment variable ${name} is not set (referenced as os.environ/${name})`);
  }
  return resolved;
}

/** A rejected value for a message: one read from the environment may be a secret, so only its source is named. */
export function shownValue(written: unknown, resolved: unknown): string {
  return typeof written === 'string' && written.startsWith('os.environ/') ? `the value of ${written}` : JSON.stringify(resolved);
}

/** `obj[key]` as a number ≥ 0 (env references resolved), or undefined when absent. */
export function optionalNumber(obj: Obj, key: string, path: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = resolveEnvRef(obj[key], `${path}.${key}`, env);
  if (raw === undefined || raw === null) return undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new ConfigError(`${path}.${key}: must be a number ≥ 0, got ${shownValue(obj[key], raw)}`);
  }
  return n;
}

/** Strips `openai/` or `hosted_vllm/`; anything else is not a vLLM deployment. */
export function upstreamModelId(litellmModel: string, path: string): string {
  const prefix = PROVIDER_PREFIXES.find((p) => litellmModel.startsWith(p));
  if (!prefix || litellmModel.length === prefix.length) {
    throw new ConfigError(`${path}: must be "openai/<model id served by vLLM>" (or "hosted_vllm/<id>"), got ${JSON.stringify(litellmModel)}`);
  }
  return litellmModel.slice(prefix.length);
}

export function normalizeApiBase(raw: string, path: string, shown = JSON.stringify(raw)): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${path}: must be an http(s) URL such as http://127.0.0.1:8123/v1, got ${shown}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${path}: must be an http(s) URL, got ${shown}`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * Validates one `model_list` entry (config file or database) into a deployment.
 * `path` is where it sits, e.g. `model_list[2]`, so messages point at the field.
 */
export function parseDeployment(entry: unknown, path: string, env: NodeJS.ProcessEnv, source: 'config' | 'db'): DeploymentConfig {
  if (!isObject(entry)) throw new ConfigError(`${path}: must be a mapping with model_name and litellm_params`);
  const modelName = entry.model_name;
  if (typeof modelName !== 'string' || modelName.trim() === '') {
    throw new ConfigError(`${path}.model_name: required, a non-empty string`);
  }
  const params = entry.litellm_params;
  if (!isObject(params)) throw new ConfigError(`${path}.litellm_params: required, a mapping with model and api_base`);
  const pp = `${path}.litellm_params`;
  const model = resolveEnvRef(params.model, `${pp}.model`, env);
  if (typeof model !== 'string') throw new ConfigError(`${pp}.model: required, e.g. "openai/google/gemma-4-31b"`);
  const upstreamModel = upstreamModelId(model, `${pp}.model`);
  const apiBaseRaw = resolveEnvRef(params.api_base, `${pp}.api_base`, env);
  if (typeof apiBaseRaw !== 'string') throw new ConfigError(`${pp}.api_base: required, e.g. "http://127.0.0.1:8123/v1"`);
  const apiBase = normalizeApiBase(apiBaseRaw, `${pp}.api_base`, shownValue(params.api_base, apiBaseRaw));
  const apiKey = resolveEnvRef(params.api_key, `${pp}.api_key`, env);
  if (apiKey !== undefined && apiKey !== null && typeof apiKey !== 'string') {
    throw new ConfigError(`${pp}.api_key: must be a string`);
  }
  const timeout = optionalNumber(params, 'timeout', pp, env);
  const maxParallel = optionalNumber(params, 'max_parallel_requests', pp, env);
  if (maxParallel !== undefined && (!Number.isInteger(maxParallel) || maxParallel < 1)) {
    throw new ConfigError(`${pp}.max_parallel_requests: must be a whole number ≥ 1, got ${shownValue(params.max_parallel_requests, maxParallel)}`);
  }
  const weight = optionalNumber(params, 'weight', pp, env);
  const order = optionalNumber(params, 'order', pp, env);
  const info = entry.model_info ?? {};
  if (!isObject(info)) throw new ConfigError(`${path}.model_info: must be a mapping`);
  const ip = `${path}.model_info`;
  const groups = info.access_groups ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && g !== '')) {
    throw new ConfigError(`${ip}.access_groups: must be a list of group names, e.g. ["beta"]`);
  }
  // LiteLLM's cost calculator reads custom prices in litellm_params before model_info's.
  const price = (key: string) => optionalNumber(params, key, pp, env) ?? optionalNumber(info, key, ip, env) ?? 0;
  const id =
    typeof info.id === 'string' && info.id !== ''
      ? info.id
      : createHash('sha256')
          .update(JSON.stringify([modelName, model, apiBase]))
          .digest('hex')
          .slice(0, 32);
  return {
    id,
    modelName,
    litellmModel: model,
    upstreamModel,
    apiBase,
    apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    rpm: optionalNumber(params, 'rpm', pp, env),
    tpm: optionalNumber(params, 'tpm', pp, env),
    maxParallelRequests: maxParallel,
    inputCostPerToken: price('input_cost_per_token'),
    outputCostPerToken: price('output_cost_per_token'),
    inputCostPerSecond: price('input_cost_per_second'),
    maxOutputTokens: optionalNumber(info, 'max_output_tokens', ip, env),
    weight,
    order,
    accessGroups: groups as string[],
    modelInfo: { ...info, id },
    source,
  };
}
