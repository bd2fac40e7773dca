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

const KEY_COLUMNS = `token, key_name, key_alias, models, spend, max_budget, expires, blocked, rpm_limit, tpm_limit, max_parallel_requests, user_id, team_id, aliases`;
/** The auth cache's read: the keys with their users' and teams' budgets, in one round trip. */
const KEYS_WITH_BUDGETS = `SELECT ${KEY_COLUMNS.split(', ')
  .map((c) => `k.${c}`)
  .join(', ')},
    u.max_budget AS user_max_budget, u.spend AS user_spend, t.max_budget AS team_max_budget, t.spend AS team_spend,
    t.team_id AS team_row, t.models AS team_models, t.blocked AS team_blocked, t.rpm_limit AS team_rpm_limit, t.tpm_limit AS team_tpm_limit,
    t.max_parallel_requests AS team_max_parallel_requests, u.user_id AS user_row, u.models AS user_models, u.rpm_limit AS user_rpm_limit,
    u.tpm_limit AS user_tpm_limit, u.max_parallel_requests AS user_max_parallel_requests
  FROM "LiteLLM_VerificationToken" k
  LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = k.user_id
  LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = k.team_id
  WHERE k.token = ANY($1::text[])`;

/** The auth cache's read of these keys (raw SQL: no ORM on the hot path's misses). */
export async function readKeyRecords(db: { query(sql: string, params: unknown[]): Promise<KeyRow[]> }, tokens: string[]): Promise<Map<string, KeyRecord>> {
  const rows = await db.query(KEYS_WITH_BUDGETS, [tokens]);
  return new Map(rows.map((row) => [row.token, toKeyRecord(row)]));
}
