/*
 * The flush statement, and how its failures are told apart. Ids and `updated_at` are written here:
 * on a LiteLLM database (Prisma's DDL) those columns have no default.
 */
import { DAILY_SPEND_KEY } from '../../migrations/1795600000001-AddPortableDailySpendKey.js';

const BATCH_ROWS = `json_to_recordset($1::json) AS r(request_id text, call_type text, api_key text, spend float8, prompt_tokens int,
    completion_tokens int, start_ms float8, end_ms float8, first_ms float8, model text, model_id text, model_group text,
    api_base text, end_user text, team_id text, status text, metadata json)`;

/*
 * One statement books a batch exactly once: log rows are inserted (a retried batch whose first
 * commit did land inserts nothing), and only the rows actually inserted add to key, user and team
 * spend (and `last_active`) and to the daily and hourly rollups, summed per key — one UPDATE for all keys, never one per request.
 */
const INSERT_LOGS = `INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens,
    "startTime", "endTime", "completionStartTime", request_duration_ms, model, model_id, model_group, api_base, "user",
    team_id, status, metadata, custom_llm_provider)
  SELECT r.request_id, r.call_type, r.api_key, r.spend, r.prompt_tokens, r.completion_tokens, r.prompt_tokens + r.completion_tokens,
    to_timestamp(r.start_ms / 1000.0), to_timestamp(r.end_ms / 1000.0),
    CASE WHEN r.first_ms IS NULL THEN NULL ELSE to_timestamp(r.first_ms / 1000.0) END,
    (r.end_ms - r.start_ms)::int, r.model, r.model_id, r.model_group, r.api_base, r.end_user, r.team_id, r.status,
    r.metadata::jsonb, 'hosted_vllm'
  FROM ${BATCH_ROWS}
  ON CONFLICT (request_id) DO NOTHING
  RETURNING api_key, spend, team_id, metadata->>'user_api_key_user_id' AS user_id,
    to_char("startTime" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, date_trunc('hour', "startTime") AS hour, "startTime" AS start_time, model, model_group, call_type AS endpoint,
    prompt_tokens, completion_tokens, status = 'failure' AS failed`;

/** With `disable_spend_logs`: no log rows, the totals alone (as LiteLLM's setting does). */
const TOTALS_ONLY = `SELECT r.api_key, r.spend, r.team_id, r.metadata->>'user_api_key_user_id' AS user_id,
    to_char(to_timestamp(r.start_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, date_trunc('hour', to_timestamp(r.start_ms / 1000.0)) AS hour, to_timestamp(r.start_ms / 1000.0) AS start_time, r.model, r.model_group,
    r.call_type AS endpoint, r.prompt_tokens, r.completion_tokens, r.status = 'failure' AS failed
  FROM ${BATCH_ROWS}`;

export function flushSql(withLogs: boolean): string {
  return `WITH ins AS (${withLogs ? INSERT_LOGS : TOTALS_ONLY}), by_key AS (
  SELECT api_key, sum(spend) AS total, max(start_time) AS last_active FROM ins WHERE api_key <> '' GROUP BY api_key
), daily AS (
  INSERT INTO "LiteLLM_DailyUserSpend" AS d (id, user_id, date, api_key, model, model_group, custom_llm_provider, endpoint,
    prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests, created_at, updated_at)
  SELECT gen_random_uuid()::text, user_id, day, api_key, model, model_group, 'hosted_vllm', endpoint, sum(prompt_tokens), sum(completion_tokens),
    sum(spend), count(*), count(*) FILTER (WHERE NOT failed), count(*) FILTER (WHERE failed), now(), now()
  FROM ins GROUP BY user_id, day, api_key, model, model_group, endpoint
  ON CONFLICT (${DAILY_SPEND_KEY}) DO UPDATE SET
    prompt_tokens = d.prompt_tokens + excluded.prompt_tokens, completion_tokens = d.completion_tokens + excluded.completion_tokens,
    spend = d.spend + excluded.spend, api_requests = d.api_requests + excluded.api_requests,
    successful_requests = d.successful_requests + excluded.successful_requests,
    failed_requests = d.failed_requests + excluded.failed_requests, updated_at = now()
  RETURNING 1
), hourly AS (
  INSERT INTO "model_proxy_hourly_spend" AS h (hour, api_key, team_id, model_group, prompt_tokens, completion_tokens, spend, requests, failed_requests)
  SELECT hour, api_key, team_id, model_group, sum(prompt_tokens), sum(completion_tokens), sum(spend), count(*), count(*) FILTER (WHERE failed)
  FROM ins GROUP BY hour, api_key, team_id, model_group
  ON CONFLICT (hour, api_key, team_id, model_group) DO UPDATE SET
    prompt_tokens = h.prompt_tokens + excluded.prompt_tokens, completion_tokens = h.completion_tokens + excluded.completion_tokens,
    spend = h.spend + excluded.spend, requests = h.requests + excluded.requests, failed_requests = h.failed_requests + excluded.failed_requests
  RETURNING 1
), users AS (
  UPDATE "LiteLLM_UserTable" u SET spend = u.spend + s.total
  FROM (SELECT user_id, sum(spend) AS total FROM ins WHERE user_id IS NOT NULL GROUP BY user_id) s
  WHERE u.user_id = s.user_id
  RETURNING 'user:' || u.user_id AS token, u.spend
), teams AS (
  UPDATE "LiteLLM_TeamTable" t SET spend = t.spend + s.total
  FROM (SELECT team_id, sum(spend) AS total FROM ins WHERE team_id IS NOT NULL GROUP BY team_id) s
  WHERE t.team_id = s.team_id
  RETURNING 'team:' || t.team_id AS token, t.spend
), keys AS (
  UPDATE "LiteLLM_VerificationToken" k SET spend = k.spend + b.total, last_active = greatest(k.last_active, b.last_active)
  FROM by_key b WHERE k.token = b.api_key
  RETURNING k.token, k.spend
)
SELECT token, spend FROM keys UNION ALL SELECT token, spend FROM users UNION ALL SELECT token, spend FROM teams`;
}

/** Classes of SQLSTATE that say "the database is unavailable", not "this data is wrong": keep and retry. */
const TRANSIENT_CLASSES = new Set([
  '08', // connection exception
  '53', // insufficient resources (too many connections, disk full)
  '57', // operator intervention: admin shutdown, cannot connect now, statement timeout (57014)
  '58', // system error
  '40', // transaction rollback: serialization failure, deadlock
  '28', // invalid authorization (a password changed under us)
  '3D', // invalid catalog name (database not there yet)
  'XX', // internal error
]);

/** The SQLSTATE of a failed query, if PostgreSQL sent one. */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * A failure caused by the rows themselves (data exception 22, integrity 23, limits 54, or any
 * other error PostgreSQL answers with a SQLSTATE outside the "unavailable" classes): splitting the
 * batch isolates them. Errors without a SQLSTATE (refused, reset, timed out) are connection errors.
 */
export function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && !TRANSIENT_CLASSES.has(code.slice(0, 2));
}
