import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tableExists } from './schema-probe.js';

/**
 * The LiteLLM proxy's tables, with its names and defaults, so rows written by LiteLLM read the
 * same here (a row holding only `token` is a valid key for every model).
 */
export class CreateLiteLLMSchema1764040000000 implements MigrationInterface {
  name = 'CreateLiteLLMSchema1764040000000';

  async up(q: QueryRunner): Promise<void> {
    // A database the LiteLLM proxy created already has its tables (Prisma's DDL): they are kept as they are.
    const adopted = await tableExists(q, 'LiteLLM_VerificationToken');
    // On it, `if (!adopted)` skips an index Prisma's schema already has under its own name.
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_BudgetTable" (
      "budget_id" text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      "max_budget" double precision,
      "soft_budget" double precision,
      "max_parallel_requests" integer,
      "tpm_limit" bigint,
      "rpm_limit" bigint,
      "model_max_budget" jsonb,
      "budget_duration" text,
      "budget_reset_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text NOT NULL DEFAULT '',
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "updated_by" text NOT NULL DEFAULT ''
    )`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_TeamTable" (
      "team_id" text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      "team_alias" text,
      "organization_id" text,
      "admins" text[] NOT NULL DEFAULT '{}',
      "members" text[] NOT NULL DEFAULT '{}',
      "members_with_roles" jsonb NOT NULL DEFAULT '{}',
      "metadata" jsonb NOT NULL DEFAULT '{}',
      "max_budget" double precision,
      "spend" double precision NOT NULL DEFAULT 0,
      "models" text[] NOT NULL DEFAULT '{}',
      "max_parallel_requests" integer,
      "tpm_limit" bigint,
      "rpm_limit" bigint,
      "budget_duration" text,
      "budget_reset_at" timestamptz,
      "blocked" boolean NOT NULL DEFAULT false,
      "model_spend" jsonb NOT NULL DEFAULT '{}',
      "model_max_budget" jsonb NOT NULL DEFAULT '{}',
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    if (!adopted) await q.query(`CREATE INDEX IF NOT EXISTS "IDX_team_alias" ON "LiteLLM_TeamTable" ("team_alias")`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_UserTable" (
      "user_id" text PRIMARY KEY,
      "user_alias" text,
      "team_id" text,
      "organization_id" text,
      "password" text,
      "teams" text[] NOT NULL DEFAULT '{}',
      "user_role" text,
      "max_budget" double precision,
      "spend" double precision NOT NULL DEFAULT 0,
      "user_email" text,
      "models" text[] NOT NULL DEFAULT '{}',
      "metadata" jsonb NOT NULL DEFAULT '{}',
      "max_parallel_requests" integer,
      "tpm_limit" bigint,
      "rpm_limit" bigint,
      "budget_duration" text,
      "budget_reset_at" timestamptz,
      "model_spend" jsonb NOT NULL DEFAULT '{}',
      "model_max_budget" jsonb NOT NULL DEFAULT '{}',
      "created_at" timestamptz DEFAULT now(),
      "updated_at" timestamptz DEFAULT now()
    )`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_VerificationToken" (
      "token" text PRIMARY KEY,
      "key_name" text,
      "key_alias" text,
      "soft_budget_cooldown" boolean NOT NULL DEFAULT false,
      "spend" double precision NOT NULL DEFAULT 0,
      "expires" timestamptz,
      "models" text[] NOT NULL DEFAULT '{}',
      "aliases" jsonb NOT NULL DEFAULT '{}',
      "config" jsonb NOT NULL DEFAULT '{}',
      "user_id" text,
      "team_id" text,
      "permissions" jsonb NOT NULL DEFAULT '{}',
      "max_parallel_requests" integer,
      "metadata" jsonb NOT NULL DEFAULT '{}',
      "blocked" boolean,
      "tpm_limit" bigint,
      "rpm_limit" bigint,
      "max_budget" double precision,
      "budget_duration" text,
      "budget_reset_at" timestamptz,
      "allowed_cache_controls" text[] NOT NULL DEFAULT '{}',
      "model_spend" jsonb NOT NULL DEFAULT '{}',
      "model_max_budget" jsonb NOT NULL DEFAULT '{}',
      "budget_id" text,
      "organization_id" text,
      "created_at" timestamptz DEFAULT now(),
      "created_by" text,
      "updated_at" timestamptz DEFAULT now(),
      "updated_by" text,
      "last_active" timestamptz,
      "rotation_count" integer DEFAULT 0
    )`);
    // LiteLLM's schema allows duplicate aliases (only its API refuses new ones, as KeysService does here):
    // on its database the aliases it holds stay, and no index it would not have is added.
    if (!adopted) {
      await q.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS "UQ_verification_token_key_alias" ON "LiteLLM_VerificationToken" ("key_alias") WHERE "key_alias" IS NOT NULL`,
      );
    }
    if (!adopted) await q.query(`CREATE INDEX IF NOT EXISTS "IDX_verification_token_user_team" ON "LiteLLM_VerificationToken" ("user_id", "team_id")`);
    if (!adopted) await q.query(`CREATE INDEX IF NOT EXISTS "IDX_verification_token_team" ON "LiteLLM_VerificationToken" ("team_id")`);
    if (!adopted)
      await q.query(`CREATE INDEX IF NOT EXISTS "IDX_verification_token_budget_reset" ON "LiteLLM_VerificationToken" ("budget_reset_at", "expires")`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_ProxyModelTable" (
      "model_id" text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      "model_name" text NOT NULL,
      "litellm_params" jsonb NOT NULL,
      "model_info" jsonb,
      "blocked" boolean NOT NULL DEFAULT false,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "created_by" text NOT NULL DEFAULT '',
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "updated_by" text NOT NULL DEFAULT ''
    )`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_SpendLogs" (
      "request_id" text PRIMARY KEY,
      "call_type" text NOT NULL,
      "api_key" text NOT NULL DEFAULT '',
      "spend" double precision NOT NULL DEFAULT 0,
      "total_tokens" integer NOT NULL DEFAULT 0,
      "prompt_tokens" integer NOT NULL DEFAULT 0,
      "completion_tokens" integer NOT NULL DEFAULT 0,
      "startTime" timestamptz NOT NULL,
      "endTime" timestamptz NOT NULL,
      "request_duration_ms" integer,
      "completionStartTime" timestamptz,
      "model" text NOT NULL DEFAULT '',
      "model_id" text DEFAULT '',
      "model_group" text DEFAULT '',
      "custom_llm_provider" text DEFAULT '',
      "api_base" text DEFAULT '',
      "user" text DEFAULT '',
      "metadata" jsonb DEFAULT '{}',
      "cache_hit" text DEFAULT '',
      "cache_key" text DEFAULT '',
      "request_tags" jsonb DEFAULT '[]',
      "team_id" text,
      "end_user" text,
      "requester_ip_address" text,
      "status" text
    )`);
    if (!adopted) await q.query(`CREATE INDEX IF NOT EXISTS "IDX_spend_logs_start_time" ON "LiteLLM_SpendLogs" ("startTime")`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_spend_logs_api_key_start_time" ON "LiteLLM_SpendLogs" ("api_key", "startTime")`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_spend_logs_model_group_start_time" ON "LiteLLM_SpendLogs" ("model_group", "startTime")`);
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_Config" (
      "param_name" text PRIMARY KEY,
      "param_value" jsonb
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'LiteLLM_Config',
      'LiteLLM_SpendLogs',
      'LiteLLM_ProxyModelTable',
      'LiteLLM_VerificationToken',
      'LiteLLM_UserTable',
      'LiteLLM_TeamTable',
      'LiteLLM_BudgetTable',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "${table}"`);
    }
  }
}
