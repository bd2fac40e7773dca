export type RoutingStrategy = 'simple-shuffle' | 'least-busy';

/** One `model_list` entry, resolved (env references read, prefix stripped). */
export interface DeploymentConfig {
  /** `model_info.id`, or a stable hash of the entry. */
  id: string;
  /** The alias clients send (`model_name`). */
  modelName: string;
  /** `litellm_params.model` as written, e.g. `openai/google/gemma-4-31b`. */
  litellmModel: string;
  /** The id sent upstream, e.g. `google/gemma-4-31b`. */
  upstreamModel: string;
  /** Base URL ending in `/v1` (no trailing slash). */
  apiBase: string;
  apiKey?: string;
  timeoutMs?: number;
  rpm?: number;
  tpm?: number;
  inputCostPerToken: number;
  outputCostPerToken: number;
  /** `model_info.max_output_tokens`: the worst case a budget reserves when a request sets no `max_tokens`. */
  maxOutputTokens?: number;
  modelInfo: Record<string, unknown>;
  source: 'config' | 'db';
}

export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  allowedFails: number;
  cooldownTimeSec: number;
  numRetries: number;
  requestTimeoutMs: number;
}

export interface ProxyFileConfig {
  deployments: DeploymentConfig[];
  router: RouterSettings;
  /** `general_settings.master_key`, when the file sets one. */
  masterKey?: string;
  /** `general_settings.disable_spend_logs`: book key/user/team spend, but write no per-request rows. */
  disableSpendLogs: boolean;
}

export interface AppConfig {
  host: string;
  port: number;
  /** Unset: the embedded PostgreSQL is started. */
  databaseUrl?: string;
  dataDir: string;
  masterKey: string;
  saltKey: string;
  storeModelInDb: boolean;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  redisUrl?: string;
  configPath: string;
  tokensEnvPath: string;
  proxy: ProxyFileConfig;
  /** Grace period for in-flight requests at shutdown. */
  shutdownGraceMs: number;
  /** Spend writer flush interval. */
  spendFlushMs: number;
  /** `KEY_CACHE_TTL_MS`: how long a cached key (and its user and team budgets) is trusted without a NOTIFY. */
  keyCacheTtlMs: number;
  /** `SPEND_SYNC_MS`: how often spend of recently used budgeted keys, users and teams is re-read from the database. */
  spendSyncMs: number;
  /** `BUDGET_DEFAULT_MAX_OUTPUT_TOKENS`: output tokens reserved when neither the request nor the deployment says. */
  budgetDefaultMaxOutputTokens: number;
  /** `LISTEN_HEARTBEAT_MS`: how often the LISTEN connection is probed; no answer within min(this, 5 s) = lost. */
  listenHeartbeatMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
/** The environment the app booted with, for `os.environ/NAME` references read later (config reload, DB models). */
export const PROXY_ENV = Symbol('PROXY_ENV');
