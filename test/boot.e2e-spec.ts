import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY } from './helpers/proxy.js';
import {
  alive,
  type BuiltEntry,
  killStrayProxies,
  occupyPort,
  proxyEnv,
  REPO_ROOT,
  type ProxyProcess,
  snapshotBuild,
  spawnProxy,
  tempDir,
  type TempDir,
} from './helpers/process.js';

// The built entry (`node dist/src/main.js`) as an operator runs it: exit codes, stderr, signals.

const OK_CONFIG = 'model_list: []\n';

/** stderr must be exactly one readable line from the entry point. */
function oneLine(proc: ProxyProcess): string {
  const lines = proc.stderr().trimEnd().split('\n');
  expect(lines, proc.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(/^model-proxy: /);
  return lines[0];
}

async function failsWith(proc: ProxyProcess): Promise<string> {
  const exit = await proc.exited();
  const output = `exit ${JSON.stringify(exit)}\n--- stderr ---\n${proc.stderr()}\n--- stdout ---\n${proc.stdout().slice(-3000)}`;
  expect(exit.signal, output).toBeNull();
  expect(exit.code, output).toBeGreaterThan(0);
  expect(proc.stdout()).not.toMatch(/listening on/);
  return oneLine(proc);
}

// Each spawn loads the whole app; on a busy 2-core machine that alone can take seconds.
describe('the built entry point', { timeout: 90_000 }, () => {
  let db: TestDatabase;
  let entry: BuiltEntry;
  const dirs: TempDir[] = [];
  const dir = (): TempDir => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    [db, entry] = await Promise.all([createTestDatabase(), snapshotBuild()]);
  });
  afterAll(async () => {
    // Tests stop their own processes; this only catches what a failed assertion left running.
    killStrayProxies();
    dirs.forEach((d) => d.remove());
    entry?.remove();
    await db?.drop();
  });

  // Independent short-lived processes that end by themselves: run side by side.
  describe.concurrent('fails fast with one line naming the cause', () => {
    it('when the port is taken, and never moves to another port', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const held = await occupyPort();
      try {
        const line = await failsWith(spawnProxy(entry, proxyEnv(d.path, db.url, { PORT: String(held.port) }), d.path));
        expect(line).toMatch(new RegExp(`port ${held.port}\\b.*already in use`));
      } finally {
        await held.close();
      }
    });

    it('when the config file is missing (names the file)', async () => {
      const d = dir();
      const missing = join(d.path, 'nowhere', 'litellm.config.yaml');
      const line = await failsWith(spawnProxy(entry, proxyEnv(d.path, db.url, { PROXY_CONFIG: missing }), d.path));
      expect(line).toContain(missing);
      expect(line).toMatch(/not found/);
    });

    it('when the YAML does not parse (line and column)', async () => {
      const d = dir();
      const path = d.file('config.yaml', 'model_list:\n  - model_name: a\n    litellm_params: [unclosed\n');
      const line = await failsWith(spawnProxy(entry, proxyEnv(d.path, db.url), d.path));
      expect(line).toContain(path);
      expect(line).toMatch(/invalid YAML at line \d+, column \d+: \S/);
    });

    it('when a field is wrong (names the YAML path and the value)', async () => {
      const d = dir();
      const path = d.file(
        'config.yaml',
        [
          'model_list:',
          '  - model_name: good',
          '    litellm_params: { model: openai/good, api_base: "http://127.0.0.1:8123/v1" }',
          '  - model_name: bad',
          '    litellm_params: { model: openai/bad, api_base: "not a url" }',
          '',
        ].join('\n'),
      );
      const line = await failsWith(spawnProxy(entry, proxyEnv(d.path, db.url), d.path));
      expect(line).toContain(path);
      expect(line).toContain('model_list[1].litellm_params.api_base');
      expect(line).toContain('"not a url"');
    });

    it('when os.environ/X names an unset variable (names X and the YAML path)', async () => {
      const d = dir();
      d.file(
        'config.yaml',
        'model_list:\n  - model_name: a\n    litellm_params: { model: openai/a, api_base: "http://127.0.0.1:8123/v1", api_key: os.environ/MP_BOOT_TEST_UNSET }\n',
      );
      const line = await failsWith(spawnProxy(entry, proxyEnv(d.path, db.url), d.path));
      expect(line).toContain('MP_BOOT_TEST_UNSET');
      expect(line).toContain('model_list[0].litellm_params.api_key');
    });

    it('when the database is unreachable (and never prints its password)', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const closed = await occupyPort();
      await closed.close();
      const url = `postgres://mp_user:hunter2-secret@127.0.0.1:${closed.port}/model_proxy`;
      const proc = spawnProxy(entry, proxyEnv(d.path, url), d.path);
      const line = await failsWith(proc);
      expect(line).toMatch(/database unreachable/);
      expect(line).toContain(`127.0.0.1:${closed.port}`);
      expect(proc.stderr() + proc.stdout()).not.toContain('hunter2-secret');
    });
  });

  describe.concurrent('tokens.env', () => {
    const models = (url: string, key: string) => fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

    it('is written on first start (0600, fresh keys, the log says where) and reused on the next', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const env = proxyEnv(d.path, db.url, { LITELLM_MASTER_KEY: undefined, LITELLM_SALT_KEY: undefined });
      const tokens = env.TOKENS_ENV!;

      const first = spawnProxy(entry, env, d.path);
      const url = await first.listening();
      expect(statSync(tokens).mode & 0o777).toBe(0o600);
      const written = readFileSync(tokens, 'utf8');
      const master = /^LITELLM_MASTER_KEY=(sk-fc-[0-9a-f]{32,})$/m.exec(written)?.[1];
      expect(master, written).toBeDefined();
      expect(written).toMatch(/^LITELLM_SALT_KEY=sk-salt-[0-9a-f]{32,}$/m);
      expect(first.stdout()).toContain(tokens);
      expect((await models(url, master!)).status).toBe(200);
      first.child.kill('SIGTERM');
      expect((await first.exited()).code).toBe(0);

      const second = spawnProxy(entry, env, d.path);
      const url2 = await second.listening();
      expect(readFileSync(tokens, 'utf8')).toBe(written);
      expect(second.stdout()).not.toMatch(/wrote a new LITELLM_MASTER_KEY/);
      expect((await models(url2, master!)).status).toBe(200);
      second.child.kill('SIGTERM');
      expect((await second.exited()).code).toBe(0);
    });

    it('never overrides a variable already set in the environment', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      // If the file won, the proxy would try the occupied port and exit.
      const held = await occupyPort();
      try {
        const fileKey = 'sk-file-0123456789abcdef';
        const envKey = 'sk-env-0123456789abcdef';
        const tokens = d.file('tokens.env', `LITELLM_MASTER_KEY=${fileKey}\nPORT=${held.port}\n`, 0o600);
        const proc = spawnProxy(entry, proxyEnv(d.path, db.url, { LITELLM_MASTER_KEY: envKey, PORT: '0' }), d.path);
        const url = await proc.listening();
        expect(new URL(url).port).not.toBe(String(held.port));
        expect((await models(url, envKey)).status).toBe(200);
        expect((await models(url, fileKey)).status).toBe(401);
        expect(readFileSync(tokens, 'utf8')).toBe(`LITELLM_MASTER_KEY=${fileKey}\nPORT=${held.port}\n`);
        proc.child.kill('SIGTERM');
        expect((await proc.exited()).code).toBe(0);
      } finally {
        await held.close();
      }
    });
  });

  describe('shutdown', () => {
    /**
     * `npm start` as a supervisor or `kill` stops it: SIGTERM goes to npm, which passes it to its one
     * child. The start script must hand that child slot to node (`exec`), or the shell dies alone and the
     * proxy lives on as an orphan still holding its port. The build step is swapped for `true` here.
     */
    it('stops the proxy when npm start itself gets SIGTERM', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const root = join(entry.main, '..', '..', '..');
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      expect(pkg.scripts.start).toMatch(/^npm run build && /);
      writeFileSync(join(root, 'package.json'), JSON.stringify({ ...pkg, scripts: { start: pkg.scripts.start.replace(/^npm run build/, 'true') } }));
      const npm = spawn('npm', ['start', '--silent'], { cwd: root, env: proxyEnv(d.path, db.url) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
      npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!/listening on/.test(out)) {
        if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`npm start did not listen:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const pid = Number(/"pid":(\d+)/.exec(out)?.[1]);
      expect(pid).toBeGreaterThan(0);
      npm.kill('SIGTERM');
      await exited;
      const gone = Date.now() + 10_000;
      while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      expect(alive(pid), out).toBe(false);
      expect(out).toContain('"msg":"stopped"');
    });

    it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 within a few seconds on %s', async (signal) => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const proc = spawnProxy(entry, proxyEnv(d.path, db.url), d.path);
      const url = await proc.listening();
      expect((await fetch(`${url}/health/liveliness`)).status).toBe(200);
      const t0 = Date.now();
      proc.child.kill(signal);
      const exit = await proc.exited(5_000);
      expect(exit, proc.stderr()).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(proc.stderr()).toContain(`received ${signal}`);
    });

    /**
     * A request whose body is still arriving is in flight: SIGTERM must stop new connections
     * but let it finish. The body is completed only after the signal has been handled.
     */
    function heldRequest(url: string, body: string) {
      const u = new URL(url);
      let responded = false;
      const req = request({
        host: u.hostname,
        port: u.port,
        path: '/health/liveliness',
        method: 'GET',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          responded = true;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      req.flushHeaders();
      req.write(body.slice(0, 5));
      return { response, finish: () => req.end(body.slice(5)), responded: () => responded, abort: () => req.destroy() };
    }

    it('lets an in-flight request finish after SIGTERM and refuses new connections meanwhile', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const proc = spawnProxy(entry, proxyEnv(d.path, db.url), d.path);
      const url = await proc.listening();
      const held = heldRequest(url, JSON.stringify({ padding: 'x'.repeat(64) }));
      // Let the server parse the headers: from then on the request counts as in flight.
      await new Promise((r) => setTimeout(r, 300));
      proc.child.kill('SIGTERM');
      await proc.waitForOutput(/draining 1 in-flight request/);
      await expect(fetch(`${url}/health/liveliness`)).rejects.toThrow();
      expect(held.responded()).toBe(false);
      expect(proc.child.exitCode).toBeNull();

      held.finish();
      const res = await held.response;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toBe("I'm alive!");
      expect(await proc.exited(10_000)).toEqual({ code: 0, signal: null });
    });

    it('stops waiting for a request that never finishes once SHUTDOWN_GRACE_MS has passed', async () => {
      const d = dir();
      d.file('config.yaml', OK_CONFIG);
      const proc = spawnProxy(entry, proxyEnv(d.path, db.url, { SHUTDOWN_GRACE_MS: '500' }), d.path);
      const url = await proc.listening();
      const held = heldRequest(url, JSON.stringify({ never: 'sent' }));
      held.response.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      proc.child.kill('SIGTERM');
      await proc.waitForOutput(/draining 1 in-flight request/);
      // Well under the 10 s default, which would apply if the setting were ignored.
      expect(await proc.exited(8_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
      held.abort();
    });

    describe('with a stream in flight', () => {
      let mock: MockVllm;
      beforeAll(async () => {
        // 20 tokens × 75 ms: the stream is still running well after the signal.
        mock = await startMockVllm({ model: 'google/gemma-4-31b', interTokenMs: 75 });
      });
      afterAll(async () => {
        await mock?.close();
      });

      it('finishes the stream after SIGTERM, then exits 0', async () => {
        const d = dir();
        d.file('config.yaml', `model_list:\n  - model_name: gemma-4-31b\n    litellm_params: { model: openai/google/gemma-4-31b, api_base: "${mock.url}" }\n`);
        const proc = spawnProxy(entry, proxyEnv(d.path, db.url), d.path);
        const url = await proc.listening();
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gemma-4-31b', stream: true, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = decoder.decode((await reader.read()).value);
        proc.child.kill('SIGTERM');
        await proc.waitForOutput(/received SIGTERM/);
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
        expect(text).toContain('data: [DONE]');
        const content = text
          .split('\n')
          .filter((l) => l.startsWith('data: {'))
          .map((l) => (JSON.parse(l.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '')
          .join('');
        expect(content).toBe('tok '.repeat(20));
        expect(await proc.exited(10_000)).toEqual({ code: 0, signal: null });
      });
    });
  });
});
