import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns of the spend writer's upsert key, NULL written as '' so NULLs compare equal on PostgreSQL 14 too. */
export const DAILY_SPEND_KEY = `(COALESCE(user_id, '')), date, api_key, (COALESCE(model, '')), (COALESCE(model_group, '')),
  (COALESCE(custom_llm_provider, '')), (COALESCE(mcp_namespaced_tool_name, '')), (COALESCE(endpoint, ''))`;

/**
 * The daily rollup's upsert key as an expression index, which PostgreSQL 14 accepts (the earlier
 * `NULLS NOT DISTINCT` index needs 15). It adds `model_group` to LiteLLM's 7-column key (two aliases
 * may share an upstream model). On a LiteLLM database it is the one index added to LiteLLM's table
 * (docs/litellm-migration.md names it); LiteLLM's own unique index is left as it is.
 */
export class AddPortableDailySpendKey1795600000001 implements MigrationInterface {
  name = 'AddPortableDailySpendKey1795600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "UQ_daily_user_spend"`);
    // LiteLLM's own index lets rows differ by a NULL only; such twins cannot take this index. Say so
    // plainly rather than with PostgreSQL's "could not create unique index" (nothing is merged here).
    const twins: unknown[] = await q.query(`SELECT 1 FROM "LiteLLM_DailyUserSpend" GROUP BY ${DAILY_SPEND_KEY} HAVING count(*) > 1 LIMIT 1`);
    if (twins.length > 0) {
      throw new Error(
        `LiteLLM_DailyUserSpend holds rows that differ only by NULL vs '' (or repeat a NULL) in user_id, model, model_group, custom_llm_provider, ` +
          `mcp_namespaced_tool_name or endpoint; the spend writer needs one row per key. Merge them (sum the counters into one row) and start again.`,
      );
    }
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS "model_proxy_daily_user_spend_key" ON "LiteLLM_DailyUserSpend" (${DAILY_SPEND_KEY})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "model_proxy_daily_user_spend_key"`);
  }
}
