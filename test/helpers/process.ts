import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MASTER_KEY, SALT_KEY } from './proxy.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(REPO_ROOT, 'dist');

export interface BuiltEntry {
  /** `<copy>/dist/src/main.js`, what `npm start` runs. */
  main: string;
  remove(): void;
}

/**
 * A private copy of the build (`npm test` builds it first, `pretest`), so another `nest build`
 * emptying `dist/` meanwhile cannot pull the entry away mid-run. It sits next to a symlink to the
 * project's node_modules and a copy of package.json (ESM), so it resolves exactly as `dist/` does.
 */
export async function snapshotBuild(): Promise<BuiltEntry> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(DIST, 'src', 'main.js')) || !existsSync(join(DIST, 'src', 'bootstrap.js'))) {
    if (Date.now() > deadline) throw new Error(`${DIST}/src/main.js is missing: run \`npx nest build\` first (npm test does it)`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const root = mkdtempSync(join(tmpdir(), 'mp-entry-'));
  cpSync(DIST, join(root, 'dist'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { main: join(root, 'dist', 'src', 'main.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProxyProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit, or a rejection after `timeoutMs` (the process is then killed). */
  exited(timeoutMs?: number): Promise<Exit>;
  /** The `http://host:port` the log announces; rejects if the process exits first. */
  listening(timeoutMs?: number): Promise<string>;
  /** Resolves once `pattern` appears on stdout or stderr. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Spawns `node dist/src/main.js` with exactly `env` (undefined values are left out, so a test
 * can leave a variable unset), in `cwd` so relative defaults never touch the repository.
 */
export function spawnProxy(entry: BuiltEntry, env: Record<string, string | undefined>, cwd: string): ProxyProcess {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const child = spawn(process.execPath, [entry.main], { env: clean, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), notify()));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), notify()));
  const exit = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      notify();
    }),
  );
  const describe = () => `\n--- stderr ---\n${err}\n--- stdout (tail) ---\n${out.slice(-2000)}`;

  const waitFor = <T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) return done(() => resolve(value));
        if (child.exitCode !== null || child.signalCode !== null) {
          done(() => reject(new Error(`proxy exited (${child.exitCode ?? child.signalCode}) before ${what}${describe()}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe()}`))), timeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        fn();
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async exited(timeoutMs = 45_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`proxy still running after ${timeoutMs} ms${describe()}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    listening: (timeoutMs = 45_000) => waitFor(() => /listening on (http:\/\/[^\s"]+)/.exec(out)?.[1], 'it listened', timeoutMs),
    waitForOutput: async (pattern, timeoutMs = 10_000) => {
      await waitFor(() => (pattern.test(out) || pattern.test(err) ? true : undefined), `output ${pattern}`, timeoutMs);
    },
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Kills whatever a failed test left running (its own children only). */
export function killStrayProxies(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface TempDir {
  path: string;
  /** Writes `name` (mode 0644 unless told; secrets files such as tokens.env need 0600). */
  file(name: string, content: string, mode?: number): string;
  remove(): void;
}

/** A temp dir the `postgres` user can enter (mkdtemp makes it 0700), for an embedded PostgreSQL under it. */
export function tempDir(prefix = 'mp-boot-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(path, 0o755);
  return {
    path,
    file(name, content, mode) {
      const p = join(path, name);
      writeFileSync(p, content);
      if (mode !== undefined) chmodSync(p, mode);
      return p;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** The environment of a spawned proxy: nothing inherited but PATH; everything in `dir`. */
export function proxyEnv(dir: string, databaseUrl: string | undefined, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: '0',
    PROXY_CONFIG: join(dir, 'config.yaml'),
    TOKENS_ENV: join(dir, 'tokens.env'),
    PROXY_DATA_DIR: join(dir, '.data'),
    LITELLM_MASTER_KEY: MASTER_KEY,
    LITELLM_SALT_KEY: SALT_KEY,
    DATABASE_URL: databaseUrl,
    ...extra,
  };
}

/** Holds a loopback port open until `close()`. */
export async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('no port');
  return { port: addr.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
