import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * LiteLLM's daily spend rollup, kept by the spend writer in the same statement that writes the log
 * rows, so reports by day, key and model read a few thousand rows instead of scanning every request.
 * The unique key adds `model_group` to LiteLLM's (two aliases may share an upstream model) and treats
 * NULLs as equal so the writer can upsert.
 */
export class AddDailyUserSpend1764050000000 implements MigrationInterface {
  name = 'AddDailyUserSpend1764050000000';

  async up(q: QueryRunner): Promise<void> {
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
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS "UQ_daily_user_spend" ON "LiteLLM_DailyUserSpend"
      ("user_id", "date", "api_key", "model", "model_group", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint") NULLS NOT DISTINCT`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_daily_user_spend_date" ON "LiteLLM_DailyUserSpend" ("date")`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_daily_user_spend_api_key" ON "LiteLLM_DailyUserSpend" ("api_key")`);
    // Days already logged before this migration, so reports cover them too.
    await q.query(`INSERT INTO "LiteLLM_DailyUserSpend" (user_id, date, api_key, model, model_group, custom_llm_provider, endpoint,
        prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests)
      SELECT k.user_id, to_char(s."startTime" AT TIME ZONE 'UTC', 'YYYY-MM-DD'), s.api_key, s.model, s.model_group, 'hosted_vllm', s.call_type,
        sum(s.prompt_tokens), sum(s.completion_tokens), sum(s.spend), count(*),
        count(*) FILTER (WHERE s.status IS DISTINCT FROM 'failure'), count(*) FILTER (WHERE s.status = 'failure')
      FROM "LiteLLM_SpendLogs" s LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = s.api_key
      GROUP BY 1, 2, 3, 4, 5, 7
      ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "LiteLLM_DailyUserSpend"`);
  }
}
