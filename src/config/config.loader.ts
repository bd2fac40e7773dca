import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config.error.js';
import type { AllowedFailsPolicy, AppConfig, HttpLimits, ProxyFileConfig, RouterSettings, RoutingStrategy } from './config.types.js';
import { isObject, optionalNumber, parseDeployment, resolveEnvRef } from './deployment.parser.js';
import { parseRoutingRules } from './routing-rules.parser.js';
import { LITELLM_STRATEGIES, unsupportedSettings } from './supported-settings.js';
import { parseLoadRouting } from './routing-settings.js';
import { tokensEnvPath } from './tokens-env.js';

const STRATEGIES: RoutingStrategy[] = ['simple-shuffle', 'least-busy', 'usage-based-routing-v2', 'latency-based-routing'];
const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

function section(root: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = root[key];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ConfigError(`${key}: must be a mapping`);
  return value;
}

const POLICY_FIELDS = ['TimeoutErrorAllowedFails', 'RateLimitErrorAllowedFails', 'AuthenticationErrorAllowedFails', 'InternalServerErrorAllowedFails'] as const;
// Accepted as in LiteLLM, but never used: a 4xx the request caused does not count toward a cooldown here.
const IGNORED_POLICY_FIELDS = ['BadRequestErrorAllowedFails', 'ContentPolicyViolationErrorAllowedFails'];

function allowedFailsPolicy(router: Record<string, unknown>, env: NodeJS.ProcessEnv): AllowedFailsPolicy | undefined {
  const raw = router.allowed_fails_policy;
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new ConfigError('router_settings.allowed_fails_policy: must be a mapping such as { InternalServerErrorAllowedFails: 5 }');
  const policy: AllowedFailsPolicy = {};
  for (const key of Object.keys(raw)) {
    if (IGNORED_POLICY_FIELDS.includes(key)) continue;
    if (!(POLICY_FIELDS as readonly string[]).includes(key)) {
      throw new ConfigError(`router_settings.allowed_fails_policy.${key}: unknown; one of ${[...POLICY_FIELDS, ...IGNORED_POLICY_FIELDS].join(', ')}`);
    }
    policy[key as (typeof POLICY_FIELDS)[number]] = optionalNumber(raw, key, 'router_settings.allowed_fails_policy', env);
  }
  return policy;
}

function num(obj: Record<string, unknown>, key: string, path: string, fallback: number, env: NodeJS.ProcessEnv): number {
  return optionalNumber(obj, key, path, env) ?? fallback;
}

/** Validates the YAML text of a LiteLLM-format config file. Pure: no I/O. */
export function parseProxyConfig(text: string, env: NodeJS.ProcessEnv): ProxyFileConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    // The library's first line repeats the position and ends with ':' before a code excerpt.
    const what = e.message.split('\n')[0].replace(/\s*at line \d+, column \d+:?\s*$/, '');
    throw new ConfigError(`invalid YAML${where}: ${what}`);
  }
  const root: unknown = doc.toJS() ?? {};
  if (!isObject(root)) throw new ConfigError('the top level must be a mapping with model_list');
  const list = root.model_list ?? [];
  if (!Array.isArray(list)) throw new ConfigError('model_list: must be a list of models');
  const deployments = list.map((entry, i) => parseDeployment(entry, `model_list[${i}]`, env, 'config'));
  const seen = new Map<string, number>();
  deployments.forEach((d, i) => {
    const prev = seen.get(d.id);
    if (prev !== undefined) throw new ConfigError(`model_list[${i}].model_info.id: duplicates model_list[${prev}] ("${d.id}")`);
    seen.set(d.id, i);
  });

  const litellm = section(root, 'litellm_settings');
  const routerRaw = section(root, 'router_settings');
  const general = section(root, 'general_settings');
  const unsupported = unsupportedSettings(root);
  let strategy = routerRaw.routing_strategy ?? 'simple-shuffle';
  if (!LITELLM_STRATEGIES.includes(strategy as string)) {
    throw new ConfigError(`router_settings.routing_strategy: must be one of ${LITELLM_STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  if (!STRATEGIES.includes(strategy as RoutingStrategy)) {
    // A LiteLLM strategy this proxy does not implement: named in the warning, simple-shuffle instead.
    unsupported.push(`router_settings.routing_strategy=${String(strategy)} (simple-shuffle used)`);
    strategy = 'simple-shuffle';
  }
  const allowedFails = optionalNumber(routerRaw, 'allowed_fails', 'router_settings', env);
  const router: RouterSettings = {
    routingStrategy: strategy as RoutingStrategy,
    // LiteLLM counts failures only when allowed_fails differs from its default (3); else it uses the failure rate.
    allowedFails: allowedFails === 3 ? undefined : allowedFails,
    allowedFailsPolicy: allowedFailsPolicy(routerRaw, env),
    cooldownTimeSec: num(routerRaw, 'cooldown_time', 'router_settings', 5, env),
    defaultMaxParallelRequests: optionalNumber(routerRaw, 'default_max_parallel_requests', 'router_settings', env),
    numRetries: num(routerRaw, 'num_retries', 'router_settings', num(litellm, 'num_retries', 'litellm_settings', 2, env), env),
    requestTimeoutMs: num(litellm, 'request_timeout', 'litellm_settings', 600, env) * 1000,
    load: parseLoadRouting(routerRaw, general, env),
  };
  const masterKey = resolveEnvRef(general.master_key, 'general_settings.master_key', env);
  if (masterKey !== undefined && typeof masterKey !== 'string') {
    throw new ConfigError('general_settings.master_key: must be a string');
  }
  const disableSpendLogs = resolveEnvRef(general.disable_spend_logs, 'general_settings.disable_spend_logs', env) ?? false;
  if (typeof disableSpendLogs !== 'boolean' && !/^(true|false)$/i.test(String(disableSpendLogs))) {
    throw new ConfigError('general_settings.disable_spend_logs: must be true or false');
  }
  const databaseUrl = resolveEnvRef(general.database_url, 'general_settings.database_url', env);
  if (databaseUrl !== undefined && databaseUrl !== null && (typeof databaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(databaseUrl))) {
    throw new ConfigError('general_settings.database_url: must be a postgres:// or postgresql:// URL');
  }
  return {
    deployments,
    router,
    rules: parseRoutingRules(litellm, routerRaw, general, env),
    unsupported,
    masterKey: masterKey || undefined,
    disableSpendLogs: disableSpendLogs === true || /^true$/i.test(String(disableSpendLogs)),
    databaseUrl: (databaseUrl as string | null | undefined) || undefined,
  };
}

/** Reads the config file named by `path`; messages start with the file name. */
export function loadProxyConfigFile(path: string, env: NodeJS.ProcessEnv): ProxyFileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${path}: ${code === 'ENOENT' ? 'not found (set PROXY_CONFIG)' : (err as Error).message}`);
  }
  try {
    return parseProxyConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`config file ${path}: ${err.message}`);
    throw err;
  }
}

function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

export function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** `WORKERS`: how many processes serve the port (Node cluster); 1 is a single process. */
export function loadWorkers(env: NodeJS.ProcessEnv): number {
  return intEnv(env, 'WORKERS', 1, 1, 64);
}

function loadHttpLimits(env: NodeJS.ProcessEnv): HttpLimits {
  const requestTimeoutMs = intEnv(env, 'REQUEST_TIMEOUT_MS', 60_000, 1_000, 3_600_000);
  const headersTimeoutMs = intEnv(env, 'HEADERS_TIMEOUT_MS', Math.min(20_000, requestTimeoutMs), 1_000, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError(`HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  const maxBodyBytes = intEnv(env, 'MAX_REQUEST_BODY_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const maxInflightBodyBytes = intEnv(env, 'MAX_INFLIGHT_BODY_BYTES', 512 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024);
  if (maxInflightBodyBytes < maxBodyBytes) throw new ConfigError(`MAX_INFLIGHT_BODY_BYTES: must be at least MAX_REQUEST_BODY_BYTES (${maxBodyBytes})`);
  return {
    maxBodyBytes,
    maxJsonDepth: intEnv(env, 'MAX_JSON_DEPTH', 64, 2, 10_000),
    maxInflightBodyBytes,
    streamStallTimeoutMs: intEnv(env, 'STREAM_STALL_TIMEOUT_MS', 60_000, 100, 3_600_000),
    requestTimeoutMs,
    headersTimeoutMs,
    maxConnections: intEnv(env, 'MAX_CONNECTIONS', 10_000, 1, 1_000_000),
  };
}

/** Builds the typed app config from the environment (tokens.env already loaded) and the config file. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const configPath = resolve(env.PROXY_CONFIG || 'infra/litellm.config.yaml');
  const proxy = loadProxyConfigFile(configPath, env);
  const masterKey = proxy.masterKey ?? env.LITELLM_MASTER_KEY;
  if (!masterKey) throw new ConfigError('LITELLM_MASTER_KEY: not set (and general_settings.master_key is empty)');
  if (!masterKey.startsWith('sk-')) throw new ConfigError('LITELLM_MASTER_KEY: must start with "sk-"');
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    throw new ConfigError('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  }
  return {
    host: env.HOST || '127.0.0.1',
    port: intEnv(env, 'PORT', 4100, 0, 65535),
    // LiteLLM's proxy_cli: general_settings.database_url, when set, replaces DATABASE_URL.
    databaseUrl: proxy.databaseUrl ?? (env.DATABASE_URL || undefined),
    dataDir: resolve(env.PROXY_DATA_DIR || '.data'),
    masterKey,
    // LiteLLM falls back to the master key when no salt key is set.
    saltKey: env.LITELLM_SALT_KEY || masterKey,
    storeModelInDb: flag(env.STORE_MODEL_IN_DB),
    logLevel: logLevel as AppConfig['logLevel'],
    redisUrl: env.REDIS_URL || undefined,
    configPath,
    tokensEnvPath: resolve(tokensEnvPath(env)),
    proxy,
    shutdownGraceMs: intEnv(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    spendFlushMs: intEnv(env, 'SPEND_FLUSH_MS', 250, 10, 60_000),
    spendQueueMaxBytes: intEnv(env, 'SPEND_QUEUE_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    spendShutdownFlushMs: intEnv(env, 'SPEND_SHUTDOWN_FLUSH_MS', 5000, 0, 600_000),
    dbStatementTimeoutMs: intEnv(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    http: loadHttpLimits(env),
    upstreamConnections: intEnv(env, 'UPSTREAM_CONNECTIONS', 512, 1, 65_536),
    upstreamQueueMax: intEnv(env, 'UPSTREAM_QUEUE_MAX', 1024, 0, 1_000_000),
    keyCacheTtlMs: intEnv(env, 'KEY_CACHE_TTL_MS', 60_000, 10, 60_000),
    spendSyncMs: intEnv(env, 'SPEND_SYNC_MS', 1000, 10, 60_000),
    budgetDefaultMaxOutputTokens: intEnv(env, 'BUDGET_DEFAULT_MAX_OUTPUT_TOKENS', 4096, 1, 10_000_000),
    listenHeartbeatMs: intEnv(env, 'LISTEN_HEARTBEAT_MS', 15_000, 100, 600_000),
  };
}
