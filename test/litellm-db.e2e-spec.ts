import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { REPO_ROOT } from './helpers/process.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { costOf, expectMoney } from './helpers/spend.js';

// Issue 14 item 4: a database the LiteLLM proxy created (test/fixtures/litellm-schema) is adopted as
// it is: its keys keep working, its spend history counts once, and LiteLLM's schema is left intact.

const FIXTURE = join(REPO_ROOT, 'test/fixtures/litellm-schema');
const KEY_ONE = 'sk-litellm-fixture-key-one';
const KEY_BARE = 'sk-litellm-fixture-key-bare';
const HASH_ONE = '33b1082d388b4472a835b384a4845a40785c40ceb46f7cca5710c7f71aacb744';
const PRICES = { input: 0.000001, output: 0.000002 };
/** The fixture's totals (rows.sql). */
const HISTORY = { spend: 3.75, keyOne: 1.75, logs: 4 };

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: string;
}

async function litellmColumns(db: TestDatabase): Promise<Column[]> {
  return db.query<Column>(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name LIKE 'LiteLLM\\_%' ORDER BY table_name, column_name`);
}

async function indexNames(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'LiteLLM\\_%'`);
  return rows.map((r) => r.indexname);
}

async function loadFixture(db: TestDatabase): Promise<void> {
  await db.query(readFileSync(join(FIXTURE, 'schema.sql'), 'utf8'));
  await db.query(readFileSync(join(FIXTURE, 'rows.sql'), 'utf8'));
}

async function sums(db: TestDatabase): Promise<{ logs: number; rollup: number; rollupRows: number; logRows: number }> {
  const [r] = await db.query<{ logs: number; rollup: number; rollup_rows: number; log_rows: number }>(
    `SELECT (SELECT sum(spend) FROM "LiteLLM_SpendLogs")::float8 AS logs, (SELECT sum(spend) FROM "LiteLLM_DailyUserSpend")::float8 AS rollup,
            (SELECT count(*) FROM "LiteLLM_DailyUserSpend")::int AS rollup_rows, (SELECT count(*) FROM "LiteLLM_SpendLogs")::int AS log_rows`,
  );
  return { logs: r.logs, rollup: r.rollup, rollupRows: r.rollup_rows, logRows: r.log_rows };
}

async function reportTotal(app: TestProxy): Promise<{ total: number; byDay: Record<string, number> }> {
  const res = await app.fetch('/global/spend/report?start_date=2025-01-01&end_date=2099-12-31');
  expect(res.status).toBe(200);
  const rows = (await res.json()) as Array<{ group_by_day: string; total_spend: number }>;
  const byDay = Object.fromEntries(rows.map((r) => [r.group_by_day, r.total_spend]));
  return { total: rows.reduce((s, r) => s + r.total_spend, 0), byDay };
}

describe('a database LiteLLM created', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let models: TestModel[];
  let before: Column[];
  let beforeIndexes: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadFixture(db);
    before = await litellmColumns(db);
    beforeIndexes = await indexNames(db);
    mock = await startMockVllm({ model: 'google/gemma-4-31b' });
    models = [
      {
        model_name: 'fixture-model',
        litellm_params: { model: 'hosted_vllm/google/gemma-4-31b', api_base: mock.url },
        model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
      },
    ];
  });
  afterAll(async () => {
    await mock?.close();
    await db?.drop();
  });

  it('boots on it twice, counts its history once, serves its keys and books into its tables', async () => {
    let app = await startTestProxy({ databaseUrl: db.url, models });
    try {
      // Days LiteLLM rolled up keep its rows; days it logged only are rolled up once.
      expect(await sums(db)).toMatchObject({ logs: HISTORY.spend, rollup: HISTORY.spend, logRows: HISTORY.logs });
      const report = await reportTotal(app);
      expectMoney(report.total, HISTORY.spend);
      expectMoney(report.byDay['2025-03-01'], 0.75);
      expectMoney(report.byDay['2026-11-01'], 3.0);
    } finally {
      await app.close();
    }

    // A second boot (migrations already applied) changes nothing.
    const rollupRows = (await sums(db)).rollupRows;
    app = await startTestProxy({ databaseUrl: db.url, models });
    try {
      expect(await sums(db)).toMatchObject({ rollup: HISTORY.spend, rollupRows });

      const [{ spend: keySpend }] = await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1`, [HASH_ONE]);
      expectMoney(keySpend, HISTORY.keyOne);

      const res = await app.client(KEY_ONE).chat.completions.create({ model: 'fixture-model', messages: [{ role: 'user', content: 'hello there' }] });
      expect(res.choices[0].message.content).toBeTruthy();
      const bare = await app.client(KEY_BARE).chat.completions.create({ model: 'fixture-model', messages: [{ role: 'user', content: 'hi' }] });
      expect(bare.choices[0].message.content).toBeTruthy();
      const cost = costOf(PRICES, res.usage!.prompt_tokens, res.usage!.completion_tokens);

      const report = await reportTotal(app); // flushes first
      const bareCost = costOf(PRICES, bare.usage!.prompt_tokens, bare.usage!.completion_tokens);
      expectMoney(report.total, HISTORY.spend + cost + bareCost);
      const now = await sums(db);
      expectMoney(now.logs, HISTORY.spend + cost + bareCost);
      expectMoney(now.rollup, now.logs);
      expect(now.logRows).toBe(HISTORY.logs + 2);

      const [key] = await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1`, [HASH_ONE]);
      expectMoney(key.spend, HISTORY.keyOne + cost);

      // The new rollup rows carry what Prisma would have generated.
      const today = new Date().toISOString().slice(0, 10);
      const booked = await db.query<{ id: string | null; updated_at: Date | null }>(`SELECT id, updated_at FROM "LiteLLM_DailyUserSpend" WHERE date = $1`, [
        today,
      ]);
      expect(booked).toHaveLength(2);
      for (const row of booked) {
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.updated_at).toBeTruthy();
      }
      // Naive timestamps hold UTC: the new log row's startTime is within a minute of now.
      const [log] = await db.query<{ lag: number }>(
        `SELECT abs(extract(epoch FROM ("startTime" - (now() AT TIME ZONE 'UTC'))))::float8 AS lag FROM "LiteLLM_SpendLogs" WHERE api_key = $1 ORDER BY "startTime" DESC LIMIT 1`,
        [HASH_ONE],
      );
      expect(log.lag).toBeLessThan(60);

      // Duplicate aliases survive; a new key still may not take a used alias.
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "LiteLLM_VerificationToken" WHERE key_alias = 'shared-alias'`);
      expect(n).toBe(2);
      const dup = await app.fetch('/key/generate', { method: 'POST', json: { key_alias: 'shared-alias' } });
      expect(dup.status).toBe(400);
      const fresh = await app.fetch('/key/generate', { method: 'POST', json: { key_alias: 'new-alias', models: ['fixture-model'] } });
      expect(fresh.status).toBe(200);
      // Rows in LiteLLM's tables whose ids Prisma generates (no column default there): teams, users, audit entries.
      expect((await app.fetch('/team/new', { method: 'POST', json: { team_alias: 'adopted-team' } })).status).toBe(200);
      expect((await app.fetch('/user/new', { method: 'POST', json: { user_email: 'a@example.com', auto_create_key: false } })).status).toBe(200);
      const [audit] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "LiteLLM_AuditLog" WHERE id IS NOT NULL`);
      expect(Number(audit.n)).toBeGreaterThanOrEqual(3);
    } finally {
      await app.close();
    }

    // LiteLLM's schema still holds: every column with its type and nullability, every index.
    const after = await litellmColumns(db);
    for (const col of before) expect(after).toContainEqual(col);
    expect(after.filter((c) => !before.some((b) => b.table_name === c.table_name && b.column_name === c.column_name))).toEqual([]);
    const afterIndexes = await indexNames(db);
    for (const name of beforeIndexes) expect(afterIndexes).toContain(name);
  });

  it('general_settings.database_url (os.environ/NAME) is used when DATABASE_URL is unset, and logged without the password', async () => {
    const lines: string[] = [];
    const app = await startTestProxy({
      databaseUrl: '',
      models,
      settings: { general_settings: { database_url: 'os.environ/FIXTURE_DATABASE_URL' } },
      env: { DATABASE_URL: '', FIXTURE_DATABASE_URL: db.url.replace('postgres@', 'postgres:not-a-secret@') },
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    try {
      const res = await app.client(KEY_ONE).chat.completions.create({ model: 'fixture-model', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0].message.content).toBeTruthy();
      const text = lines.join('\n');
      expect(text).toContain('database: general_settings.database_url');
      expect(text).toContain(db.name);
      expect(text).not.toContain('not-a-secret');
      expect(text).not.toContain('embedded PostgreSQL');
    } finally {
      await app.close();
    }
  });

  it('refuses, saying why, rollup rows LiteLLM let differ only by a NULL (nothing is merged)', async () => {
    const twins = await createTestDatabase();
    try {
      await loadFixture(twins);
      // LiteLLM's unique index lets two rows repeat a NULL user_id; the writer's key cannot.
      await twins.query(`INSERT INTO "LiteLLM_DailyUserSpend" (id, user_id, date, api_key, model, custom_llm_provider, endpoint, spend, updated_at)
        SELECT 'twin-' || n, NULL, '2026-10-01', 'k', 'm', 'hosted_vllm', '/chat/completions', 1, now() FROM generate_series(1, 2) n`);
      await expect(startTestProxy({ databaseUrl: twins.url, models })).rejects.toThrow(/LiteLLM_DailyUserSpend holds rows that differ only by NULL/);
      const [{ n }] = await twins.query<{ n: number }>(`SELECT count(*)::int AS n FROM "LiteLLM_DailyUserSpend" WHERE id LIKE 'twin-%'`);
      expect(n).toBe(2);
    } finally {
      await twins.drop();
    }
  });

  it("a database of this project's earlier version (NULLS NOT DISTINCT rollup key) gets the portable key, its rollup untouched", async () => {
    const old = await createTestDatabase();
    try {
      const [{ v }] = await old.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
      if (v < 150000) return; // the earlier index cannot exist on PostgreSQL 14
      let app = await startTestProxy({ databaseUrl: old.url, models });
      await app.close();
      // Put it back as the earlier version left it.
      await old.query(`DROP INDEX "model_proxy_daily_user_spend_key"`);
      await old.query(`CREATE UNIQUE INDEX "UQ_daily_user_spend" ON "LiteLLM_DailyUserSpend"
        ("user_id", "date", "api_key", "model", "model_group", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint") NULLS NOT DISTINCT`);
      await old.query(`DELETE FROM "model_proxy_migrations" WHERE name = 'AddPortableDailySpendKey1795600000001'`);
      await old.query(
        `INSERT INTO "LiteLLM_DailyUserSpend" (user_id, date, api_key, model, model_group, endpoint, spend) VALUES (NULL, '2026-01-01', 'k', 'm', 'g', 'acompletion', 0.5)`,
      );
      app = await startTestProxy({ databaseUrl: old.url, models });
      await app.close();
      const names = await indexNames(old);
      expect(names).toContain('model_proxy_daily_user_spend_key');
      expect(names).not.toContain('UQ_daily_user_spend');
      const [{ spend }] = await old.query<{ spend: number }>(`SELECT sum(spend)::float8 AS spend FROM "LiteLLM_DailyUserSpend"`);
      expectMoney(spend, 0.5);
    } finally {
      await old.drop();
    }
  });
});
