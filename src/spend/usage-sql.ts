/*
 * The usage page's statements, as pure builders (the benchmark times the same SQL). Totals, series and
 * the per key/team/model tables read the hourly rollup; percentiles and errors read the log, bounded by
 * time and served by its indexes (the newest successful rows for percentiles, the failures-only index).
 */
import type { Split } from './usage.dto.js';

export interface UsageFilter {
  start: Date;
  end: Date;
  /** Key hash. */
  apiKey?: string;
  teamId?: string;
  model?: string;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** Successful rows the percentiles are computed from: the newest in the range. */
export const LATENCY_SAMPLE = 50_000;
/** Series drawn one per group with split_by; the rest are summed as "__other__". */
export const SPLIT_TOP = 6;

const SUMS = `sum(spend)::float8 AS spend, sum(requests)::bigint AS requests, sum(failed_requests)::bigint AS failed_requests,
  sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
  sum(prompt_tokens + completion_tokens)::bigint AS total_tokens`;

const SPLIT_COLUMN: Record<Split, string> = { api_key: 'h.api_key', team_id: 'h.team_id', model: 'h.model_group' };

function where(f: UsageFilter, columns: { time: string; key: string; team: string; model: string }, params: unknown[], timeIsHour: boolean): string {
  // The rollup's hour buckets: an hour counts when it starts before the end and ends after the start.
  params.push(timeIsHour ? new Date(Math.floor(f.start.getTime() / 3_600_000) * 3_600_000) : f.start, f.end);
  const parts = [`${columns.time} >= $${params.length - 1}`, `${columns.time} < $${params.length}`];
  for (const [column, value] of [
    [columns.key, f.apiKey],
    [columns.team, f.teamId],
    [columns.model, f.model],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} = $${params.length}`);
  }
  return `WHERE ${parts.join(' AND ')}`;
}

const rollupWhere = (f: UsageFilter, params: unknown[]) =>
  where(f, { time: 'h.hour', key: 'h.api_key', team: 'h.team_id', model: 'h.model_group' }, params, true);
const logWhere = (f: UsageFilter, params: unknown[]) =>
  where(f, { time: 's."startTime"', key: 's.api_key', team: 's.team_id', model: 's.model_group' }, params, false);

export function totalsSql(f: UsageFilter): Statement {
  const params: unknown[] = [];
  return { sql: `SELECT ${SUMS} FROM "model_proxy_hourly_spend" h ${rollupWhere(f, params)}`, params };
}

/** Per key, newest alias and masked name from its last log row when the key was deleted since. */
export function byKeySql(f: UsageFilter): Statement {
  const params: unknown[] = [];
  return {
    sql: `WITH g AS (SELECT h.api_key, ${SUMS} FROM "model_proxy_hourly_spend" h ${rollupWhere(f, params)} GROUP BY h.api_key ORDER BY spend DESC LIMIT 100)
      SELECT g.*, coalesce(k.key_alias, last.alias) AS key_alias, coalesce(k.key_name, last.name) AS key_name, (k.token IS NULL AND g.api_key <> '') AS deleted
      FROM g LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = g.api_key
      LEFT JOIN LATERAL (SELECT s.metadata->>'user_api_key_alias' AS alias, s.metadata->>'user_api_key_name' AS name FROM "LiteLLM_SpendLogs" s
        WHERE k.token IS NULL AND s.api_key = g.api_key ORDER BY s."startTime" DESC LIMIT 1) last ON true
      ORDER BY g.spend DESC`,
    params,
  };
}

export function byTeamSql(f: UsageFilter): Statement {
  const params: unknown[] = [];
  return {
    sql: `WITH g AS (SELECT h.team_id, ${SUMS} FROM "model_proxy_hourly_spend" h ${rollupWhere(f, params)} GROUP BY h.team_id)
      SELECT g.*, t.team_alias FROM g LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = g.team_id ORDER BY g.spend DESC LIMIT 100`,
    params,
  };
}

export function byModelSql(f: UsageFilter): Statement {
  const params: unknown[] = [];
  return {
    sql: `SELECT h.model_group AS model, ${SUMS} FROM "model_proxy_hourly_spend" h ${rollupWhere(f, params)} GROUP BY h.model_group ORDER BY spend DESC LIMIT 100`,
    params,
  };
}

/** One point per UTC hour or day (and per group of `split`, the `top` groups by name, the rest as "__other__"). */
export function seriesSql(f: UsageFilter, granularity: 'hour' | 'day', split?: Split, top: Array<string | null> = []): Statement {
  const params: unknown[] = [];
  const filter = rollupWhere(f, params);
  let group = 'NULL::text';
  if (split) {
    const column = SPLIT_COLUMN[split];
    const named = top.filter((t): t is string => t !== null);
    params.push(named);
    // A null group (no team, no model) is its own series only when it is among the top ones.
    const nullTop = top.includes(null) ? `WHEN ${column} IS NULL THEN NULL` : `WHEN ${column} IS NULL THEN '__other__'`;
    group = `CASE ${nullTop} WHEN ${column} = ANY($${params.length}::text[]) THEN ${column} ELSE '__other__' END`;
  }
  const bucket = granularity === 'hour' ? 'h.hour' : `date_trunc('day', h.hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  return { sql: `SELECT ${bucket} AS bucket, ${group} AS "group", ${SUMS} FROM "model_proxy_hourly_spend" h ${filter} GROUP BY 1, 2 ORDER BY 1, 2`, params };
}

/** p50/p90/p99 of duration and time to first token over the newest successful rows, overall and per bucket. */
export function latencySql(f: UsageFilter, granularity: 'hour' | 'day', limit = LATENCY_SAMPLE): Statement {
  const params: unknown[] = [];
  const filter = logWhere(f, params);
  params.push(limit);
  const bucket = granularity === 'hour' ? `date_trunc('hour', t)` : `date_trunc('day', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  const pct = (col: string) => `percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY ${col})`;
  return {
    sql: `WITH sample AS (
        SELECT s."startTime" AS t, s.request_duration_ms AS d,
          CASE WHEN s."completionStartTime" IS NULL THEN NULL ELSE extract(epoch FROM s."completionStartTime" - s."startTime") * 1000 END AS ttft
        FROM "LiteLLM_SpendLogs" s ${filter} AND s.status = 'success' ORDER BY s."startTime" DESC LIMIT $${params.length})
      SELECT ${bucket} AS bucket, GROUPING(${bucket}) = 1 AS overall, count(*)::int AS requests, ${pct('d')} AS latency, ${pct('ttft')} AS ttft
      FROM sample GROUP BY GROUPING SETS ((${bucket}), ()) ORDER BY 1 NULLS FIRST`,
    params,
  };
}

/** Failures by the status the client got and the error type, per model alias (the failures-only index). */
export function errorsSql(f: UsageFilter): Statement {
  const params: unknown[] = [];
  return {
    sql: `SELECT CASE WHEN s.metadata->>'status_code' ~ '^[0-9]{3}$' THEN (s.metadata->>'status_code')::int END AS status_code, s.metadata->>'error_type' AS error_type, s.model_group AS model,
        count(*)::int AS count, max(s."startTime") AS last_seen
      FROM "LiteLLM_SpendLogs" s ${logWhere(f, params)} AND s.status = 'failure'
      GROUP BY 1, 2, 3 ORDER BY count DESC, last_seen DESC LIMIT 100`,
    params,
  };
}
