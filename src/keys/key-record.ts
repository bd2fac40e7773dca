/** A team's or user's limits, read with each of its keys: what auth and the limiter check besides the key's own. */
export interface ScopeLimits {
  /** `team:<id>` or `user:<id>`: the name budgets, limits and the spend ledger know it by. */
  entity: string;
  id: string;
  /** Empty = every model. */
  models: string[];
  blocked: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
}

/** What the hot path needs to know about a virtual key, read once and cached. */
export interface KeyRecord {
  token: string;
  keyName: string | null;
  keyAlias: string | null;
  /** Empty = every model. */
  models: string[];
  /** Spend as read from the database (pending spend is kept by the spend module). */
  spend: number;
  maxBudget: number | null;
  /** Epoch ms, or null = never. */
  expires: number | null;
  blocked: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  userId: string | null;
  teamId: string | null;
  /** The key's user and team budgets (`LiteLLM_UserTable` / `LiteLLM_TeamTable`), read with the key. */
  userMaxBudget: number | null;
  userSpend: number;
  teamMaxBudget: number | null;
  teamSpend: number;
  /** LiteLLM's per-key `aliases`: a model name this key may send for another (`{"my-model": "gemma-4-31b"}`). */
  aliases: Readonly<Record<string, string>>;
  /** The key's team and user rows, when they exist (a key may name a team or user that does not). */
  team: ScopeLimits | null;
  user: ScopeLimits | null;
}

export interface KeyRow {
  token: string;
  key_name: string | null;
  key_alias: string | null;
  models: string[] | null;
  spend: number | null;
  max_budget: number | null;
  expires: Date | null;
  blocked: boolean | null;
  rpm_limit: string | number | null;
  tpm_limit: string | number | null;
  max_parallel_requests: number | null;
  user_id: string | null;
  team_id: string | null;
  /** From the user and team rows, when the query joins them. */
  user_max_budget?: number | null;
  user_spend?: number | null;
  team_max_budget?: number | null;
  team_spend?: number | null;
  team_row?: string | null;
  team_models?: string[] | null;
  team_blocked?: boolean | null;
  team_rpm_limit?: string | number | null;
  team_tpm_limit?: string | number | null;
  team_max_parallel_requests?: number | null;
  user_row?: string | null;
  user_models?: string[] | null;
  user_rpm_limit?: string | number | null;
  user_tpm_limit?: string | number | null;
  user_max_parallel_requests?: number | null;
  aliases?: unknown;
}

/** The string-to-string entries of a stored `aliases` (jsonb written by this proxy or by LiteLLM). */
function aliasesOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

function scope(kind: 'team' | 'user', row: KeyRow): ScopeLimits | null {
  const id = row[`${kind}_row`];
  if (!id) return null;
  return {
    entity: `${kind}:${id}`,
    id,
    models: row[`${kind}_models`] ?? [],
    blocked: kind === 'team' && row.team_blocked === true,
    rpmLimit: toNum(row[`${kind}_rpm_limit`] ?? null),
    tpmLimit: toNum(row[`${kind}_tpm_limit`] ?? null),
    maxParallelRequests: row[`${kind}_max_parallel_requests`] ?? null,
  };
}

const toNum = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

export function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    token: row.token,
    keyName: row.key_name,
    keyAlias: row.key_alias,
    models: row.models ?? [],
    spend: row.spend ?? 0,
    maxBudget: row.max_budget,
    expires: row.expires ? row.expires.getTime() : null,
    blocked: row.blocked === true,
    rpmLimit: toNum(row.rpm_limit),
    tpmLimit: toNum(row.tpm_limit),
    maxParallelRequests: row.max_parallel_requests,
    userId: row.user_id,
    teamId: row.team_id,
    userMaxBudget: row.user_max_budget ?? null,
    userSpend: row.user_spend ?? 0,
    teamMaxBudget: row.team_max_budget ?? null,
    teamSpend: row.team_spend ?? 0,
    aliases: aliasesOf(row.aliases),
    team: scope('team', row),
    user: scope('user', row),
  };
}
