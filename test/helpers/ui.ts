import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestDatabase } from './database.js';

const BUILD = fileURLToPath(new URL('../../ui/build.mjs', import.meta.url));

export interface BuiltUi {
  /** Pass as `UI_DIST_DIR` to the app under test. */
  dir: string;
  remove(): void;
}

/**
 * Builds the UI from ui/src (`node ui/build.mjs --out …`) into a folder of this test file's own:
 * dist/ can be emptied at any moment by a `nest build` elsewhere, and the sources may be newer.
 */
export async function buildUi(): Promise<BuiltUi> {
  const root = mkdtempSync(join(tmpdir(), 'mp-ui-'));
  const dir = join(root, 'ui');
  await promisify(execFile)(process.execPath, [BUILD, '--out', dir]);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Spend log rows a test inserted by hand, added to the hourly rollup the Spend page reads (the spend
 * writer does this for the rows it writes; the migration for rows that were there before it).
 */
export async function seedRollup(db: TestDatabase): Promise<void> {
  await db.query(`TRUNCATE "model_proxy_hourly_spend"`);
  await db.query(`INSERT INTO "model_proxy_hourly_spend" (hour, api_key, team_id, model_group, prompt_tokens, completion_tokens, spend, requests, failed_requests)
    SELECT date_trunc('hour', "startTime"), api_key, team_id, model_group, sum(prompt_tokens), sum(completion_tokens), sum(spend), count(*),
      count(*) FILTER (WHERE status = 'failure')
    FROM "LiteLLM_SpendLogs" GROUP BY 1, 2, 3, 4`);
}
