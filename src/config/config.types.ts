export type RoutingStrategy = 'simple-shuffle' | 'least-busy' | 'usage-based-routing-v2' | 'latency-based-routing';

/** Load-aware routing: what the proxy reads from vLLM and how sessions stick (src/config/routing-settings.ts). */
export interface LoadRoutingSettings {
  /** `router_settings.routing_strategy_args.lowest_latency_buffer` (LiteLLM): pick at random within (1 + buffer) × the lowest latency. */
  lowestLatencyBuffer: number;
  /** `router_settings.routing_strategy_args.ttl` (seconds, LiteLLM: 1 h): a deployment's latencies are forgotten this long after the last one. */
  latencyTtlSec: number;
  /** `router_settings.vllm_metrics_interval` (seconds, default 1; 0 = off): how often each deployment's vLLM `/metrics` is read. */
  vllmMetricsIntervalSec: number;
  /** `router_settings.session_affinity`: requests of one session (`user`, or the header below) stick to one deployment. */
  sessionAffinity: boolean;
  /** `router_settings.session_affinity_header`: a request header naming the session, read before the body's `user`. */
  sessionAffinityHeader?: string;
  /** `router_settings.session_affinity_max_imbalance` (default 4): leave the session's deployment once its load exceeds the least loaded one's by more. */
  sessionAffinityMaxImbalance: number;
  /** `general_settings.background_health_checks`: probe each deployment's `/health` in the background. */
  backgroundHealthChecks: boolean;
  /** `general_settings.health_check_interval` (seconds, LiteLLM default 300). */
  healthCheckIntervalSec: number;
}

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
  /** `litellm_params.max_parallel_requests`: requests this deployment serves at once (the router skips it at the cap). */
  maxParallelRequests?: number;
  inputCostPerToken: number;
  outputCostPerToken: number;
  /** `input_cost_per_second` (LiteLLM's audio price): transcription seconds are billed at it. */
  inputCostPerSecond: number;
  /** `model_info.max_output_tokens`: the worst case a budget reserves when a request sets no `max_tokens`. */
  maxOutputTokens?: number;
  /** `litellm_params.weight`: simple-shuffle picks deployments in proportion to it. */
  weight?: number;
  /** `litellm_params.order`: lower first; a higher order serves only when every lower one is unavailable. */
  order?: number;
  /** `model_info.access_groups`: a key whose `models` names one of these may use this alias. */
  accessGroups: string[];
  modelInfo: Record<string, unknown>;
  source: 'config' | 'db';
}

/** `router_settings.allowed_fails_policy`: failures allowed per kind of backend error before a cooldown. */
export interface AllowedFailsPolicy {
  TimeoutErrorAllowedFails?: number;
  RateLimitErrorAllowedFails?: number;
  AuthenticationErrorAllowedFails?: number;
  InternalServerErrorAllowedFails?: number;
}

export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  /** Set (and not LiteLLM's default 3): cool after more than this many failures instead of by failure rate. */
  allowedFails?: number;
  allowedFailsPolicy?: AllowedFailsPolicy;
  cooldownTimeSec: number;
  /** `router_settings.default_max_parallel_requests`, for deployments without their own. */
  defaultMaxParallelRequests?: number;
  numRetries: number;
  requestTimeoutMs: number;
  load: LoadRoutingSettings;
}

/** `{alias: [fallback aliases, in order]}`; `*` is the generic entry (`default_fallbacks`). */
export type FallbackMap = ReadonlyMap<string, readonly string[]>;

/** LiteLLM's fallbacks and `model_group_alias`: reloadable with the file. */
export interface RoutingRules {
  /** `fallbacks` (router_settings, else litellm_settings), with `default_fallbacks` as `*`. */
  fallbacks: FallbackMap;
  /** `context_window_fallbacks`: for a backend's "over the context length" 400. */
  contextWindowFallbacks: FallbackMap;
  /** `router_settings.max_fallbacks` (LiteLLM's default 5): fallback groups tried per request at most. */
  maxFallbacks: number;
  /** `general_settings.enforce_fallback_model_access`: skip fallbacks the key may not use (LiteLLM: off). */
  enforceFallbackModelAccess: boolean;
  /** `router_settings.model_group_alias`: a name clients may send for another alias. */
  modelGroupAlias: ReadonlyMap<string, { target: string; hidden: boolean }>;
}

export interface ProxyFileConfig {
  deployments: DeploymentConfig[];
  router: RouterSettings;
  rules: RoutingRules;
  /** Settings of the file this project does not implement (YAML paths), named in one warning at boot and reload. */
  unsupported: string[];
  /** `general_settings.master_key`, when the file sets one. */
  masterKey?: string;
  /** `general_settings.disable_spend_logs`: book key/user/team spend, but write no per-request rows. */
  disableSpendLogs: boolean;
  /** `general_settings.database_url` (`os.environ/NAME` resolved): as in LiteLLM, it wins over DATABASE_URL. */
  databaseUrl?: string;
}

/** Bounds on what one client can hold of the server (issue: hostile, slow and broken clients). */
export interface HttpLimits {
  /** `MAX_REQUEST_BODY_BYTES`: a larger /v1 body is refused with 413. */
  maxBodyBytes: number;
  /** `MAX_JSON_DEPTH`: deeper nesting of objects and arrays in a /v1 body is refused with 400. */
  maxJsonDepth: number;
  /** `MAX_INFLIGHT_BODY_BYTES`: request-body bytes held by all /v1 requests at once; beyond it 503 + Retry-After. */
  maxInflightBodyBytes: number;
  /** `STREAM_STALL_TIMEOUT_MS`: a client that accepts no data for this long is cut off and its backend request aborted. */
  streamStallTimeoutMs: number;
  /** `REQUEST_TIMEOUT_MS`: the whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** `HEADERS_TIMEOUT_MS`: the request headers must arrive within this. */
  headersTimeoutMs: number;
  /** `MAX_CONNECTIONS`: concurrent client connections; more are closed at once. */
  maxConnections: number;
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
  /** `SPEND_QUEUE_MAX_BYTES`: bound on spend records kept in memory while the database is unreachable. */
  spendQueueMaxBytes: number;
  /** `SPEND_SHUTDOWN_FLUSH_MS`: how long a shutdown tries to write pending spend before journaling the rest. */
  spendShutdownFlushMs: number;
  /** `DB_STATEMENT_TIMEOUT_MS`: PostgreSQL statement_timeout of the app's connections (0: none). */
  dbStatementTimeoutMs: number;
  http: HttpLimits;
  /** Connections per backend origin (`UPSTREAM_CONNECTIONS`). */
  upstreamConnections: number;
  /** Requests per deployment that may wait for a connection beyond those (`UPSTREAM_QUEUE_MAX`); more: 503. */
  upstreamQueueMax: number;
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
