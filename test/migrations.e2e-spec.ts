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
const OWN_TABLES = ['model_proxy_ui_sessions'];
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

    // One revert undoes the newest migration only (the audit log); reverting all of them leaves nothing.
    await npm('migration:revert');
    expect(await applied(db)).toEqual(ALL_MIGRATIONS.slice(0, -1));
    expect(await tables(db)).toEqual(LITELLM_TABLES.filter((t) => t !== 'LiteLLM_AuditLog'));
    expect(await ownTables(db)).toEqual(OWN_TABLES);
    await npm('migration:revert');
    expect(await ownTables(db)).toEqual([]);
    await npm('migration:revert');
    expect(await tables(db)).not.toContain('LiteLLM_DailyUserSpend');
    for (let i = 3; i < ALL_MIGRATIONS.length; i++) await npm('migration:revert');
    expect(await tables(db)).toEqual([]);
    expect(await applied(db)).toEqual([]);

    // And the app migrates a database the CLI has reverted.
    await proxy(db.url);
    expect(await tables(db)).toEqual(LITELLM_TABLES);
    expect(await ownTables(db)).toEqual(OWN_TABLES);
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
