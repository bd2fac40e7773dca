import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Web UI login sessions, shared by every instance (and every `WORKERS` process) on one database, so a
 * session cookie is accepted whichever of them answers. Only a hash of the session id is kept
 * (HMAC-SHA256 keyed by the master key, hex): the id itself lives only in the browser's cookie.
 * Not a LiteLLM table, hence the name.
 */
export class AddUiSessions1795580571688 implements MigrationInterface {
  name = 'AddUiSessions1795580571688';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS "model_proxy_ui_sessions" (
      "session_hash" text PRIMARY KEY,
      "expires_at" timestamptz NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX IF NOT EXISTS "IDX_ui_sessions_expires_at" ON "model_proxy_ui_sessions" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "model_proxy_ui_sessions"`);
  }
}
