import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyApp } from '../src/bootstrap.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { type BuiltEntry, killStrayProxies, proxyEnv, snapshotBuild, spawnProxy, tempDir, type TempDir } from './helpers/process.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';

// DATABASE_URL unset: the proxy runs its own PostgreSQL from the `embedded-postgres` package in
// PROXY_DATA_DIR/postgres. These tests never touch the machine's shared server.

/** The proxy's JSON log lines, kept in `lines`. */
function captureLogger(lines: string[]): Logger {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
}

async function readiness(url: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${url}/health/readiness`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - t0 };
}

describe('embedded PostgreSQL', { timeout: 90_000 }, () => {
  const dirs: TempDir[] = [];
  const dir = (): TempDir => {
    const d = tempDir('mp-embedded-');
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => d.remove()));

  it('boots when DATABASE_URL is unset, reports connected, and keeps rows across a restart', async () => {
    const d = dir();
    d.file('config.yaml', 'model_list: []\n');
    const dataDir = join(d.path, '.data');
    // No DATABASE_URL: exactly what `npm start` sees on a fresh machine.
    const env = () => proxyEnv(d.path, undefined) as NodeJS.ProcessEnv;
    const logs: string[] = [];
    const marker = { written: new Date().toISOString(), n: Math.random() };

    let proxy: ProxyApp | undefined = await startProxy(env(), { logger: captureLogger(logs) });
    try {
      expect(logs.join('\n')).toMatch(new RegExp(`embedded PostgreSQL initialised and started on 127\\.0\\.0\\.1:\\d+, data in ${join(dataDir, 'postgres')}`));
      expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
      const ready = await readiness(proxy.url);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'healthy', db: 'connected' });
      await proxy.app
        .get(DataSource)
        .query(`INSERT INTO "LiteLLM_Config" ("param_name", "param_value") VALUES ($1, $2)`, ['mp_test_marker', JSON.stringify(marker)]);
      await proxy.close();
      proxy = undefined;
      // close() stops the server it started.
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

      logs.length = 0;
      proxy = await startProxy(env(), { logger: captureLogger(logs) });
      const boot = logs.join('\n');
      expect(boot).toMatch(/embedded PostgreSQL started on/);
      expect(boot).not.toMatch(/initialised/);
      expect(boot).not.toMatch(/applied \d+ migration/);
      const rows = await proxy.app
        .get(DataSource)
        .query<{ param_value: unknown }[]>(`SELECT "param_value" FROM "LiteLLM_Config" WHERE "param_name" = $1`, ['mp_test_marker']);
      expect(rows).toEqual([{ param_value: marker }]);
    } finally {
      await proxy?.close();
    }
  });

  describe('the built entry', () => {
    let entry: BuiltEntry;
    beforeAll(async () => {
      entry = await snapshotBuild();
    });
    afterEach(() => killStrayProxies());
    afterAll(() => entry?.remove());

    it('refuses a second proxy on the same PROXY_DATA_DIR in one line, and stops its database on SIGTERM', async () => {
      const d = dir();
      d.file('config.yaml', 'model_list: []\n');
      const env = proxyEnv(d.path, undefined);
      const first = spawnProxy(entry, env, d.path);
      const url = await first.listening();
      expect(first.stdout()).toMatch(/embedded PostgreSQL initialised and started/);
      const pidFile = join(d.path, '.data', 'postgres', 'postmaster.pid');
      expect(existsSync(pidFile)).toBe(true);

      const second = spawnProxy(entry, env, d.path);
      const exit = await second.exited();
      expect(exit.code).toBe(1);
      const lines = second.stderr().trimEnd().split('\n');
      expect(lines, second.stderr()).toHaveLength(1);
      expect(lines[0]).toMatch(/^model-proxy: embedded PostgreSQL failed to start in .*another proxy is already using this PROXY_DATA_DIR/);
      expect((await readiness(url)).status).toBe(200);

      first.child.kill('SIGTERM');
      expect(await first.exited(15_000)).toEqual({ code: 0, signal: null });
      expect(existsSync(pidFile)).toBe(false);
    });
  });

  describe('readiness when the database goes away', () => {
    let db: EmbeddedDatabase | undefined;
    let app: TestProxy | undefined;
    afterAll(async () => {
      await app?.close();
      await db?.stop();
    });

    it('flips from 200 to 503 "Not connected" within ~3 s', async () => {
      // A server of our own to stop: the machine's PostgreSQL is shared with other tests.
      const d = dir();
      db = await startEmbeddedPostgres(d.path, () => undefined);
      app = await startTestProxy({ databaseUrl: db.url });
      const before = await readiness(app.url);
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ db: 'connected' });

      await db.stop();
      const after = await readiness(app.url);
      expect(after.status).toBe(503);
      expect(after.body).toMatchObject({ status: 'unhealthy', db: 'Not connected' });
      expect(after.ms).toBeLessThan(3_000);
    });
  });
});
