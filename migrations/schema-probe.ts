import type { QueryRunner } from 'typeorm';

/** Whether `table` exists in the current schema (a LiteLLM database has its tables before ours run). */
export async function tableExists(q: QueryRunner, table: string): Promise<boolean> {
  const rows: unknown[] = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [table]);
  return rows.length > 0;
}
