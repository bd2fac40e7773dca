import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An hourly rollup of spend per key, team and model alias, kept by the spend writer in the same
 * statement as the daily one, so the usage page's totals and series (hourly or daily, filtered by key,
 * team or model) read a few thousand rows whatever the log holds. Not a LiteLLM table, hence the name.
 * Also a partial index on failed log rows, so the error breakdown reads only failures, and keys'
 * `last_active` (LiteLLM's column, kept by the writer from now on) filled in from the log.
 */
export class AddHourlySpend1795600000000 implements MigrationInterface {
  name = 'AddHourlySpend1795600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS "model_proxy_hourly_spend" (
      "id" bigserial PRIMARY KEY,
      "hour" timestamptz NOT NULL,
      "api_key" text NOT NULL,
      "team_id" text,
      "model_group" text,
      "prompt_tokens" bigint NOT NULL DEFAULT 0,
      "completion_tokens" bigint NOT NULL DEFAULT 0,
      "spend" double precision NOT NULL DEFAULT 0,
      "requests" bigint NOT NULL DEFAULT 0,
      "failed_requests" bigint NOT NULL DEFAULT 0
    )`);
    await q.query(
      `CREATE UNIQUE INDEX IF NOT EXISTS "UQ_hourly_spend" ON "model_proxy_hourly_spend" ("hour", "api_key", "team_id", "model_group") NULLS NOT DISTINCT`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_hourly_spend_api_key_hour" ON "model_proxy_hourly_spend" ("api_key", "hour")`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_spend_logs_failures" ON "LiteLLM_SpendLogs" ("startTime") WHERE status = 'failure'`);
    // Hours already logged before this migration, so the usage page covers them too.
    await q.query(`INSERT INTO "model_proxy_hourly_spend" (hour, api_key, team_id, model_group, prompt_tokens, completion_tokens, spend, requests, failed_requests)
      SELECT date_trunc('hour', "startTime"), api_key, team_id, model_group, sum(prompt_tokens), sum(completion_tokens), sum(spend), count(*),
        count(*) FILTER (WHERE status = 'failure')
      FROM "LiteLLM_SpendLogs" GROUP BY 1, 2, 3, 4
      ON CONFLICT DO NOTHING`);
    await q.query(`UPDATE "LiteLLM_VerificationToken" k SET last_active = (SELECT max(s."startTime") FROM "LiteLLM_SpendLogs" s WHERE s.api_key = k.token)
      WHERE k.last_active IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "IDX_spend_logs_failures"`);
    await q.query(`DROP TABLE IF EXISTS "model_proxy_hourly_spend"`);
  }
}
