import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { alive, type BuiltEntry, type Exit, occupyPort, proxyEnv, REPO_ROOT, snapshotBuild, tempDir, type TempDir } from './helpers/process.js';
import { MASTER_KEY, SALT_KEY } from './helpers/proxy.js';

// `make model-tunnel` as an operator runs it, with a fake `cloudflared` first on PATH: the proxy
// comes up before the tunnel, the tunnel gets the right arguments, and however it ends (Ctrl-C,
// cloudflared exiting, the proxy dying, a proxy that never starts) no process is left behind.

/**
 * Records its pid, arguments and environment, then waits for SIGTERM/SIGINT, or exits 3 by
 * itself once `<dir>/stop` exists.
 */
function fakeCloudflared(dir: TempDir): string {
  const bin = join(dir.path, 'bin');
  mkdirSync(bin);
  const script = dir.file(
    'bin/cloudflared',
    [
      '#!/usr/bin/env bash',
      `cd ${JSON.stringify(dir.path)}`,
      'env > cloudflared.env',
      'printf "%s\\n" "$@" > cloudflared.args',
      'echo $$ > cloudflared.pid',
      "trap 'exit 0' TERM INT",
      'while :; do [[ -e stop ]] && exit 3; sleep 0.1; done',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return bin;
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function freePort(): Promise<number> {
  const held = await occupyPort();
  await held.close();
  return held.port;
}

interface Tunnel {
  make: ChildProcess;
  output(): string;
  exit: Promise<Exit>;
  /** Once the script says the proxy is ready: its URL and pid. */
  ready(): Promise<{ url: string; pid: number }>;
}

const started = new Set<number>();

/** `make model-tunnel` in its own process group, as a terminal's foreground job. */
function runTunnel(env: Record<string, string | undefined>): Tunnel {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const make = spawn('make', ['--no-print-directory', 'model-tunnel'], { cwd: REPO_ROOT, env: clean, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(make.pid!);
  let out = '';
  make.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  make.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<Exit>((resolve) => make.once('exit', (code, signal) => resolve({ code, signal })));
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    make,
    output: () => out,
    exit,
    async ready() {
      const m = await until(() => /proxy ready on (\S+) \(pid (\d+)\)/.exec(out) ?? (exited && new Error(`make exited:\n${out}`)), 'the proxy to be ready');
      if (m instanceof Error) throw m;
      started.add(Number(m[2]));
      return { url: m[1], pid: Number(m[2]) };
    },
  };
}

async function exitedWithin(t: Tunnel, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      t.exit,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`make model-tunnel still running after ${ms} ms:\n${t.output()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('make model-tunnel', () => {
  let db: TestDatabase;
  let entry: BuiltEntry;
  const dirs: TempDir[] = [];

  /** A temp dir with a fake cloudflared, its config file, a proxy config, and the env pointing at them. */
  async function setup() {
    const d = tempDir('mp-tunnel-');
    dirs.push(d);
    const bin = fakeCloudflared(d);
    const cloudflaredConfig = d.file('config-model.yml', 'tunnel: test\n');
    d.file('config.yaml', 'model_list: []\n');
    const port = await freePort();
    const env = proxyEnv(d.path, db.url, {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: d.path,
      PORT: String(port),
      PROXY_ENTRY: entry.main,
      CLOUDFLARED_CONFIG: cloudflaredConfig,
      STOP_TIMEOUT: '10',
    });
    const file = (name: string) => join(d.path, name);
    const read = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : undefined);
    /** The fake's pid, once it runs. */
    const cloudflaredStarted = async () => {
      // Written last, after the arguments; a complete line or nothing (never pid 0).
      const pid = Number(await until(() => /^(\d+)\n$/.exec(read('cloudflared.pid') ?? '')?.[1], 'cloudflared to start'));
      started.add(pid);
      return pid;
    };
    return { d, env, port, cloudflaredConfig, read, cloudflaredStarted };
  }

  beforeAll(async () => {
    [db, entry] = await Promise.all([createTestDatabase(), snapshotBuild()]);
  });
  afterEach(() => {
    for (const pid of started) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* not a group leader, or gone */
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    started.clear();
  });
  afterAll(async () => {
    dirs.forEach((d) => d.remove());
    entry?.remove();
    await db?.drop();
  });

  it('starts the proxy (settings and secrets from tokens.env), then cloudflared; Ctrl-C leaves neither running', async () => {
    const s = await setup();
    // PORT and the keys come from tokens.env only: the script must read PORT from it, the proxy its keys.
    s.d.file('tokens.env', `LITELLM_MASTER_KEY=${MASTER_KEY}\nLITELLM_SALT_KEY=${SALT_KEY}\nPORT=${s.port}\n`, 0o600);
    const t = runTunnel({ ...s.env, PORT: undefined, LITELLM_MASTER_KEY: undefined, LITELLM_SALT_KEY: undefined });
    const { url, pid: proxyPid } = await t.ready();
    expect(url).toBe(`http://127.0.0.1:${s.port}`);
    expect((await fetch(`${url}/health/liveliness`)).status).toBe(200);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).status).toBe(200);

    const cloudflaredPid = await s.cloudflaredStarted();
    expect(s.read('cloudflared.args')?.trimEnd().split('\n')).toEqual(['--config', s.cloudflaredConfig, 'tunnel', 'run', 'datasmith-model']);
    // Secrets stay with the proxy: the script never exports them to cloudflared.
    expect(s.read('cloudflared.env')).not.toContain(MASTER_KEY);
    expect(s.read('cloudflared.env')).not.toContain(SALT_KEY);
    expect(alive(proxyPid) && alive(cloudflaredPid)).toBe(true);

    // What a terminal does on Ctrl-C: SIGINT to the foreground process group (make and the script).
    process.kill(-t.make.pid!, 'SIGINT');
    await exitedWithin(t, 15_000);
    await until(() => !alive(proxyPid) && !alive(cloudflaredPid), 'both processes to be gone', 5_000);
    expect(t.output()).toMatch(/stopping cloudflared/);
    expect(t.output()).toMatch(/stopping proxy/);
    // The proxy shut down its own way (drain, flush), not killed.
    expect(s.read('.data/logs/model-proxy.stderr.log')).toContain('received SIGTERM');
    expect(s.read('.data/logs/model-proxy.log')).toMatch(/"msg":"stopped"/);
    await expect(fetch(`${url}/health/liveliness`)).rejects.toThrow();
  });

  it('stops the proxy when cloudflared exits by itself, with cloudflared’s status', async () => {
    const s = await setup();
    const t = runTunnel(s.env);
    const { pid: proxyPid } = await t.ready();
    const cloudflaredPid = await s.cloudflaredStarted();
    s.d.file('stop', '');
    const exit = await exitedWithin(t, 15_000);
    expect(exit.code, t.output()).not.toBe(0);
    expect(t.output()).toMatch(/cloudflared exited \(status 3\): stopping the proxy/);
    await until(() => !alive(proxyPid) && !alive(cloudflaredPid), 'both processes to be gone', 5_000);
    expect(s.read('.data/logs/model-proxy.stderr.log')).toContain('received SIGTERM');
  });

  it('stops cloudflared when the proxy dies, and shows why', async () => {
    const s = await setup();
    const t = runTunnel(s.env);
    const { pid: proxyPid } = await t.ready();
    const cloudflaredPid = await s.cloudflaredStarted();
    process.kill(proxyPid, 'SIGKILL');
    const exit = await exitedWithin(t, 15_000);
    expect(exit.code, t.output()).not.toBe(0);
    expect(t.output()).toMatch(/the proxy exited \(status 137\): stopping cloudflared/);
    await until(() => !alive(cloudflaredPid), 'cloudflared to be gone', 5_000);
  });

  it('prints "proxy exited before becoming ready" with the proxy’s stderr, exits non-zero, and never starts cloudflared', async () => {
    const s = await setup();
    const missing = join(s.d.path, 'nowhere', 'litellm.config.yaml');
    const t = runTunnel({ ...s.env, PROXY_CONFIG: missing });
    const exit = await exitedWithin(t, 20_000);
    expect(exit.code, t.output()).not.toBe(0);
    expect(t.output()).toContain('proxy exited before becoming ready');
    expect(t.output()).toContain(`model-proxy: config file ${missing}: not found`);
    expect(s.read('cloudflared.args')).toBeUndefined();
  });

  it('refuses to start when the port is taken, before starting anything', async () => {
    const s = await setup();
    const held = await occupyPort();
    try {
      const t = runTunnel({ ...s.env, PORT: String(held.port) });
      const exit = await exitedWithin(t, 10_000);
      expect(exit.code, t.output()).not.toBe(0);
      expect(t.output()).toMatch(new RegExp(`port ${held.port} on 127.0.0.1 is already in use`));
      expect(t.output()).not.toMatch(/starting the proxy/);
      expect(s.read('cloudflared.args')).toBeUndefined();
    } finally {
      await held.close();
    }
  });
});
