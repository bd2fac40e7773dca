import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * LiteLLM's audit table (`LiteLLM_AuditLog`, its names and defaults): one row per admin change. A
 * LiteLLM database may already have it (LiteLLM creates it whether or not its enterprise feature is
 * on), hence IF NOT EXISTS; the indexes serve GET /audit's newest-first pages and per-object filter.
 */
export class AddAuditLog1795590000000 implements MigrationInterface {
  name = 'AddAuditLog1795590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS "LiteLLM_AuditLog" (
      "id" text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "changed_by" text NOT NULL DEFAULT '',
      "changed_by_api_key" text NOT NULL DEFAULT '',
      "action" text NOT NULL,
      "table_name" text NOT NULL,
      "object_id" text NOT NULL,
      "before_value" jsonb,
      "updated_values" jsonb
    )`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_audit_log_updated_at" ON "LiteLLM_AuditLog" ("updated_at")`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_audit_log_object" ON "LiteLLM_AuditLog" ("table_name", "object_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "LiteLLM_AuditLog"`);
  }
}
