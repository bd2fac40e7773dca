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
  };
}
