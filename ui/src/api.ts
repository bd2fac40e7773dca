// The admin API, called with the session cookie. Every call carries the UI's CSRF header: without it
// the proxy does not take the cookie as the master key.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined | null>;

let onSessionLost: () => void = () => undefined;

/** Called when an API call answers 401: the session expired or the proxy restarted. */
export function whenSessionLost(handler: () => void): void {
  onSessionLost = handler;
}

function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-ui-session': '1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'Cannot reach the proxy. Is it running?');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { message?: string; param?: string | null } } | undefined)?.error;
    const message = err?.message || `${res.status} ${res.statusText}`;
    if (res.status === 401 && !path.startsWith('/ui/')) onSessionLost();
    throw new ApiError(res.status, message, err?.param ?? null);
  }
  return json as T;
}

export const get = <T>(path: string, query?: Query) => call<T>('GET', path, undefined, query);
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body);

// --- shapes of the answers the UI reads (LiteLLM-compatible) ---

export interface Key {
  token: string;
  key_name: string | null;
  key_alias: string | null;
  spend: number;
  max_budget: number | null;
  expires: string | null;
  models: string[];
  blocked: boolean | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
  team_id: string | null;
  user_id: string | null;
  created_at: string | null;
  last_active: string | null;
}

export interface KeyList {
  keys: Key[];
  total_count: number;
  current_page: number;
  total_pages: number;
}

export interface NewKey extends Key {
  key: string;
}

export interface Deployment {
  model_name: string;
  litellm_params: { model: string; api_base?: string; api_key?: string; [k: string]: unknown };
  model_info: { id: string; db_model: boolean; input_cost_per_token?: number | null; output_cost_per_token?: number | null; [k: string]: unknown };
}

export interface SpendLog {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: string;
  endTime: string | null;
  completionStartTime: string | null;
  request_duration_ms: number | null;
  model: string;
  model_group: string | null;
  team_id: string | null;
  status: string | null;
  metadata: Record<string, unknown> | null;
}

export interface UiConfig {
  store_model_in_db: boolean;
  version: string;
}

export interface DeploymentHealth {
  model_name: string;
  model_id: string;
  api_base: string;
  state: 'healthy' | 'cooling_down' | 'unreachable';
  cooldown_until: string | null;
  last_error: string | null;
  in_flight: number;
  queue_waiting: number | null;
  requests_running: number | null;
  kv_cache_usage: number | null;
  load_updated_at: string | null;
  checked_at: string;
}

export interface Totals {
  spend: number;
  requests: number;
  failed_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
export interface UsagePoint extends Totals {
  bucket: string;
  group: string | null;
}
export interface KeyUsage extends Totals {
  api_key: string;
  key_alias: string | null;
  key_name: string | null;
  deleted: boolean;
}
export interface TeamUsage extends Totals {
  team_id: string | null;
  team_alias: string | null;
}
export interface ModelUsage extends Totals {
  model: string | null;
}
export interface Usage {
  granularity: 'hour' | 'day';
  start: string;
  end: string;
  totals: Totals;
  series: UsagePoint[];
  by_key: KeyUsage[];
  by_team: TeamUsage[];
  by_model: ModelUsage[];
}
export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}
export interface Latency {
  sampled: number;
  sample_limit: number;
  latency_ms: Percentiles;
  ttft_ms: Percentiles;
  series: Array<{ bucket: string; requests: number; latency_ms: Percentiles; ttft_ms: Percentiles }>;
}
export interface ErrorGroup {
  status_code: number | null;
  error_type: string | null;
  model: string | null;
  count: number;
  last_seen: string;
}

export const session = () => call<{ authenticated: boolean; expires_at: string | null }>('GET', '/ui/session');
export const login = (username: string, password: string) => call<{ expires_at: string }>('POST', '/ui/login', { username, password });
export const logout = () => call<{ logged_out: boolean }>('POST', '/ui/logout', {});
