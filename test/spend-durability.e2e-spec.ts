import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpendWriter } from '../src/spend/spend-writer.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { uniqueTag, waitFor } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, sleep, words } from './helpers/spend.js';

// Issue 11, item 2: the spend writer never stalls and never silently drops. Strings a client
// sends are made well-formed before they reach PostgreSQL; a row PostgreSQL still refuses is split
// out to a dead-letter file while the rest of its batch is written; a statement that hangs cannot
// hold shutdown.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const user = (content: string) => [{ role: 'user' as const, content }];
const model = (api_base: string) => ({
  model_name: 'gemma',
  litellm_params: { model: `openai/${GEMMA}`, api_base },
  model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
});

describe('spend writer: bad data never stops billing', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    app = await startTestProxy({ databaseUrl: db.url, models: [model(gemma.url)], env: { SPEND_FLUSH_MS: '60000' } });
  });
  afterAll(async () => {
    await app?.close();
    await gemma?.close();
    await db?.drop();
  });

  const keySpend = async (token: string) =>
    (await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [token]))[0].spend;

  it('"user": "\\u0000" and a lone surrogate are booked (as U+FFFD) and do not hold back other keys', async () => {
    const writer = app.proxy.app.get(SpendWriter);
    const bad = await generateKey(app, {});
    const good = await generateKey(app, {});
    const badSdk = app.client(bad.key);
    // First in the queue, so today's writer retries their batch forever.
    await badSdk.chat.completions.create({ model: 'gemma', messages: user(words(3)), max_tokens: 2, user: '\u0000' });
    await badSdk.chat.completions.create({ model: 'gemma', messages: user(words(3)), max_tokens: 2, user: 'a\ud800b' });
    await badSdk.chat.completions.create({ model: 'gemma', messages: user(words(3)), max_tokens: 2, user: 'x'.repeat(5000) });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await app.client(good.key).chat.completions.create({ model: 'gemma', messages: user(words(4)), max_tokens: 3 })).id);
    await writer.flush();
    await waitFor(async () => (await keySpend(good.token_id)) > 0, 3000);

    expectMoney(await keySpend(good.token_id), 3 * costOf(PRICES, 4, 3));
    expectMoney(await keySpend(bad.token_id), 3 * costOf(PRICES, 3, 2));
    const rows = await db.query<{ user: string }>('SELECT "user" FROM "LiteLLM_SpendLogs" WHERE api_key = $1 ORDER BY "startTime"', [bad.token_id]);
    expect(rows.map((r) => r.user)).toEqual(['\uFFFD', 'a\uFFFDb', 'x'.repeat(256)]);
    expect(writer.queueDepth).toBe(0);
  });

  it('a row PostgreSQL refuses goes to the dead-letter file, with a metric; the rest of its batch is written', async () => {
    const writer = app.proxy.app.get(SpendWriter);
    const poison = uniqueTag('poison');
    // A data error no sanitizing can foresee: PostgreSQL itself refuses this one row (SQLSTATE 22023).
    await db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW."user" = '${poison}' THEN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON "LiteLLM_SpendLogs" FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    try {
      const key = await generateKey(app, {});
      const sdk = app.client(key.key);
      const ask = (u: string) => sdk.chat.completions.create({ model: 'gemma', messages: user(words(5)), max_tokens: 2, user: u });
      const ok = uniqueTag('fine');
      // One batch of 7 (the interval is 60 s): the poisoned row in the middle.
      for (let i = 0; i < 3; i++) await ask(ok);
      const refused = (await ask(poison)).id;
      for (let i = 0; i < 3; i++) await ask(ok);
      expect(writer.queueDepth).toBe(7);
      await writer.flush();

      expect(writer.queueDepth).toBe(0);
      const rows = await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [ok]);
      expect(rows).toHaveLength(6);
      expectMoney(await keySpend(key.token_id), 6 * costOf(PRICES, 5, 2));
      const lines = readFileSync(join(app.dir, '.data', 'spend-dead-letter.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ error: { code: '22023' }, entry: { requestId: refused, user: poison, apiKey: key.token_id } });
      const metrics = await (await app.fetch('/metrics')).text();
      expect(metrics).toMatch(/^model_proxy_spend_dead_letter_total 1$/m);
    } finally {
      await db.query('DROP TRIGGER refuse_poison ON "LiteLLM_SpendLogs"');
      await db.query('DROP FUNCTION refuse_poison()');
    }
  });
});

describe('spend writer: a statement that hangs cannot hold shutdown', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    dataDir = mkdtempSync(join(tmpdir(), 'mp-hang-'));
  });
  afterAll(async () => {
    await gemma?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('close() while the spend table is locked returns within SPEND_SHUTDOWN_FLUSH_MS; the next start books it exactly once', async () => {
    const env = { PROXY_DATA_DIR: dataDir, SPEND_SHUTDOWN_FLUSH_MS: '1500', DB_STATEMENT_TIMEOUT_MS: '120000' };
    const app = await startTestProxy({ databaseUrl: db.url, models: [model(gemma.url)], env });
    const key = await generateKey(app, {});
    const sdk = app.client(key.key);
    await sdk.chat.completions.create({ model: 'gemma', messages: user(words(2)), max_tokens: 2 });
    await waitFor(async () => (await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE api_key = $1', [key.token_id])).length === 1, 3000);

    // Another session holds the log table: the flush statement waits on its lock (a hung database).
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    let closeMs = 0;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "LiteLLM_SpendLogs" IN EXCLUSIVE MODE');
      for (let i = 0; i < 5; i++) await sdk.chat.completions.create({ model: 'gemma', messages: user(words(3)), max_tokens: 2 });
      await sleep(300);
      const t0 = Date.now();
      const closed = app.close().then(() => (closeMs = Date.now() - t0));
      await Promise.race([closed, sleep(10_000)]);
      expect(closeMs, 'close() returned').toBeGreaterThan(0);
      expect(closeMs).toBeLessThan(5000);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    expect(readdirSync(join(dataDir, 'spend-journal')).length).toBe(1);

    const again = await startTestProxy({ databaseUrl: db.url, models: [model(gemma.url)], env });
    try {
      await waitFor(async () => (await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE api_key = $1', [key.token_id])).length === 6, 5000);
      await sleep(300);
      expectMoney(
        (await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [key.token_id]))[0].spend,
        costOf(PRICES, 2, 2) + 5 * costOf(PRICES, 3, 2),
      );
      // Replayed and written: the journal is gone.
      expect(existsSync(join(dataDir, 'spend-journal')) ? readdirSync(join(dataDir, 'spend-journal')) : []).toEqual([]);
    } finally {
      await again.close();
    }
  }, 30_000);
});
