import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { REPO_ROOT } from './helpers/process.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { MIGRATIONS } from '../migrations/index.js';

const run = promisify(execFile);

/** Every migration, oldest first (migrations/index.ts). */
const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.name);

const LITELLM_TABLES = [
  'LiteLLM_AuditLog',
  'LiteLLM_BudgetTable',
  'LiteLLM_Config',
  'LiteLLM_DailyUserSpend',
  'LiteLLM_ProxyModelTable',
  'LiteLLM_SpendLogs',
  'LiteLLM_TeamTable',
  'LiteLLM_UserTable',
  'LiteLLM_VerificationToken',
];
/** Ours, beside LiteLLM's (`model_proxy_migrations` is TypeORM's own). */
const OWN_TABLES = ['model_proxy_hourly_spend', 'model_proxy_ui_sessions'];
/** Must match MIGRATION_LOCK_ID in src/database/migrate.ts. */
const MIGRATION_LOCK_ID = 4_100_2026;

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'LiteLLM\\_%' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function ownTables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'model\\_proxy\\_%' AND table_name <> 'model_proxy_migrations' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function applied(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ name: string }>('SELECT "name" FROM "model_proxy_migrations" ORDER BY "id"');
  return rows.map((r) => r.name);
}

describe('migrations', { timeout: 90_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const fresh = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    return db;
  };
  const proxy = async (databaseUrl: string): Promise<TestProxy> => {
    const app = await startTestProxy({ databaseUrl });
    cleanup.push(() => app.close());
    return app;
  };

  it('two instances booting at once on one fresh database both come up, migrating once', async () => {
    const db = await fresh();
    const [a, b] = await Promise.all([proxy(db.url), proxy(db.url)]);
    for (const app of [a, b]) {
      const res = await app.fetch('/health/readiness', { key: null });
      expect(res.status).toBe(200);
    }
    expect(await applied(db)).toEqual(ALL_MIGRATIONS);
    expect(await tables(db)).toEqual(LITELLM_TABLES);
    expect(await ownTables(db)).toEqual(OWN_TABLES);
  });

  it('waits for the advisory lock before migrating', async () => {
    const db = await fresh();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanup.push(() => holder.end());
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);

    let up = false;
    const booting = proxy(db.url).then((app) => ((up = true), app));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(up).toBe(false);
    expect(await tables(db)).toEqual([]);

    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    const app = await booting;
    expect((await app.fetch('/health/readiness', { key: null })).status).toBe(200);
    expect(await tables(db)).toEqual(LITELLM_TABLES);
  });

  it("creates LiteLLM's tables with LiteLLM's defaults (a row holding only `token` is a valid key)", async () => {
    const db = await fresh();
    await proxy(db.url);
    await db.query(`INSERT INTO "LiteLLM_VerificationToken" ("token") VALUES ($1)`, ['a'.repeat(64)]);
    const [row] = await db.query<Record<string, unknown>>(`SELECT * FROM "LiteLLM_VerificationToken" WHERE "token" = $1`, ['a'.repeat(64)]);
    expect(row).toMatchObject({
      spend: 0,
      models: [],
      metadata: {},
      expires: null,
      max_budget: null,
      key_alias: null,
      blocked: null,
      budget_duration: null,
      rpm_limit: null,
      tpm_limit: null,
      max_parallel_requests: null,
    });
    expect(row.created_at).toBeInstanceOf(Date);
  });

  it('npm run migration:run and migration:revert work on a fresh database through ormconfig.ts', async () => {
    const db = await fresh();
    const env = { ...process.env, DATABASE_URL: db.url, CI: 'true' };
    const npm = (script: string) => run('npm', ['run', '--silent', script], { cwd: REPO_ROOT, env, timeout: 30_000 });

    await npm('migration:run');
    expect(await tables(db)).toEqual(LITELLM_TABLES);
    expect(await applied(db)).toEqual(ALL_MIGRATIONS);

    expect(await ownTables(db)).toEqual(OWN_TABLES);

    // One revert undoes the newest migration only; reverting down to the two migrations of LiteLLM's
    // tables removes our own tables and keeps LiteLLM's; reverting all of them leaves nothing.
    await npm('migration:revert');
    expect(await applied(db)).toEqual(ALL_MIGRATIONS.slice(0, -1));
    expect(await tables(db)).toEqual(LITELLM_TABLES);
    for (let i = 1; i < ALL_MIGRATIONS.length - 2; i++) await npm('migration:revert');
    expect(await applied(db)).toEqual(ALL_MIGRATIONS.slice(0, 2));
    expect(await ownTables(db)).toEqual([]);
    expect(await tables(db)).toEqual(LITELLM_TABLES.filter((t) => t !== 'LiteLLM_AuditLog'));
    await npm('migration:revert');
    expect(await tables(db)).not.toContain('LiteLLM_DailyUserSpend');
    await npm('migration:revert');
    expect(await tables(db)).toEqual([]);
    expect(await applied(db)).toEqual([]);

    // And the app migrates a database the CLI has reverted.
    await proxy(db.url);
    expect(await tables(db)).toEqual(LITELLM_TABLES);
    expect(await ownTables(db)).toEqual(OWN_TABLES);
  });

  it("the hourly rollup migration fills the rollup and keys' last_active from log rows already there", async () => {
    const db = await fresh();
    const env = { ...process.env, DATABASE_URL: db.url, CI: 'true' };
    const npm = (script: string) => run('npm', ['run', '--silent', script], { cwd: REPO_ROOT, env, timeout: 30_000 });
    await npm('migration:run');
    // Back to just before the hourly rollup's migration (the ones after it are reverted first).
    const hourly = ALL_MIGRATIONS.findIndex((name) => name.startsWith('AddHourlySpend'));
    for (let i = hourly; i < ALL_MIGRATIONS.length; i++) await npm('migration:revert');
    expect(await ownTables(db)).toEqual(['model_proxy_ui_sessions']);
    await db.query(`INSERT INTO "LiteLLM_VerificationToken" (token, key_alias, team_id) VALUES ('tok-a', 'a', 'team-a')`);
    await db.query(`INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, "startTime", "endTime",
        model_group, team_id, status)
      SELECT 'old-' || i, 'acompletion', 'tok-a', 0.5, 10, 5, timestamptz '2026-11-01 10:00Z' + make_interval(mins => 20 * i),
        timestamptz '2026-11-01 10:00Z' + make_interval(mins => 20 * i), 'm', 'team-a', CASE WHEN i = 0 THEN 'failure' ELSE 'success' END
      FROM generate_series(0, 3) i`);
    await npm('migration:run');
    const hours = await db.query<{ hour: Date; requests: string; failed_requests: string; spend: number }>(
      `SELECT hour, requests, failed_requests, spend FROM "model_proxy_hourly_spend" WHERE api_key = 'tok-a' AND team_id = 'team-a' AND model_group = 'm' ORDER BY hour`,
    );
    expect(hours.map((h) => [h.hour.toISOString(), Number(h.requests), Number(h.failed_requests), h.spend])).toEqual([
      ['2026-11-01T10:00:00.000Z', 3, 1, 1.5],
      ['2026-11-01T11:00:00.000Z', 1, 0, 0.5],
    ]);
    const [key] = await db.query<{ last_active: Date }>(`SELECT last_active FROM "LiteLLM_VerificationToken" WHERE token = 'tok-a'`);
    expect(key.last_active.toISOString()).toBe('2026-11-01T11:00:00.000Z');
  });

  it('migration:generate finds no difference between the entities and a freshly migrated database', async () => {
    const db = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'mp-generate-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const env = { ...process.env, DATABASE_URL: db.url, CI: 'true' };
    const npm = (...args: string[]) =>
      run('npm', ['run', '--silent', ...args], { cwd: REPO_ROOT, env, timeout: 60_000 }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout ?? '' }),
      );
    expect((await npm('migration:run')).code).toBe(0);

    // `--check` exits 0 only when there is no difference; otherwise it prints the migration it would write.
    const check = await npm('migration:generate', '--', join(dir, 'Check'), '--check');
    expect(check.stdout).toContain('No changes in database schema were found');
    expect(check.code).toBe(0);

    // What operators run: with nothing to write, TypeORM says so, exits 1 and writes no file.
    const plain = await npm('migration:generate', '--', join(dir, 'Check'));
    expect(plain.stdout).toContain('No changes in database schema were found');
    expect(plain.code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});
