import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tableExists } from './schema-probe.js';

/**
 * LiteLLM's daily spend rollup, kept by the spend writer in the same statement that writes the log
 * rows, so reports by day, key and model read a few thousand rows instead of scanning every request.
 * The writer's unique key is added by AddPortableDailySpendKey (PostgreSQL 14 has no NULLS NOT DISTINCT).
 * On a LiteLLM database the table is LiteLLM's (Prisma's DDL: no default for `id` nor `updated_at`,
 * its own indexes), so the backfill supplies both, and only rolls up days LiteLLM has no rollup rows
 * for: LiteLLM books a day's rollup with its logs, so a day it rolled up is complete, and a day it
 * did not (logged before it kept the table) is rolled up here once.
 */
export class AddDailyUserSpend1764050000000 implements MigrationInterface {
  name = 'AddDailyUserSpend1764050000000';

  async up(q: QueryRunner): Promise<void> {
    const adopted = await tableExists(q, 'LiteLLM_DailyUserSpend');
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_DailyUserSpend" (
      "id" text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      "user_id" text,
      "date" text NOT NULL,
      "api_key" text NOT NULL,
      "model" text,
      "model_group" text,
      "custom_llm_provider" text,
      "mcp_namespaced_tool_name" text,
      "endpoint" text,
      "prompt_tokens" bigint NOT NULL DEFAULT 0,
      "completion_tokens" bigint NOT NULL DEFAULT 0,
      "cache_read_input_tokens" bigint NOT NULL DEFAULT 0,
      "cache_creation_input_tokens" bigint NOT NULL DEFAULT 0,
      "spend" double precision NOT NULL DEFAULT 0,
      "api_requests" bigint NOT NULL DEFAULT 0,
      "successful_requests" bigint NOT NULL DEFAULT 0,
      "failed_requests" bigint NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    if (!adopted) {
      await q.query(`CREATE INDEX IF NOT EXISTS "IDX_daily_user_spend_date" ON "LiteLLM_DailyUserSpend" ("date")`);
      await q.query(`CREATE INDEX IF NOT EXISTS "IDX_daily_user_spend_api_key" ON "LiteLLM_DailyUserSpend" ("api_key")`);
    }
    // Days already logged before this migration, so reports cover them too.
    // Session time zone UTC (database.options.ts): `"startTime" AT TIME ZONE 'UTC'` is the UTC day
    // for LiteLLM's naive UTC timestamps and for our timestamptz alike.
    await q.query(`INSERT INTO "LiteLLM_DailyUserSpend" (id, user_id, date, api_key, model, model_group, custom_llm_provider, endpoint,
        prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests, created_at, updated_at)
      SELECT gen_random_uuid()::text, b.*, now(), now() FROM (
        SELECT k.user_id, to_char(s."startTime" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, s.api_key, s.model, s.model_group, 'hosted_vllm', s.call_type,
          sum(s.prompt_tokens), sum(s.completion_tokens), sum(s.spend), count(*),
          count(*) FILTER (WHERE s.status IS DISTINCT FROM 'failure'), count(*) FILTER (WHERE s.status = 'failure')
        FROM "LiteLLM_SpendLogs" s LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = s.api_key
        GROUP BY 1, 2, 3, 4, 5, 7
      ) b
      WHERE NOT EXISTS (SELECT 1 FROM "LiteLLM_DailyUserSpend" d WHERE d.date = b.day)
      ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "LiteLLM_DailyUserSpend"`);
  }
}
