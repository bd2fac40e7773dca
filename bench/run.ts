// npm run bench [-- --quick] [-- --duration 10] [-- --rss-soak 1000000] ...
//
// One run sends the same load straight to the mock vLLM, through the bare pass-through
// (bench/passthrough.ts, the floor of what Node can do here), through the proxy with the master key
// and with a virtual key, and through a second proxy with spend logs off (virtual key), and writes
// the figures into BENCHMARKS.md ("Latest run").
//
// The mock, the pass-through and the proxies run as child processes, so they and this load generator
// do not share an event loop. The proxy is the built app (`node dist/src/main.js`): tsx has no
// decorator metadata, so Nest cannot be imported here. It runs as in production: default log level
// (one JSON line per request), its stdout and stderr going to a file, not to a pipe read here.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { request } from 'undici';
import { formatTop, type Window } from './cpuprofile-top.js';
import { runLoad, type LoadResult } from './load.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHMARKS = join(ROOT, 'BENCHMARKS.md');
const UPSTREAM_MODEL = 'bench/mock-model';
const ALIAS = 'bench-model';
const MASTER_KEY = `sk-bench-master-${randomBytes(8).toString('hex')}`;
const SALT_KEY = `sk-bench-salt-${randomBytes(8).toString('hex')}`;
const CLK_TCK = 100;

// ---------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    scenarios: { type: 'string' },
    targets: { type: 'string' },
    'rss-soak': { type: 'string' },
    'soak-connections': { type: 'string', default: '50' },
    profile: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`usage: npm run bench -- [options]
  --quick               3 s per cell (default 10 s), 1 s warm-up (default 2 s)
  --duration S          seconds measured per cell
  --warmup S            seconds of warm-up per cell (not measured)
  --scenarios LIST      comma list of: 1, 50, stream50, stream1 (default: all)
  --targets LIST        comma list of: direct, passthrough, proxy, proxy-vkey, proxy-nospend (default: all)
  --rss-soak N          instead of the matrix: N requests through the proxy (virtual key when it
                        can mint one; 1 in 10 streamed) at --soak-connections (50), RSS sampled every 10 s
  --repeat K            run every cell K times, interleaved, and report the median by req/s
  --profile             run the proxy under node --cpu-prof and print its hottest functions
  --build               run \`nest build\` first (done anyway when dist/ is missing)
  --no-write            do not touch BENCHMARKS.md
environment: DATABASE_URL (admin connection; default postgres://postgres@127.0.0.1:5432/postgres),
  BENCH_LOG_LEVEL (the proxies at this log level instead of the default info: an A/B of logging)`);
  process.exit(0);
}

function positive(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a number > 0, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const durationS = positive(args.duration, 'duration', args.quick ? 3 : 10);
const warmupS = positive(args.warmup, 'warmup', args.quick ? 1 : 2);
const soakN = args['rss-soak'] === undefined ? undefined : Math.floor(positive(args['rss-soak'], 'rss-soak', 0));
const repeat = Math.floor(positive(args.repeat, 'repeat', 1));
const soakConnections = Math.floor(positive(args['soak-connections'], 'soak-connections', 50));
/** BENCH_LOG_LEVEL=error (say): the proxies start at that level instead of the default info. */
const LOG_OVERRIDE = process.env.BENCH_LOG_LEVEL || undefined;

type TargetName = 'direct' | 'passthrough' | 'proxy' | 'proxy-vkey' | 'proxy-nospend';
const ALL_TARGETS: readonly TargetName[] = ['direct', 'passthrough', 'proxy', 'proxy-vkey', 'proxy-nospend'];
const TARGET_LABEL: Record<TargetName, string> = {
  direct: 'mock direct',
  passthrough: 'pass-through',
  proxy: 'proxy (master key)',
  'proxy-vkey': 'proxy (virtual key)',
  'proxy-nospend': 'proxy, spend logs off (virtual key)',
};

interface Scenario {
  id: string;
  label: string;
  connections: number;
  stream: boolean;
}
const SCENARIOS: Scenario[] = [
  { id: '1', label: 'non-stream, 1 conn', connections: 1, stream: false },
  { id: '50', label: 'non-stream, 50 conn', connections: 50, stream: false },
  { id: 'stream50', label: 'stream, 50 conn', connections: 50, stream: true },
  { id: 'stream1', label: 'stream, 1 conn', connections: 1, stream: true },
];

function pickList<T extends string>(raw: string | undefined, all: readonly T[], name: string): T[] {
  if (raw === undefined) return [...all];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const x of list) {
    if (!(all as readonly string[]).includes(x)) {
      console.error(`--${name}: unknown ${JSON.stringify(x)}; one of ${all.join(', ')}`);
      process.exit(2);
    }
  }
  return list as T[];
}
const scenarios = pickList(args.scenarios, SCENARIOS.map((s) => s.id), 'scenarios').map((id) => SCENARIOS.find((s) => s.id === id) as Scenario);
const wantedTargets = pickList<TargetName>(args.targets, ALL_TARGETS, 'targets');

// ---------------------------------------------------------------- machine and processes

const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

function machine(): { cores: number; cpu: string; node: string; kernel: string; memGb: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return { cores: os.availableParallelism(), cpu, node: process.version, kernel: `${os.type()} ${os.release()}`, memGb: (os.totalmem() / 2 ** 30).toFixed(1) };
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
const mb = (kb: number): string => (Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last few KB of its stderr and stdout, for error reports. */
  output(): string;
  exited: Promise<number | null>;
  /** Where its stdout and stderr go, when they go to a file. */
  logFile?: string;
}

const children: Child[] = [];

/** The last `bytes` of a file. */
function tail(file: string, bytes = 4096): string {
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
function startChild(name: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv, logFile?: string): Child {
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
function logStats(file: string | undefined): { bytes: number; lines: number } | undefined {
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
function waitForUrl(child: Child, timeoutMs = 30_000): Promise<string> {
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

async function waitForHttp(child: Child, url: string, timeoutMs = 120_000): Promise<void> {
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

async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), 15_000);
  await c.exited;
  clearTimeout(t);
}

const tsxArgs = (file: string, rest: string[]): string[] => ['--import', 'tsx', join(ROOT, file), ...rest];

// ---------------------------------------------------------------- database

const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
function dbUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- the build

/** Builds when asked or when dist/ is missing; returns a note on which build is measured. */
function ensureBuild(): string {
  const main = join(ROOT, 'dist/src/main.js');
  if (args.build || !existsSync(main)) {
    log(args.build ? 'building (nest build)...' : 'dist/src/main.js missing: building (nest build)...');
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
function snapshotBuild(root: string): string {
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error('dist/src/main.js vanished while it was copied (a build running?): try again');
  return main;
}

// ---------------------------------------------------------------- targets and bodies

interface Target {
  name: TargetName;
  origin: string;
  key: string;
  model: string;
  /** The child whose CPU counts as "the server" (pass-through or proxy). */
  server?: Child;
  /** The proxy's database, whose PostgreSQL backends' CPU is the "db" column. */
  db?: string;
}

function bodyFor(model: string, stream: boolean, soak = false): Buffer {
  const b: Record<string, unknown> = { model, messages: [{ role: 'user', content: 'Say hello to the benchmark' }] };
  if (stream) {
    b.max_tokens = 8;
    b.stream = true;
    // Per-request mock steering; the proxy forwards unknown fields untouched.
    b.mock = { ttft_ms: 0, inter_token_ms: soak ? 0 : 5 };
  } else {
    b.max_tokens = 16;
  }
  return Buffer.from(JSON.stringify(b));
}

function headersFor(key: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${key}` };
}

/** One request of each kind, checked, so a misconfigured target fails loudly instead of benchmarking 4xx. */
async function sanity(t: Target): Promise<void> {
  for (const stream of [false, true]) {
    const r = await request(`${t.origin}/v1/chat/completions`, { method: 'POST', headers: headersFor(t.key), body: bodyFor(t.model, stream) });
    const text = await r.body.text();
    if (r.statusCode !== 200 || !text.includes('tok ') || (stream && !text.includes('[DONE]'))) {
      throw new Error(`${TARGET_LABEL[t.name]}: ${stream ? 'streaming' : 'non-streaming'} check failed: HTTP ${r.statusCode} ${text.slice(0, 300)}`);
    }
  }
}

// ---------------------------------------------------------------- cells

interface Cell {
  scenario: Scenario;
  target: TargetName;
  /** Which repetition (0-based) of the matrix it belongs to. */
  rep: number;
  result: LoadResult;
  /** The measured window on the monotonic clock (µs), to cut a CPU profile down to it. */
  window: Window;
  /**
   * CPU % of one core during the measured window: `db` is the PostgreSQL backends of the target's
   * database (the proxy's spend writes), `other` every process not ours (other work on the machine,
   * PostgreSQL's shared WAL writer and checkpointer, the kernel's softirq time).
   */
  cpu: { gen: number; server?: number; mock: number; db?: number; other: number };
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL backend serving database `db` (found by its process
 * title, `postgres: … user db host(port) state`), so the spend writes show as their own column.
 * A backend that exits inside a window takes its CPU with it (the pool keeps them open under load).
 */
function dbCpu(db: string | undefined): Map<number, number> {
  const per = new Map<number, number>();
  if (db === undefined) return per;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (title.startsWith('postgres:') && title.includes(` ${db} `)) {
      const s = cpuSeconds(Number(e));
      if (!Number.isNaN(s)) per.set(Number(e), s);
    }
  }
  return per;
}

interface CpuSnap {
  at: number;
  gen: number;
  server: number;
  mock: number;
  db: Map<number, number>;
  /** Our processes, PostgreSQL backends excluded. */
  ours: number;
  busy: number;
}
function snapCpu(server: Child | undefined, mock: Child, db: string | undefined): CpuSnap {
  const gen = cpuSeconds(process.pid);
  const per = children.map((c) => ({ c, s: cpuSeconds(c.pid) }));
  const of = (c: Child | undefined): number => (c ? (per.find((p) => p.c === c)?.s ?? NaN) : NaN);
  const ours = gen + per.reduce((a, p) => a + (Number.isNaN(p.s) ? 0 : p.s), 0);
  return { at: performance.now(), gen, server: of(server), mock: of(mock), db: dbCpu(db), ours, busy: machineBusySeconds() };
}

/** CPU seconds the backends used between two snapshots: a backend born in between counts from zero. */
function dbDelta(before: CpuSnap, after: CpuSnap): number {
  let d = 0;
  for (const [pid, s] of after.db) d += Math.max(0, s - (before.db.get(pid) ?? 0));
  return d;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function runCell(s: Scenario, t: Target, mock: Child, rep: number): Promise<Cell> {
  let before: CpuSnap | undefined;
  let from = nowUs();
  const result = await runLoad({
    origin: t.origin,
    path: '/v1/chat/completions',
    headers: headersFor(t.key),
    body: bodyFor(t.model, s.stream),
    connections: s.connections,
    durationMs: durationS * 1000,
    warmupMs: warmupS * 1000,
    stream: s.stream,
    timingHeader: t.name.startsWith('proxy') ? 'x-litellm-overhead-duration-ms' : undefined,
    onMeasureStart: () => {
      before = snapCpu(t.server, mock, t.db);
      from = nowUs();
    },
  });
  const to = nowUs();
  const after = snapCpu(t.server, mock, t.db);
  const b = before;
  const secs = b ? (after.at - b.at) / 1000 : NaN;
  const pct = (k: 'gen' | 'server' | 'mock' | 'ours' | 'busy'): number => (b ? ((after[k] - b[k]) / secs) * 100 : NaN);
  const db = b ? (dbDelta(b, after) / secs) * 100 : NaN;
  return {
    scenario: s,
    target: t.name,
    rep,
    result,
    window: { from, to },
    cpu: { gen: pct('gen'), server: t.server ? pct('server') : undefined, mock: pct('mock'), db: t.db ? db : undefined, other: Math.max(0, pct('busy') - pct('ours') - (t.db ? db : 0)) },
  };
}

// ---------------------------------------------------------------- formatting

const f2 = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2));
const f0 = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const pctOf = (a: number, b: number | undefined): string => (b === undefined || !b ? '–' : `${((a / b) * 100).toFixed(0)}%`);
const signed = (n: number): string => (Number.isNaN(n) ? '–' : `${n >= 0 ? '+' : ''}${n.toFixed(2)} ms`);
const check = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? ' ✅' : ' ❌');
const mark = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? '✅' : '❌');

/** Other processes took more than half a core during the cell: its figures are not the proxy's alone. */
const NOISY_OTHER = 50;
const noisy = (c: Cell): boolean => c.cpu.other > NOISY_OTHER;

function table(cells: Cell[]): string {
  const rows = [
    '| scenario | target | req/s | p50 ms | p99 ms | TTFT p50 | TTFT p99 | errors | vs direct | vs pass-through | CPU % gen · server · mock · db · other |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const c of cells) {
    const same = (t: TargetName): Cell | undefined => cells.find((x) => x.scenario === c.scenario && x.target === t);
    const r = c.result;
    const errs = r.errors === 0 ? '0' : `${r.errors} (${Object.entries(r.errorKinds).map(([k, v]) => `${k} ×${v}`).join('; ')})`;
    const opt = (n: number | undefined): string => (n === undefined ? '–' : f0(n));
    const cpu = [f0(c.cpu.gen), opt(c.cpu.server), f0(c.cpu.mock), opt(c.cpu.db), f0(c.cpu.other)].join(' · ') + (noisy(c) ? ' ⚠' : '');
    rows.push(
      `| ${c.scenario.label} | ${TARGET_LABEL[c.target]} | ${f0(r.rps)} | ${f2(r.latency.p50)} | ${f2(r.latency.p99)} | ${f2(r.ttft?.p50)} | ${f2(r.ttft?.p99)} | ${errs} | ${c.target === 'direct' ? '' : pctOf(r.rps, same('direct')?.result.rps)} | ${c.target === 'direct' || c.target === 'passthrough' ? '' : pctOf(r.rps, same('passthrough')?.result.rps)} | ${cpu} |`,
    );
  }
  return rows.join('\n');
}

/** What a soak leaves in BENCHMARKS.md (as an HTML comment) for the checklist's RSS row. */
interface SoakData {
  requests: number;
  connections: number;
  startKb: number;
  /** The lowest sample (a post-GC trough) in the first and in the second half of the requests. */
  firstLowKb: number;
  secondLowKb: number;
  endKb: number;
  idleKb: number;
  peakKb: number;
  at: string;
}
const SOAK_DATA = /<!-- soak-data (\{.*\}) -->/;
const RSS_ROW = '| proxy RSS after a million requests:';
/**
 * "Flat": the lowest RSS of the second half of the soak is at most this above the lowest of the
 * first half. RSS is a GC sawtooth, so troughs are compared, not single samples.
 */
const FLAT_KB = 10 * 1024;

function readSoakData(): SoakData | undefined {
  if (!existsSync(BENCHMARKS)) return undefined;
  const m = SOAK_DATA.exec(readFileSync(BENCHMARKS, 'utf8'));
  try {
    return m ? (JSON.parse(m[1]) as SoakData) : undefined;
  } catch {
    return undefined;
  }
}

function rssRow(d: SoakData | undefined): string {
  if (!d || typeof d.firstLowKb !== 'number' || typeof d.secondLowKb !== 'number') {
    return `${RSS_ROW} flat, ≤ 150 MB (3) | no soak on record (or one from an older version of this script): \`npm run bench -- --rss-soak 1000000\` | – |`;
  }
  const growth = d.secondLowKb - d.firstLowKb;
  const ok = d.peakKb <= 150 * 1024 && growth <= FLAT_KB;
  const few = d.requests < 1_000_000 ? ` — only ${f0(d.requests)} requests, not a million` : '';
  return (
    `${RSS_ROW} flat, ≤ 150 MB (3) | **${mb(d.endKb)}** at the end (${mb(d.startKb)} at the start), peak **${mb(d.peakKb)}**; ` +
    `troughs ${mb(d.firstLowKb)} in the first half, ${mb(d.secondLowKb)} in the second (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(1)} MB: ${growth <= FLAT_KB ? 'flat' : 'growing'}) ` +
    `after ${f0(d.requests)} requests; see "Latest RSS soak", ${d.at.slice(0, 10)}${few} | ${mark(ok)} |`
  );
}

/** The apart-ness of two rates: |1 − a/b|. */
const apart = (a: number, b: number): number => Math.abs(1 - a / b);

/**
 * With --repeat: a/b req/s in each repetition (the two cells ran a few seconds apart), e.g.
 * " (per repetition: 0.39 · 0.40 · 0.41)"; empty for a single run.
 */
function perRep(all: Cell[], sid: string, a: TargetName, b: TargetName): string {
  const reps = [...new Set(all.map((c) => c.rep))].sort((x, y) => x - y);
  if (reps.length < 2) return '';
  const at = (t: TargetName, r: number): Cell | undefined => all.find((c) => c.scenario.id === sid && c.target === t && c.rep === r);
  const ratios = reps.map((r) => {
    const x = at(a, r);
    const y = at(b, r);
    return x && y ? `${(x.result.rps / y.result.rps).toFixed(2)}${noisy(x) || noisy(y) ? '⚠' : ''}` : '–';
  });
  return ` (per repetition: ${ratios.join(' · ')})`;
}

function checklist(cells: Cell[], all: Cell[], soakData: SoakData | undefined): string[] {
  const get = (s: string, t: TargetName): Cell | undefined => cells.find((c) => c.scenario.id === s && c.target === t);
  // The production configuration is the headline: a virtual key, spend logs on.
  const main: TargetName = cells.some((c) => c.target === 'proxy-vkey') ? 'proxy-vkey' : 'proxy';
  const others = (['proxy', 'proxy-vkey', 'proxy-nospend'] as TargetName[]).filter((t) => t !== main && cells.some((c) => c.target === t));
  const short: Record<string, string> = { proxy: 'master key', 'proxy-vkey': 'virtual key', 'proxy-nospend': 'spend logs off' };
  const rows = ['| target (issue) | measured | met |', '| --- | --- | :---: |'];

  const pt50 = get('50', 'passthrough');
  const m50 = get('50', main);
  if (m50 && pt50) {
    const ratio = m50.result.rps / pt50.result.rps;
    const rest = others.map((t) => get('50', t)).filter((c): c is Cell => c !== undefined).map((c) => `${short[c.target]} ${pctOf(c.result.rps, pt50.result.rps)}`);
    rows.push(
      `| proxy req/s at 50 connections ≥ 60% of the pass-through's (3) | **${(ratio * 100).toFixed(0)}%** with a ${short[main]} (${f0(m50.result.rps)} vs ${f0(pt50.result.rps)} req/s)${perRep(all, '50', main, 'passthrough')}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(ratio >= 0.6)} |`,
    );
  }
  const d1 = get('1', 'direct');
  const m1 = get('1', main);
  if (m1 && d1) {
    const added = m1.result.latency.p50 - d1.result.latency.p50;
    const pt1 = get('1', 'passthrough');
    const hdr = m1.result.header;
    const rest = others.map((t) => get('1', t)).filter((c): c is Cell => c !== undefined).map((c) => `${short[c.target]} ${signed(c.result.latency.p50 - d1.result.latency.p50)}`);
    const detail = [pt1 ? `${signed(m1.result.latency.p50 - pt1.result.latency.p50)} vs the pass-through` : '', hdr && hdr.count > 0 ? `its own x-litellm-overhead-duration-ms p50 ${hdr.p50.toFixed(3)} ms` : ''].filter(Boolean);
    rows.push(
      `| added p50 latency at 1 connection ≤ 0.5 ms (3) | **${signed(added)}** vs direct${detail.length ? ` (${detail.join('; ')})` : ''}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(added <= 0.5)} |`,
    );
  }
  for (const sid of ['stream1', 'stream50']) {
    const ds = get(sid, 'direct');
    const ms = get(sid, main);
    if (!ms?.result.ttft || !ds?.result.ttft) continue;
    const dt = ds.result.ttft.p50;
    const added = ms.result.ttft.p50 - dt;
    const pts = get(sid, 'passthrough');
    const rest = others
      .map((t) => get(sid, t))
      .filter((c): c is Cell => c?.result.ttft !== undefined)
      .map((c) => `${short[c.target]} ${signed((c.result.ttft as { p50: number }).p50 - dt)}`);
    rows.push(
      `| added time to first token ≤ 1 ms, ${ms.scenario.label} (3) | **${signed(added)}** vs direct${pts?.result.ttft ? ` (${signed(ms.result.ttft.p50 - pts.result.ttft.p50)} vs the pass-through)` : ''}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(added <= 1)} |`,
    );
  }
  rows.push(rssRow(soakData));
  const v50 = get('50', 'proxy-vkey');
  const k50 = get('50', 'proxy');
  if (v50 && k50) {
    const a = apart(v50.result.rps, k50.result.rps);
    const v1 = get('1', 'proxy-vkey');
    const k1 = get('1', 'proxy');
    rows.push(
      `| a virtual key costs what the master key does, within 10% (4) | **${(a * 100).toFixed(1)}% apart** at 50 connections: virtual key ${f0(v50.result.rps)} req/s, master key ${f0(k50.result.rps)} (ratio ${(v50.result.rps / k50.result.rps).toFixed(2)}${perRep(all, '50', 'proxy-vkey', 'proxy').replace(' (', '; ').replace(/\)$/, '')})` +
        `${v1 && k1 ? `; p50 at 1 connection ${signed(v1.result.latency.p50 - k1.result.latency.p50)} for the virtual key` : ''} | ${mark(a < 0.1)} |`,
    );
  }
  const n50 = get('50', 'proxy-nospend');
  if (v50 && n50) {
    const a = apart(v50.result.rps, n50.result.rps);
    rows.push(
      `| proxy req/s with spend logs on vs off, under 10% apart (5) | **${(a * 100).toFixed(1)}% apart** at 50 connections: on ${f0(v50.result.rps)} req/s ÷ off ${f0(n50.result.rps)} = ${(v50.result.rps / n50.result.rps).toFixed(2)}${perRep(all, '50', 'proxy-vkey', 'proxy-nospend')} (both with a virtual key) | ${mark(a < 0.1)} |`,
    );
  }
  return rows;
}

const HEADER = `# Benchmarks

How fast the \`/v1\` hot path is next to what Node itself can do on the same machine. Not a test, and
not run by CI.

## How to run

\`npm run bench\` (10 s measured per cell after a 2 s warm-up; \`npm run bench -- --quick\`: 3 s after
1 s; about 5 minutes in all, 3 times that with \`--repeat 3\`). Needs PostgreSQL at \`DATABASE_URL\`
(default postgres://postgres@127.0.0.1:5432/postgres; each proxy gets a fresh database
\`mp_bench_<ts>\`, dropped afterwards). Run it on a quiet machine: check \`uptime\` first.

It builds the app if \`dist/\` is missing (\`-- --build\` forces it), copies the build aside, and
starts, each as its own process so nothing shares the generator's event loop:

- the mock vLLM (\`bench/mock.ts\`);
- the bare pass-through (\`bench/passthrough.ts\`: node:http + one undici pool, the floor);
- the proxy (\`node dist/src/main.js\`) as in production: default log level (a JSON line per
  request) with its stdout and stderr going to a file, and spend logged for every request;
- a second proxy whose config sets \`general_settings.disable_spend_logs: true\` (key spend still
  booked, no \`LiteLLM_SpendLogs\` rows), on its own database.

The same closed-loop load (\`bench/load.ts\`: undici, every latency kept at µs resolution) then goes
straight to the mock, through the pass-through, through the proxy with the master key and with a
virtual key minted by \`POST /key/generate\`, and through the second proxy with a virtual key minted
on it. Every target is first primed (one warm-up period at 50 connections, plain and streaming),
then each cell has its own warm-up before it is measured. A full run replaces "Latest run" below.

Scenarios: non-streaming chat completions (16 tokens) at 1 and at 50 connections; streaming (8 tokens
5 ms apart, the first chunk at once) at 50 connections, and at 1 for a time to first token free of
queueing. TTFT is the time from sending the request to the first chunk of the response body.

Options:

- \`--duration S\`, \`--warmup S\`;
- \`--repeat K\`: each cell K times, interleaved; reported: the median of the runs that other
  processes left alone. Use it when the machine is noisy;
- \`--scenarios 1,50,stream50,stream1\`, \`--targets direct,passthrough,proxy,proxy-vkey,proxy-nospend\`:
  partial runs print but do not write here;
- \`--profile\`: the proxies under \`node --cpu-prof\`; prints their hottest functions inside the
  measured windows, mapped to \`src/\` lines; does not write here;
- \`--rss-soak N\`: instead of the matrix, N requests through the proxy with a virtual key at 50
  connections, 1 in 10 streamed, RSS sampled every 10 s; replaces "Latest RSS soak" and the RSS row
  of the checklist;
- \`--no-write\`;
- environment \`BENCH_LOG_LEVEL=error\`: the proxies at that log level instead of info, to measure
  what the per-request log line costs (the run then says its logging is not production's).

## Targets

| what | target | issue |
| --- | --- | --- |
| proxy req/s at 50 connections | ≥ 60% of the pass-through's | 3 |
| added p50 latency at 1 connection | ≤ 0.5 ms | 3 |
| added time to first token | ≤ 1 ms | 3 |
| proxy RSS after a million requests | flat (the second half's lowest sample ≤ 10 MB above the first half's), ≤ 150 MB | 3 |
| virtual key vs master key | the same cost (read as: req/s within 10%) | 4 |
| proxy req/s, spend logs on vs off | under 10% apart | 5 |

The checklist judges the production configuration: the proxy with a virtual key and spend logs on.

Read the figures with the machine in mind. The load generator, the mock, the pass-through or the
proxy, and PostgreSQL share its cores, so at 50 connections everything is CPU-bound and the
generator's own cost is in every number: the ratios between targets measured in the same run mean
more than the absolute figures. CPU columns are % of one core: "db" is the PostgreSQL backends of
the proxy's database (its spend batches), "other" what the rest of the machine used meanwhile
(PostgreSQL's shared WAL writer, the kernel, anything else running): a cell where it passed half a
core is marked ⚠ and is noise.
`;

/** Replaces (or appends) one "## heading" section, and refreshes the text above the first section from HEADER. */
function writeSection(heading: string, body: string): void {
  let text = existsSync(BENCHMARKS) ? readFileSync(BENCHMARKS, 'utf8') : HEADER;
  const firstRun = ['\n## Latest run\n', '\n## Where the time goes\n', '\n## Latest RSS soak\n'].map((h) => text.indexOf(h)).filter((i) => i !== -1);
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

function commandLine(): string {
  const rest = process.argv.slice(2);
  return `npm run bench${rest.length ? ` -- ${rest.join(' ')}` : ''}`;
}

// ---------------------------------------------------------------- the proxies

interface Proxy {
  child: Child;
  url: string;
  db: string;
  bootKb: number;
  vkey?: string;
  vkeyNote?: string;
  profileDir?: string;
  /** Requests sent through it (checks, priming, warm-ups, measured). */
  sent: number;
  /** Read from its database once it has stopped (spend flushed at SIGTERM). */
  spendRows?: number;
  keySpend?: number;
}

/** Creates a database, starts the built app on it and mints a virtual key (when the route exists). */
async function startProxy(
  name: string,
  dir: string,
  main: string,
  mockUrl: string,
  env: NodeJS.ProcessEnv,
  opts: { disableSpendLogs: boolean; onDb: (db: string) => void },
): Promise<Proxy> {
  const db = `mp_bench_${Date.now()}_${name.replace(/\W+/g, '_')}`;
  await adminQuery(`CREATE DATABASE ${db}`);
  opts.onDb(db);
  const home = join(dir, name);
  mkdirSync(home);
  const configPath = join(home, 'config.yaml');
  writeFileSync(
    configPath,
    [
      'model_list:',
      `  - model_name: ${ALIAS}`,
      '    litellm_params:',
      `      model: openai/${UPSTREAM_MODEL}`,
      `      api_base: ${mockUrl}/v1`,
      '    model_info:',
      '      input_cost_per_token: 0.0000001',
      '      output_cost_per_token: 0.0000004',
      ...(opts.disableSpendLogs ? ['general_settings:', '  disable_spend_logs: true'] : []),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const argv = ['--enable-source-maps'];
  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = join(os.tmpdir(), `mp-bench-profile-${Date.now()}-${name}`);
    argv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  argv.push(main);
  // No LOG_LEVEL: the default (info) writes one line per request, as in production.
  // BENCH_LOG_LEVEL=error measures the proxy without its per-request log line.
  const child = startChild(
    name,
    process.execPath,
    argv,
    {
      ...env,
      ...(LOG_OVERRIDE ? { LOG_LEVEL: LOG_OVERRIDE } : {}),
      DATABASE_URL: dbUrl(db),
      LITELLM_MASTER_KEY: MASTER_KEY,
      LITELLM_SALT_KEY: SALT_KEY,
      PROXY_CONFIG: configPath,
      HOST: '127.0.0.1',
      PORT: String(port),
      TOKENS_ENV: join(home, 'tokens.env'),
      PROXY_DATA_DIR: join(home, 'data'),
    },
    join(home, 'proxy.log'),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/health/liveliness`);
  const bootKb = statusKb(child.pid, 'VmRSS');
  const p: Proxy = { child, url, db, bootKb, profileDir, sent: 0 };
  const r = await request(`${url}/key/generate`, { method: 'POST', headers: headersFor(MASTER_KEY), body: JSON.stringify({ key_alias: 'bench' }) });
  const text = await r.body.text();
  if (r.statusCode === 200) {
    p.vkey = (JSON.parse(text) as { key?: string }).key;
    if (!p.vkey) p.vkeyNote = `POST /key/generate answered without a key: ${text.slice(0, 200)}`;
  } else {
    p.vkeyNote = `POST /key/generate answered HTTP ${r.statusCode}${r.statusCode === 404 ? ' (not built yet)' : `: ${text.slice(0, 200)}`}: the virtual-key rows are skipped`;
  }
  if (p.vkeyNote) log(`note: ${name}: ${p.vkeyNote}`);
  log(`${name}: ${url} (pid ${child.pid}, ${mb(bootKb)} after boot), database ${db}, log ${child.logFile}`);
  return p;
}

/** Spend-log rows and the virtual key's booked spend, read once the proxy has flushed and stopped. */
async function readSpend(p: Proxy): Promise<void> {
  try {
    const c = new pg.Client({ connectionString: dbUrl(p.db) });
    await c.connect();
    try {
      const r = await c.query<{ n: string; spend: number | null }>(
        `SELECT (SELECT count(*) FROM "LiteLLM_SpendLogs")::text AS n, (SELECT sum(spend) FROM "LiteLLM_VerificationToken" WHERE key_alias = 'bench')::float8 AS spend`,
      );
      p.spendRows = Number(r.rows[0]?.n);
      p.keySpend = r.rows[0]?.spend ?? undefined;
    } finally {
      await c.end();
    }
  } catch (e) {
    log(`could not read spend from ${p.db}: ${(e as Error).message}`);
  }
}

function logNote(p: Proxy, label: string): string {
  const s = logStats(p.child.logFile);
  return s ? `${label} wrote ${f0(s.lines)} log lines (${(s.bytes / 2 ** 20).toFixed(1)} MB) to its log file` : '';
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const m = machine();
  const machineLine = `${m.cores} cores (${m.cpu}), ${m.memGb} GB RAM, Node ${m.node}, ${m.kernel}`;
  log(`machine: ${machineLine}`);
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  log(`load average: ${loadAtStart}${Number(loadAtStart) >= 1 ? ' — the machine is busy: figures will be rough' : ''}`);
  if (m.cores <= 2) log(`note: only ${m.cores} cores: the load generator competes with the mock, the proxy and PostgreSQL for CPU; read ratios, not absolutes`);
  const buildNote = ensureBuild();

  const dir = mkdtempSync(join(os.tmpdir(), 'mp-bench-'));
  const dbs: string[] = [];
  const proxies: Proxy[] = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(children.map(stopChild));
    for (const p of proxies) await readSpend(p);
    for (const db of dbs) {
      await adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch((e: unknown) => log(`could not drop ${db}: ${(e as Error).message}`));
    }
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanup().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  });

  try {
    const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG };
    const mock = startChild('mock vLLM', process.execPath, tsxArgs('bench/mock.ts', ['--port', '0', '--model', UPSTREAM_MODEL]), childEnv);
    const mockUrl = await waitForUrl(mock);
    const pt = startChild('pass-through', process.execPath, tsxArgs('bench/passthrough.ts', ['--port', '0', '--target', mockUrl]), childEnv);
    const ptUrl = await waitForUrl(pt);
    log(`mock ${mockUrl} (pid ${mock.pid}), pass-through ${ptUrl} (pid ${pt.pid})`);

    const appMain = snapshotBuild(join(dir, 'app'));
    const onDb = (db: string): void => {
      dbs.push(db);
    };
    const proxy = await startProxy('proxy', dir, appMain, mockUrl, childEnv, { disableSpendLogs: false, onDb });
    proxies.push(proxy);
    // The second proxy only for the matrix, and only when asked for.
    const nospend = soakN === undefined && wantedTargets.includes('proxy-nospend') ? await startProxy('proxy-nospend', dir, appMain, mockUrl, childEnv, { disableSpendLogs: true, onDb }) : undefined;
    if (nospend) proxies.push(nospend);

    const allTargets: Target[] = [
      { name: 'direct', origin: mockUrl, key: MASTER_KEY, model: UPSTREAM_MODEL },
      { name: 'passthrough', origin: ptUrl, key: MASTER_KEY, model: UPSTREAM_MODEL, server: pt },
      { name: 'proxy', origin: proxy.url, key: MASTER_KEY, model: ALIAS, server: proxy.child, db: proxy.db },
    ];
    if (proxy.vkey) allTargets.push({ name: 'proxy-vkey', origin: proxy.url, key: proxy.vkey, model: ALIAS, server: proxy.child, db: proxy.db });
    if (nospend?.vkey) allTargets.push({ name: 'proxy-nospend', origin: nospend.url, key: nospend.vkey, model: ALIAS, server: nospend.child, db: nospend.db });
    const targets = allTargets.filter((t) => wantedTargets.includes(t.name));
    const proxyOf = (t: Target): Proxy | undefined => proxies.find((p) => p.child === t.server);
    for (const t of targets) {
      await sanity(t);
      const p = proxyOf(t);
      if (p) p.sent += 2;
    }

    if (soakN !== undefined) {
      const t = targets.find((x) => x.name === 'proxy-vkey') ?? (allTargets.find((x) => x.name === 'proxy') as Target);
      await soak(t, proxy, soakN, machineLine, loadAtStart, buildNote, cleanup);
      return;
    }

    // Prime every target once (JIT, pools, caches) so the first cell to hit a fresh process does not pay for it.
    log('priming every target...');
    for (const t of targets) {
      for (const stream of [false, true]) {
        const r = await runLoad({ origin: t.origin, path: '/v1/chat/completions', headers: headersFor(t.key), body: bodyFor(t.model, stream), connections: 50, durationMs: warmupS * 1000, stream });
        const p = proxyOf(t);
        if (p) p.sent += r.sent;
      }
    }

    // With --repeat, a repetition is the whole matrix: the runs of one cell are minutes apart, so a
    // burst of other work on the machine spoils one of them, not all; the targets of a scenario stay
    // side by side, so their ratios compare like with like.
    const all: Cell[] = [];
    for (let rep = 0; rep < repeat; rep++) {
      if (repeat > 1) log(`repetition ${rep + 1} of ${repeat}`);
      for (const s of scenarios) {
        for (const t of targets) {
          const cell = await runCell(s, t, mock, rep);
          all.push(cell);
          const p = proxyOf(t);
          if (p) p.sent += cell.result.sent;
          const r = cell.result;
          const opt = (n: number | undefined): string => (n === undefined ? '–' : f0(n));
          log(
            `${s.label.padEnd(20)} ${TARGET_LABEL[t.name].padEnd(36)} ${f0(r.rps).padStart(7)} req/s  p50 ${f2(r.latency.p50)}  p99 ${f2(r.latency.p99)} ms` +
              (r.ttft ? `  TTFT p50 ${f2(r.ttft.p50)} p99 ${f2(r.ttft.p99)}` : '') +
              `  errors ${r.errors}  cpu% gen ${f0(cell.cpu.gen)} server ${opt(cell.cpu.server)} mock ${f0(cell.cpu.mock)} db ${opt(cell.cpu.db)} other ${f0(cell.cpu.other)}`,
          );
        }
      }
    }
    log('');
    // With --repeat, each (scenario, target) is reported by its median run by req/s, among the runs
    // other processes left alone when there is at least one.
    const cells: Cell[] = [];
    let dropped = 0;
    for (const s of scenarios) {
      for (const t of targets) {
        const runs = all.filter((c) => c.scenario === s && c.target === t.name).sort((a, b) => a.result.rps - b.result.rps);
        const quiet = runs.filter((c) => !noisy(c));
        const pool = quiet.length ? quiet : runs;
        dropped += runs.length - pool.length;
        cells.push(pool[Math.floor(pool.length / 2)]);
      }
    }
    const noisyLeft = cells.filter(noisy).length;
    const otherMax = Math.max(...all.map((c) => c.cpu.other));
    const proxyMeasured = targets.some((t) => t.server === proxy.child);
    const rss = proxyMeasured
      ? { kb: statusKb(proxy.child.pid, 'VmRSS'), hwm: statusKb(proxy.child.pid, 'VmHWM'), anon: statusKb(proxy.child.pid, 'RssAnon'), file: statusKb(proxy.child.pid, 'RssFile') }
      : undefined;

    await cleanup();

    const repeatsNote =
      repeat > 1
        ? `, each cell run ${repeat} times interleaved and reported by its median req/s among the runs where other processes used ≤ ${NOISY_OTHER}% of a core (${dropped} of ${all.length} runs set aside)`
        : '';
    const spendNote = (p: Proxy, label: string, logsOn: boolean): string => {
      if (p.spendRows === undefined) return '';
      const perReq = p.keySpend !== undefined ? `; the virtual key's spend booked: $${p.keySpend.toFixed(6)}` : '';
      return logsOn
        ? `${label}: ${f0(p.spendRows)} spend-log rows for ${f0(p.sent)} requests sent through it (checks, priming and warm-ups included)${perReq}.`
        : `${label}: ${f0(p.spendRows)} spend-log rows for ${f0(p.sent)} requests (all by its virtual key)${perReq} — totals booked, no rows, as the setting says.`;
    };
    const notes = [
      `Machine: ${machineLine}.`,
      m.cores <= 2
        ? `Only ${m.cores} cores for five busy processes (load generator, mock, pass-through or proxy, PostgreSQL): every 50-connection cell is CPU-bound, and the generator's CPU share is in every figure. CPU % is of one core (${m.cores * 100}% is all of them).`
        : `CPU % is of one core (${m.cores * 100}% is all of them).`,
      `Command: \`${commandLine()}\` — ${durationS} s measured per cell after ${warmupS} s of warm-up (and a priming pass per target)${repeatsNote}; ${new Date().toISOString()}; commit ${gitHead()}, proxy from ${buildNote}.`,
      `Load from other processes: 1-min load average ${loadAtStart} at the start; up to ${f0(otherMax)}% of a core during a cell ("other" column)` +
        (noisyLeft ? `; ${noisyLeft} reported cell(s) marked ⚠ had more than ${NOISY_OTHER}% — treat those as rough` : otherMax > NOISY_OTHER ? '; the busy runs were set aside' : '') +
        '.',
      proxy.vkeyNote ? `Virtual key: ${proxy.vkeyNote}.` : 'Virtual keys: minted with POST /key/generate on each proxy; model prices set, so every request books spend.',
      `${LOG_OVERRIDE ? `Logging NOT as in production: BENCH_LOG_LEVEL=${LOG_OVERRIDE}, to a file` : 'Logging as in production (level info, one JSON line per request, to a file)'}: ${[logNote(proxy, 'the proxy'), nospend ? logNote(nospend, 'the spend-logs-off proxy') : ''].filter(Boolean).join('; ')}.`,
      spendNote(proxy, 'Spend logs on (the proxy)', true),
      nospend ? spendNote(nospend, 'Spend logs off (`general_settings.disable_spend_logs: true`)', false) : '',
    ].filter(Boolean);
    const rssLine = rss
      ? `Proxy RSS after this run: ${mb(rss.kb)} (${mb(rss.anon)} anonymous, ${mb(rss.file)} file-backed; peak ${mb(rss.hwm)}; ${mb(proxy.bootKb)} right after boot). The million-request figure is the soak's, below.`
      : '';
    const out = [...notes, '', '### Checklist', '', ...checklist(cells, all, readSoakData()), '', rssLine, '', '### All cells', '', table(cells)].join('\n');
    console.log(`\n${out}\n`);
    if (!args['no-write'] && !args.profile && args.scenarios === undefined && args.targets === undefined) {
      writeSection('Latest run', out);
      log(`wrote "Latest run" in ${BENCHMARKS}`);
    } else if (!args['no-write']) {
      log('not writing BENCHMARKS.md: partial or profiled run');
    }
    for (const p of proxies) {
      if (!p.profileDir) continue;
      const windows = all.filter((c) => targets.find((t) => t.name === c.target)?.server === p.child).map((c) => c.window);
      console.log(`\n### ${p.child.name}: hottest functions in the measured windows\n`);
      printProfile(p.profileDir, join(dir, 'app'), windows);
    }
  } finally {
    if (!interrupted) {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function gitHead(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return r.status === 0 ? `${r.stdout.trim()}${dirty ? ' (src/ modified)' : ''}` : 'unknown';
}

function printProfile(dir: string, appRoot: string, windows: Window[]): void {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) {
    log(`no .cpuprofile in ${dir}`);
    return;
  }
  const newest = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  console.log(formatTop(newest, 25, appRoot, windows));
  log(`profile kept at ${newest} (summarise again: npx tsx bench/cpuprofile-top.ts FILE 40; paths then point at the deleted dist copy)`);
}

async function soak(t: Target, proxy: Proxy, n: number, machineLine: string, loadAtStart: string, buildNote: string, cleanup: () => Promise<void>): Promise<void> {
  const pid = proxy.child.pid;
  log(`RSS soak: ${f0(n)} requests through ${TARGET_LABEL[t.name]} at ${soakConnections} connections (1 in 10 streamed)`);
  const samples: { s: number; done: number; kb: number }[] = [];
  const progress = { finished: 0 };
  const t0 = performance.now();
  const sample = (): void => {
    const s = { s: (performance.now() - t0) / 1000, done: progress.finished, kb: statusKb(pid, 'VmRSS') };
    samples.push(s);
    log(`  ${s.s.toFixed(0).padStart(5)} s  ${f0(s.done).padStart(10)} requests  RSS ${mb(s.kb)}`);
  };
  sample();
  const timer = setInterval(sample, 10_000);
  const plain = bodyFor(t.model, false);
  const streamed = bodyFor(t.model, true, true);
  const result = await runLoad({
    origin: t.origin,
    path: '/v1/chat/completions',
    headers: headersFor(t.key),
    body: (i) => (i % 10 === 9 ? streamed : plain),
    stream: (i) => i % 10 === 9,
    connections: soakConnections,
    durationMs: 0,
    maxRequests: n,
    progress,
  });
  clearInterval(timer);
  sample();
  // Idle for a moment: what is left once the work is done.
  await new Promise((r) => setTimeout(r, 5_000));
  sample();
  const hwm = statusKb(pid, 'VmHWM');
  const anon = statusKb(pid, 'RssAnon');
  const file = statusKb(pid, 'RssFile');
  proxy.sent += result.sent;
  await cleanup();
  const start = samples[0].kb;
  const peak = Math.max(...samples.map((s) => s.kb), hwm);
  const end = samples[samples.length - 2].kb;
  const idle = samples[samples.length - 1].kb;
  // The samples taken under load (not the one before the first request, not the idle one).
  const loaded = samples.slice(1, -1);
  const low = (xs: typeof samples): number => Math.min(...xs.map((s) => s.kb));
  const firstHalf = loaded.filter((s) => s.done <= n / 2);
  const secondHalf = loaded.filter((s) => s.done > n / 2);
  const firstLow = firstHalf.length ? low(firstHalf) : start;
  const secondLow = secondHalf.length ? low(secondHalf) : end;
  const data: SoakData = { requests: result.completed, connections: soakConnections, startKb: start, firstLowKb: firstLow, secondLowKb: secondLow, endKb: end, idleKb: idle, peakKb: peak, at: new Date().toISOString() };
  const growth = secondLow - firstLow;
  const ok = peak <= 150 * 1024 && growth <= FLAT_KB;
  const out = [
    `Machine: ${machineLine}.`,
    `Command: \`${commandLine()}\`; ${data.at}; commit ${gitHead()}, proxy from ${buildNote}; 1-min load average ${loadAtStart} at the start.`,
    `${f0(result.completed)} requests through ${TARGET_LABEL[t.name]}${proxy.vkeyNote ? ` (${proxy.vkeyNote})` : ''} at ${soakConnections} connections, 1 in 10 streamed, in ${result.seconds.toFixed(0)} s (${f0(result.rps)} req/s), ${result.errors} errors${result.errors ? ` (${Object.entries(result.errorKinds).map(([k, v]) => `${k} ×${v}`).join('; ')})` : ''}; spend logs on, logging ${LOG_OVERRIDE ? `at ${LOG_OVERRIDE} (BENCH_LOG_LEVEL, not production)` : 'at info'} to a file.`,
    [logNote(proxy, 'The proxy'), proxy.spendRows !== undefined ? `${f0(proxy.spendRows)} spend-log rows for ${f0(proxy.sent)} requests sent (checks included)` : ''].filter(Boolean).join('; ') + '.',
    '',
    `Proxy RSS: right after boot **${mb(proxy.bootKb)}**; start **${mb(start)}**, end **${mb(end)}**, peak **${mb(peak)}** (VmHWM, between samples too), 5 s idle after **${mb(idle)}** (${mb(anon)} anonymous, ${mb(file)} file-backed). ` +
      `Lowest sample (post-GC trough) ${mb(firstLow)} in the first half, ${mb(secondLow)} in the second: ${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(1)} MB, ${growth <= FLAT_KB ? 'flat' : 'growing'}. ` +
      `Target ≤ 150 MB and flat${check(ok)}`,
    '',
    `Samples (s, requests done, RSS MB): ${samples.map((s) => `${s.s.toFixed(0)}/${s.done}/${(s.kb / 1024).toFixed(0)}`).join(', ')}`,
    '',
    `<!-- soak-data ${JSON.stringify(data)} -->`,
  ].join('\n');
  console.log(`\n${out}\n`);
  if (!args['no-write']) {
    writeSection('Latest RSS soak', out);
    // The checklist's RSS row follows the latest soak.
    const text = readFileSync(BENCHMARKS, 'utf8');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.startsWith(RSS_ROW));
    if (i !== -1) {
      lines[i] = rssRow(data);
      writeFileSync(BENCHMARKS, lines.join('\n'));
    }
    log(`wrote "Latest RSS soak" (and the checklist's RSS row) in ${BENCHMARKS}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
