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
  aliases?: unknown;
}

/** The string-to-string entries of a stored `aliases` (jsonb written by this proxy or by LiteLLM). */
function aliasesOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
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
  };
}
