import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import {
  alive,
  type BuiltEntry,
  killStrayProxies,
  occupyPort,
  proxyEnv,
  type ProxyProcess,
  snapshotBuild,
  spawnProxy,
  tempDir,
  type TempDir,
} from './helpers/process.js';
import { MASTER_KEY } from './helpers/proxy.js';

// `WORKERS=N`: the built entry as an operator runs it, one port served by N processes (node:cluster).
// Which process answered is read from the log: every line carries its process's pid.

const OK_CONFIG = 'model_list: []\n';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on a connection of its own: the cluster hands out connections, not requests, in turn,
 * so a keep-alive client would talk to one worker only.
 */
function send(url: string, path: string, init: { method?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<Answer> {
  const u = new URL(url);
  const body = init.json === undefined ? undefined : JSON.stringify(init.json);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: init.method ?? 'GET',
        agent: false,
        headers: { ...init.headers, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type LogLine = { pid: number; msg: string; context?: string; req_id?: string };

function logLines(proc: ProxyProcess): LogLine[] {
  return proc
    .stdout()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** The pids whose request log lines carry these request ids (waits for the lines to be written). */
async function answeredBy(proc: ProxyProcess, ids: string[]): Promise<Set<number>> {
  const find = () => logLines(proc).filter((l) => l.msg === 'request' && l.req_id !== undefined && ids.includes(l.req_id));
  const deadline = Date.now() + 5_000;
  while (find().length < ids.length && Date.now() < deadline) await sleep(50);
  const lines = find();
  expect(lines.map((l) => l.req_id).sort()).toEqual([...ids].sort());
  return new Set(lines.map((l) => l.pid));
}

/** Waits for the primary's "N workers listening" line; returns the URL and the workers' pids. */
async function clusterUp(proc: ProxyProcess): Promise<{ url: string; pids: number[] }> {
  await proc.waitForOutput(/\d+ workers listening on http:/, 60_000);
  const line = logLines(proc).find((l) => /^\d+ workers listening on /.test(l.msg))!;
  expect(line.pid).toBe(proc.child.pid);
  const [, url, pids] = /listening on (http:\/\/\S+) \(pids ([\d, ]+)\)/.exec(line.msg)!;
  return { url, pids: pids.split(', ').map(Number) };
}

/** stderr must be exactly one readable line, however many workers failed alike. */
async function failsWithOneLine(proc: ProxyProcess): Promise<string> {
  const exit = await proc.exited();
  const output = `exit ${JSON.stringify(exit)}\n--- stderr ---\n${proc.stderr()}\n--- stdout ---\n${proc.stdout().slice(-3000)}`;
  expect(exit.signal, output).toBeNull();
  expect(exit.code, output).toBeGreaterThan(0);
  expect(proc.stdout()).not.toMatch(/listening on/);
  const lines = proc.stderr().trimEnd().split('\n');
  expect(lines, output).toHaveLength(1);
  expect(lines[0]).toMatch(/^model-proxy: /);
  return lines[0];
}

async function stopsCleanly(proc: ProxyProcess, workerPids: number[]): Promise<void> {
  proc.child.kill('SIGTERM');
  expect(await proc.exited(30_000), proc.stderr()).toEqual({ code: 0, signal: null });
  expect(proc.stderr().trimEnd()).toBe('received SIGTERM, shutting down 2 worker(s)');
  for (const pid of workerPids) expect(alive(pid), `worker ${pid}`).toBe(false);
  // Each worker drained and stopped, then the primary.
  const stopped = logLines(proc).filter((l) => l.msg === 'stopped');
  expect(stopped.map((l) => l.pid).sort()).toEqual([...workerPids, proc.child.pid!].sort());
  expect(stopped.at(-1)?.pid).toBe(proc.child.pid);
}

// Each cluster loads the whole app N times; on a busy 2-core machine that takes a while.
describe('WORKERS=2', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let entry: BuiltEntry;
  const dirs: TempDir[] = [];
  const dir = (): TempDir => {
    const d = tempDir('mp-workers-');
    dirs.push(d);
    return d;
  };
  /** A cluster in a directory of its own (config, tokens.env, .data). */
  const start = (extra: Record<string, string | undefined> = {}, d = dir()): ProxyProcess => {
    d.file('config.yaml', OK_CONFIG);
    return spawnProxy(entry, proxyEnv(d.path, db.url, { WORKERS: '2', ...extra }), d.path);
  };

  beforeAll(async () => {
    [db, entry] = await Promise.all([createTestDatabase(), snapshotBuild()]);
  });
  afterAll(async () => {
    killStrayProxies();
    dirs.forEach((d) => d.remove());
    entry?.remove();
    await db?.drop();
  });

  it('serves one port from two processes, and SIGTERM drains both and exits 0', async () => {
    const proc = start();
    const { url, pids } = await clusterUp(proc);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(proc.child.pid);

    const ids = Array.from({ length: 10 }, (_, i) => `workers-live-${i}`);
    for (const id of ids) {
      const res = await send(url, '/health/liveliness', { headers: { 'x-request-id': id } });
      expect(res.status).toBe(200);
    }
    expect(await answeredBy(proc, ids)).toEqual(new Set(pids));

    await stopsCleanly(proc, pids);
  });

  it('accepts a UI session on every worker, and a logout ends it on every worker at once', async () => {
    const proc = start();
    const { url, pids } = await clusterUp(proc);
    const login = await send(url, '/ui/login', { method: 'POST', json: { username: 'admin', password: MASTER_KEY } });
    expect(login.status).toBe(200);
    const cookie = (login.headers['set-cookie'] as string[])[0].split(';')[0];
    const asUi = (id: string) => send(url, '/key/list', { headers: { cookie, 'x-ui-session': '1', 'x-request-id': id } });

    const before = Array.from({ length: 10 }, (_, i) => `workers-ui-${i}`);
    for (const id of before) expect((await asUi(id)).status, id).toBe(200);
    expect(await answeredBy(proc, before)).toEqual(new Set(pids));

    // Both workers now hold the session in their 5 s cache: the logout's NOTIFY must end it sooner.
    const out = await send(url, '/ui/logout', { method: 'POST', headers: { cookie, 'x-ui-session': '1' } });
    expect(out.status).toBe(200);
    await sleep(250);
    const after = Array.from({ length: 10 }, (_, i) => `workers-ui-out-${i}`);
    for (const id of after) expect((await asUi(id)).status, id).toBe(401);
    expect(await answeredBy(proc, after)).toEqual(new Set(pids));

    await stopsCleanly(proc, pids);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const proc = start();
    const { url, pids } = await clusterUp(proc);
    const [victim, survivor] = pids;
    process.kill(victim, 'SIGKILL');
    await proc.waitForOutput(new RegExp(`worker ${victim} was killed by SIGKILL; starting a replacement`));
    expect((await send(url, '/health/liveliness')).status).toBe(200);
    await proc.waitForOutput(/replacement worker \d+ listening/, 60_000);
    const replacement = logLines(proc)
      .find((l) => /^replacement worker \d+ listening$/.test(l.msg))!
      .msg.split(' ')[2];

    const ids = Array.from({ length: 10 }, (_, i) => `workers-replaced-${i}`);
    for (const id of ids) expect((await send(url, '/health/liveliness', { headers: { 'x-request-id': id } })).status).toBe(200);
    expect(await answeredBy(proc, ids)).toEqual(new Set([survivor, Number(replacement)]));

    await stopsCleanly(proc, [survivor, Number(replacement)]);
  });

  it('starts one embedded PostgreSQL for all workers when DATABASE_URL is unset, and stops it after them', async () => {
    const d = dir();
    const proc = start({ DATABASE_URL: undefined }, d);
    const { url, pids } = await clusterUp(proc);
    const started = logLines(proc).filter((l) => /embedded PostgreSQL .*started on/.test(l.msg));
    expect(started.map((l) => l.pid)).toEqual([proc.child.pid]);
    for (let i = 0; i < 4; i++) {
      const res = await send(url, '/health/readiness');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ db: 'connected' });
    }
    const dataDir = join(d.path, '.data', 'postgres');
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(true);

    await stopsCleanly(proc, pids);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  describe.concurrent('fails fast with one line on stderr, not one per worker', () => {
    it('when the port is taken', async () => {
      const held = await occupyPort();
      try {
        const line = await failsWithOneLine(start({ PORT: String(held.port) }));
        expect(line).toMatch(new RegExp(`port ${held.port}\\b.*already in use`));
      } finally {
        await held.close();
      }
    });

    it('when the database is unreachable', async () => {
      const closed = await occupyPort();
      await closed.close();
      const line = await failsWithOneLine(start({ DATABASE_URL: `postgres://mp_user:hunter2-secret@127.0.0.1:${closed.port}/model_proxy` }));
      expect(line).toMatch(new RegExp(`database unreachable at .*127\\.0\\.0\\.1:${closed.port}`));
      expect(line).not.toContain('hunter2-secret');
    });

    it('when the config file is invalid (checked once, before any worker starts)', async () => {
      const d = dir();
      const path = d.file('config.yaml', 'model_list:\n  - model_name: bad\n    litellm_params: { model: openai/bad, api_base: "not a url" }\n');
      const proc = spawnProxy(entry, proxyEnv(d.path, db.url, { WORKERS: '2' }), d.path);
      const line = await failsWithOneLine(proc);
      expect(line).toContain(path);
      expect(line).toContain('model_list[0].litellm_params.api_base');
      expect(proc.stdout()).toBe('');
    });

    it.each(['abc', '0', '65'])('when WORKERS is %s', async (workers) => {
      const line = await failsWithOneLine(start({ WORKERS: workers }));
      expect(line).toBe(`model-proxy: WORKERS: must be a whole number from 1 to 64, got "${workers}"`);
    });
  });
});
